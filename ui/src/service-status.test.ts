// What the indexing panel says when the service fails and restarts, and what it warns about.
import { afterEach, expect, test } from "vitest";
import type { IndexStatus } from "./ipc";
import { IDLE, byTestId, cleanup, fakeBackend, get, renderApp, rustEmits } from "./test/backend";

afterEach(cleanup);

const FAILED: IndexStatus = {
  ...IDLE,
  state: "error",
  error: "cannot write the index: No space left on device (os error 28)",
  retry_seconds: 4,
};

test("a failed service shows its error and when it tries again, and has nothing to pause", async () => {
  const backend = fakeBackend().on("index_status", () => FAILED);
  const page = await renderApp(backend);

  expect(get(page, "index-state").textContent).toContain("Stopped by an error");
  const error = get(page, "index-error");
  expect(error.getAttribute("role")).toBe("alert");
  expect(error.textContent).toContain("No space left on device");
  expect(error.textContent).toContain("Trying again in 4 s");
  expect(byTestId(page, "pause")).toBeNull();
  expect(byTestId(page, "index-counts")).toBeNull();
});

test("once restarted the error is a note, and it goes when the service has caught up", async () => {
  const backend = fakeBackend().on("index_status", () => FAILED);
  const page = await renderApp(backend);

  await rustEmits("index-status", { ...FAILED, state: "scanning", retry_seconds: null });
  expect(byTestId(page, "index-error")).toBeNull();
  expect(get(page, "index-recovered").textContent).toContain("Restarted after an error: cannot write the index");
  expect(byTestId(page, "pause")).not.toBeNull();

  await rustEmits("index-status", { ...IDLE, error: null });
  expect(byTestId(page, "index-recovered")).toBeNull();
  expect(get(page, "index-state").textContent).toContain("Up to date");
});

test("the service's warnings are shown, each once, in any state", async () => {
  const inotify =
    "cannot watch /home/ann/Pictures: the inotify watch limit is reached; polling every 5 min (raise fs.inotify.max_user_watches)";
  const backend = fakeBackend().on("index_status", () => ({ ...IDLE, warnings: [inotify] }));
  const page = await renderApp(backend);

  expect(get(page, "index-warning").textContent).toBe(inotify);
  await rustEmits("index-status", { ...FAILED, warnings: [inotify, "another"] });
  expect(Array.from(page.querySelectorAll('[data-testid="index-warning"]'), (el) => el.textContent)).toEqual([
    inotify,
    "another",
  ]);
  await rustEmits("index-status", IDLE);
  expect(byTestId(page, "index-warning")).toBeNull();
});
