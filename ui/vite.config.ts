import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// The desktop shell loads this port in dev (`build.devUrl` in tauri.conf.json).
const DEV_PORT = 5173;

export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: DEV_PORT, strictPort: true, host: "127.0.0.1" },
  // Tests run in happy-dom: Svelte must resolve to its browser build, not the server one.
  resolve: process.env.VITEST ? { conditions: ["browser"] } : undefined,
  build: {
    // WebKitGTK on Debian 12 is Safari 16-level.
    target: "safari16",
    outDir: "dist",
    emptyOutDir: true,
  },
  test: { environment: "happy-dom" },
});
