// Desktop smoke test: the real app binary in a real WebKitGTK window, driven over WebDriver.
// Run it under a display, e.g. `xvfb-run -a node --test tests/e2e/`; scripts/test-desktop does.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTauriDriver } from "./tauri-driver.mjs";
import { Session, waitFor } from "./webdriver.mjs";

const PACKAGE = "photofind-desktop";
const SCREENSHOTS = join(import.meta.dirname, "screenshots");
// Tauri serves the embedded ui/dist from this origin on Linux; a dev build loads devUrl instead.
const EMBEDDED_ORIGIN = "tauri://localhost";

/** The desktop package's version and the binary to test (`PHOTOFIND_DESKTOP_BIN` overrides). */
function desktopPackage() {
  const metadata = JSON.parse(
    execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], {
      cwd: join(import.meta.dirname, "..", ".."),
      encoding: "utf8",
    }),
  );
  const { version } = metadata.packages.find((p) => p.name === PACKAGE);
  const binary = process.env.PHOTOFIND_DESKTOP_BIN ?? join(metadata.target_directory, "debug", PACKAGE);
  return { version, binary };
}

describe("desktop app", { timeout: 120_000 }, () => {
  const { version, binary } = desktopPackage();
  let driver;
  let app;

  before(async () => {
    // A fresh, empty library and no model: the first run a new user sees.
    process.env.PHOTOFIND_DATA_DIR = mkdtempSync(join(tmpdir(), "photofind-smoke-"));
    delete process.env.PHOTOFIND_MODEL;
    assert.ok(existsSync(binary), `no app at ${binary}: cargo build -p ${PACKAGE} --features custom-protocol`);
    driver = await startTauriDriver();
    app = await Session.start(driver.url, binary);
  });

  after(async () => {
    await app?.end().catch((error) => console.error(`ending the session: ${error.message}`));
    await driver?.stop();
  });

  it("shows the built page, not a dev server", async () => {
    const url = await app.url();
    assert.ok(url.startsWith(EMBEDDED_ORIGIN), `loaded ${url}: was it built with --features custom-protocol?`);
  });

  it("is titled photofind", async () => {
    assert.equal(await app.title(), "photofind");
  });

  it("has the search input", async () => {
    const search = await waitFor(() => app.find('[data-testid="search-input"]'), { what: "the search input" });
    assert.equal(await app.attribute(search, "placeholder"), "Search your photos…");
  });

  it("shows the version app_info returned from Rust", async () => {
    const footer = await waitFor(() => app.find('[data-testid="app-version"]'), { what: "the version footer" });
    const text = await waitFor(async () => (await app.text(footer)) || undefined, { what: "the version text" });
    assert.equal(text, `photofind ${version}`);
  });

  it("offers the model download on a first run without a model", async () => {
    const setup = await waitFor(() => app.find('[data-testid="model-download"]'), { what: "the model download" });
    const size = await app.find('[data-testid="model-size"]');
    assert.match(await app.text(size), /MB/);
    assert.ok(setup);
    assert.equal((await app.findAll('[data-testid="model-error"]')).length, 0, "nothing failed yet");
  });

  it("refuses to navigate the window away from the app", async () => {
    await app.execute('window.location.href = "https://example.invalid/";');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.ok((await app.url()).startsWith(EMBEDDED_ORIGIN), "the window left the app");
    assert.ok(await app.find('[data-testid="search-input"]'), "the page is still there");
  });

  it("has no script that opens clicked links in the browser", async () => {
    // The opener plugin's script cancels such a click to open the link itself; a listener
    // added after it sees whether anyone did (and cancels it, so nothing opens either way).
    const cancelled = await app.execute(`
      const link = Object.assign(document.createElement("a"), { href: "https://example.invalid/", target: "_blank" });
      document.body.append(link);
      let seen = null;
      const spy = (event) => { seen = event.defaultPrevented; event.preventDefault(); };
      window.addEventListener("click", spy);
      link.click();
      window.removeEventListener("click", spy);
      link.remove();
      return seen;`);
    assert.equal(cancelled, false);
  });

  it("may listen to events but not emit them", async () => {
    const outcome = await app.executeAsync(`
      const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__
        .invoke("plugin:event|emit", { event: "index-status", payload: {} })
        .then(() => done("emitted"), (error) => done(String(error)));`);
    assert.match(outcome, /not allowed/i);
  });

  it("saves a screenshot", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const png = await app.screenshot();
    assert.ok(png.length > 1_000, "the screenshot is suspiciously small");
    writeFileSync(join(SCREENSHOTS, "smoke.png"), png);
    // A first run (no model yet) is one of the states docs/screenshots shows.
    writeFileSync(join(SCREENSHOTS, "first-run.png"), png);
  });
});
