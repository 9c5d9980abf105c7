// Starts and stops tauri-driver (and, through it, WebKitWebDriver and the app) for one test file.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { waitFor } from "./webdriver.mjs";

const HOST = "127.0.0.1";

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort() {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/**
 * Runs tauri-driver on free ports and waits until it answers. The driver leads its own
 * process group, so `stop` also ends WebKitWebDriver and any app it launched.
 */
export async function startTauriDriver({ binary = "tauri-driver", timeoutMs = 20_000 } = {}) {
  const [port, nativePort] = [await freePort(), await freePort()];
  const child = spawn(binary, ["--port", `${port}`, "--native-port", `${nativePort}`], {
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = once(child, "exit");
  const spawnFailed = once(child, "error").then(([error]) => {
    throw new Error(`could not run ${binary}: ${error.message} (run scripts/setup)`);
  });
  if (child.pid !== undefined) killGroupWhenExiting(child.pid);
  const driver = { url: `http://${HOST}:${port}`, stop: () => stopGroup(child, exited) };
  try {
    await Promise.race([spawnFailed, waitUntilReady(driver.url, child, timeoutMs)]);
  } catch (error) {
    await driver.stop();
    throw error;
  }
  spawnFailed.catch(() => {});
  return driver;
}

async function waitUntilReady(url, child, timeoutMs) {
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
      const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(1_000) });
      const { value } = await response.json();
      return value?.ready ? true : undefined;
    },
    { timeoutMs, what: `tauri-driver at ${url}` },
  );
}

/** SIGTERM the driver's process group, then SIGKILL whatever is left after a grace period. */
async function stopGroup(child, exited, graceMs = 5_000) {
  if (child.pid === undefined) return;
  signalGroup(child.pid, "SIGTERM");
  let timer;
  const graceOver = new Promise((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([exited, graceOver]);
  clearTimeout(timer);
  // The driver may be gone while the app it launched lingers in the group.
  signalGroup(child.pid, "SIGKILL");
}

/** The group is detached from the terminal's, so end it too if this process dies first. */
function killGroupWhenExiting(pid) {
  process.once("exit", () => signalGroup(pid, "SIGKILL"));
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(signal, () => {
      signalGroup(pid, "SIGKILL");
      process.kill(process.pid, signal);
    });
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if (error.code !== "ESRCH") throw error;
  }
}
