// Searching by image: picked and pasted bytes go through stage_image, dropped files by path,
// and an image chip combines with the typed text until it is removed.
import { NO_FILTER } from "./lib/timeline.svelte";
import { afterEach, expect, test, vi } from "vitest";
import {
  allByTestId,
  byTestId,
  cleanup,
  click,
  fakeBackend,
  get,
  renderApp,
  rustEmits,
  settle,
  typeInto,
} from "./test/backend";

afterEach(cleanup);

const PNG_BYTES = [0x89, 0x50, 0x4e, 0x47, 1, 2, 3];

test("a picked image's bytes are staged with Rust, then searched for by token", async () => {
  const backend = fakeBackend().on("stage_image", () => ({ token: "staged-1" }));
  const page = await renderApp(backend);

  pick(get(page, "image-picker"), new File([new Uint8Array(PNG_BYTES)], "beach.png", { type: "image/png" }));

  await vi.waitFor(() => expect(backend.searches()).toHaveLength(1));
  const [staged] = backend.argsOf("stage_image");
  expect(staged).toBeInstanceOf(Uint8Array);
  expect(Array.from(staged as Uint8Array)).toEqual(PNG_BYTES);
  expect(backend.searches()[0]).toEqual({ text: "", images: [{ kind: "bytes", token: "staged-1" }], limit: 1000, filter: NO_FILTER });
  expect(get(page, "image-chip").textContent).toContain("beach.png");
});

test("the same image picked three times is one chip (Rust names staged bytes by their content)", async () => {
  const backend = fakeBackend().on("stage_image", () => ({ token: "img-same-content" }));
  const page = await renderApp(backend);
  for (let i = 0; i < 3; i += 1) {
    pick(get(page, "image-picker"), new File([new Uint8Array(PNG_BYTES)], "beach.png", { type: "image/png" }));
    await vi.waitFor(() => expect(backend.argsOf("stage_image")).toHaveLength(i + 1));
    await settle();
  }
  expect(allByTestId(page, "image-chip")).toHaveLength(1);
});

test("an image pasted from the clipboard is staged and searched for", async () => {
  const backend = fakeBackend().on("stage_image", () => ({ token: "pasted-1" }));
  await renderApp(backend);

  const clipboard = new DataTransfer();
  clipboard.items.add(new File([new Uint8Array(PNG_BYTES)], "image.png", { type: "image/png" }));
  window.dispatchEvent(new ClipboardEvent("paste", { clipboardData: clipboard, bubbles: true, cancelable: true }));

  await vi.waitFor(() => expect(backend.searches()).toHaveLength(1));
  expect(Array.from(backend.argsOf("stage_image")[0] as Uint8Array)).toEqual(PNG_BYTES);
  expect(backend.searches()[0]?.images).toEqual([{ kind: "bytes", token: "pasted-1" }]);
});

test("pasting a file that is not an image stages nothing", async () => {
  const backend = fakeBackend();
  const page = await renderApp(backend);

  const clipboard = new DataTransfer();
  clipboard.items.add(new File(["sunset"], "notes.txt", { type: "text/plain" }));
  get(page, "search-input").dispatchEvent(new ClipboardEvent("paste", { clipboardData: clipboard, bubbles: true }));
  await settle();

  expect(backend.argsOf("stage_image")).toEqual([]);
});

test("a file dropped on the window is searched for by its path", async () => {
  const backend = fakeBackend();
  const page = await renderApp(backend);

  await rustEmits("tauri://drag-enter", { paths: ["/home/ann/cat.jpg"], position: { x: 10, y: 10 } });
  expect(get(page, "drop-zone").classList.contains("dragging")).toBe(true);
  await rustEmits("tauri://drag-drop", { paths: ["/home/ann/cat.jpg"], position: { x: 10, y: 10 } });

  await vi.waitFor(() => expect(backend.searches()).toHaveLength(1));
  expect(backend.searches()[0]).toEqual({ text: "", images: [{ kind: "path", path: "/home/ann/cat.jpg" }], limit: 1000, filter: NO_FILTER });
  expect(get(page, "drop-zone").classList.contains("dragging")).toBe(false);
});

test("text and an image search together, and removing the chip searches by text alone", async () => {
  const backend = fakeBackend();
  const page = await renderApp(backend);
  const input = get(page, "search-input");

  typeInto(input, "in winter");
  await rustEmits("tauri://drag-drop", { paths: ["/photos/house.jpg"], position: { x: 0, y: 0 } });
  await vi.waitFor(() => expect(backend.searches()).toHaveLength(1));
  expect(backend.searches()[0]).toEqual({
    text: "in winter",
    images: [{ kind: "path", path: "/photos/house.jpg" }],
    limit: 1000,
    filter: NO_FILTER,
  });

  click(get(page, "image-chip").querySelector("button")!);
  await vi.waitFor(() => expect(backend.searches()).toHaveLength(2));
  expect(backend.searches()[1]).toEqual({ text: "in winter", images: [], limit: 1000, filter: NO_FILTER });
  expect(allByTestId(page, "image-chip")).toEqual([]);
});

test("an image Rust cannot take shows its message", async () => {
  const backend = fakeBackend().on("stage_image", () => {
    throw { kind: "decode", message: "beach.png is not an image photofind can read" };
  });
  const page = await renderApp(backend);

  pick(get(page, "image-picker"), new File([new Uint8Array([1])], "beach.png", { type: "image/png" }));

  await vi.waitFor(() =>
    expect(byTestId(page, "search-error")?.textContent).toBe("beach.png is not an image photofind can read"),
  );
  expect(backend.searches()).toEqual([]);
});

function pick(picker: HTMLElement, file: File): void {
  Object.defineProperty(picker, "files", { value: [file], configurable: true });
  picker.dispatchEvent(new Event("change", { bubbles: true }));
}
