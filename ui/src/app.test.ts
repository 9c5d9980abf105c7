import { afterEach, expect, test, vi } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { mountApp } from "./app";

afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

function testId(root: HTMLElement, id: string): HTMLElement | null {
  return root.querySelector(`[data-testid="${id}"]`);
}

test("the footer shows the version that app_info returned", async () => {
  const invoked: string[] = [];
  mockIPC((cmd) => {
    invoked.push(cmd);
    if (cmd === "app_info") return { name: "photofind", version: "9.8.7-test" };
    throw new Error(`unexpected command ${cmd}`);
  });
  const root = document.body.appendChild(document.createElement("div"));

  await mountApp(root);

  expect(invoked).toEqual(["app_info"]);
  expect(testId(root, "app-version")?.textContent).toBe("photofind 9.8.7-test");
  expect(testId(root, "search-input")?.getAttribute("placeholder")).toBe("Search your photos…");
  expect(testId(root, "empty-state")?.textContent).toBe("No folders yet");
});

test("the footer says so when app_info fails", async () => {
  mockIPC(() => {
    throw new Error("backend gone");
  });
  const root = document.body.appendChild(document.createElement("div"));
  vi.spyOn(console, "error").mockImplementation(() => {});

  await mountApp(root);

  expect(testId(root, "app-version")?.textContent).toBe("version unknown");
});
