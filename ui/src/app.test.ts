// The page's frame: what the desktop smoke test relies on, and how it copes with a Rust side
// that fails or lacks commands.
import { afterEach, expect, test, vi } from "vitest";
import indexHtml from "../index.html?raw";
import { asIpcError } from "./ipc";
import { byTestId, cleanup, fakeBackend, get, renderApp } from "./test/backend";

afterEach(cleanup);

test("the footer shows the version app_info returned, next to the search box", async () => {
  const backend = fakeBackend();
  const page = await renderApp(backend);

  expect(get(page, "app-version").textContent).toBe("photofind 9.8.7-test");
  expect(get(page, "search-input").getAttribute("placeholder")).toBe("Search your photos…");
  expect(byTestId(page, "drop-zone")).not.toBeNull();
});

test("the footer says so when app_info fails", async () => {
  const backend = fakeBackend().on("app_info", () => {
    throw { kind: "internal", message: "backend gone" };
  });
  vi.spyOn(console, "error").mockImplementation(() => {});
  const page = await renderApp(backend);

  expect(get(page, "app-version").textContent).toBe("version unknown");
});

test("a Rust side without the library commands still shows the search box and version", async () => {
  // An older shell, or one mid-rewrite: only app_info exists.
  const backend = fakeBackend();
  for (const cmd of ["roots", "index_status", "model_status"]) {
    backend.on(cmd, () => {
      throw `command ${cmd} not found`;
    });
  }
  vi.spyOn(console, "error").mockImplementation(() => {});
  const page = await renderApp(backend);

  expect(get(page, "app-version").textContent).toBe("photofind 9.8.7-test");
  expect(byTestId(page, "search-input")).not.toBeNull();
  expect(get(page, "error").textContent).toMatch(/command \w+ not found/);
});

test("the document is titled photofind", () => {
  expect(indexHtml).toContain("<title>photofind</title>");
});

test("errors from Rust keep their kind; anything else becomes an ipc error with a message", () => {
  expect(asIpcError({ kind: "offline", message: "Connect first" })).toEqual({ kind: "offline", message: "Connect first" });
  expect(asIpcError("command search not found")).toEqual({ kind: "ipc", message: "command search not found" });
  expect(asIpcError(new Error("boom"))).toEqual({ kind: "ipc", message: "boom" });
});
