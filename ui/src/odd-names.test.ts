// Photos whose names are not UTF-8 (Rust sends `{ bytes, lossy }`): shown lossy, thumbnailed
// by their bytes, and sent back to Rust exactly as they came.
import { afterEach, expect, test, vi } from "vitest";
import {
  HOLIDAYS,
  allByTestId,
  cleanup,
  click,
  fakeBackend,
  get,
  hit,
  press,
  renderApp,
  resultPaths,
  resultThumbs,
  results,
  typeInto,
} from "./test/backend";

afterEach(cleanup);

// "/p/caf\xe9.jpg" and "/p/caf\xe8.jpg" (Latin-1): different files that read the same.
const E_ACUTE = { bytes: "L3AvY2Fm6S5qcGc=", lossy: "/p/caf\uFFFD.jpg" };
const E_GRAVE = { bytes: "L3AvY2Fm6C5qcGc=", lossy: "/p/caf\uFFFD.jpg" };

async function searchShowing(hits: ReturnType<typeof hit>[]) {
  const backend = fakeBackend().on("search", () => results(hits));
  const page = await renderApp(backend);
  const input = get(page, "search-input");
  typeInto(input, "cafe");
  press(input, "Enter");
  await vi.waitFor(() => expect(allByTestId(page, "result")).toHaveLength(hits.length));
  return { backend, page };
}

test("a name that is not UTF-8 shows lossy and its thumbnail URL carries the exact bytes", async () => {
  const { page } = await searchShowing([hit(E_ACUTE, { id: 1 }), hit(E_GRAVE, { id: 2 }), hit("/p/caf\u00e9.jpg")]);

  expect(resultPaths(page)).toEqual([E_ACUTE.lossy, E_GRAVE.lossy, "/p/caf\u00e9.jpg"]);
  expect(resultThumbs(page)).toEqual([
    "thumb://localhost/%2Fp%2Fcaf%E9.jpg?v=1",
    "thumb://localhost/%2Fp%2Fcaf%E8.jpg?v=2",
    // The same name in UTF-8 is two bytes.
    "thumb://localhost/%2Fp%2Fcaf%C3%A9.jpg?v=1",
  ]);
});

test("two photos whose names read the same are told apart, and More like this sends the bytes back", async () => {
  const { backend, page } = await searchShowing([hit(E_ACUTE, { id: 1 }), hit(E_GRAVE, { id: 2 })]);

  const [, second] = allByTestId(page, "result");
  second!.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
  await vi.waitFor(() => expect(get(page, "preview-path").textContent).toBe(E_GRAVE.lossy));
  click(Array.from(get(page, "preview").querySelectorAll("button")).find((b) => b.textContent?.includes("More like"))!);

  await vi.waitFor(() => expect(backend.searches()).toHaveLength(2));
  expect(backend.searches()[1]?.images).toEqual([{ kind: "path", path: E_GRAVE }]);
});

test("Open and Remove send Rust the path as it came", async () => {
  const folder = { ...HOLIDAYS, path: E_ACUTE };
  const backend = fakeBackend()
    .on("roots", () => [folder])
    .on("search", () => results([hit(E_ACUTE)]))
    .on("open_path", () => null)
    .on("remove_root", () => 1);
  const page = await renderApp(backend);
  const input = get(page, "search-input");
  typeInto(input, "cafe");
  press(input, "Enter");
  await vi.waitFor(() => expect(allByTestId(page, "result")).toHaveLength(1));
  allByTestId(page, "result")[0]!.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
  await vi.waitFor(() => get(page, "preview"));
  click(Array.from(get(page, "preview").querySelectorAll("button")).find((b) => b.textContent?.trim() === "Open")!);
  click(get(page, "folder-list").querySelector<HTMLElement>(`[aria-label="Remove ${E_ACUTE.lossy}"]`)!);

  await vi.waitFor(() => expect(backend.argsOf("remove_root")).toHaveLength(1));
  expect(backend.argsOf("open_path")).toEqual([{ path: E_ACUTE }]);
  expect(backend.argsOf("remove_root")).toEqual([{ path: E_ACUTE }]);
});

test("a thumbnail Rust dropped is asked for again while shown, a few times, later each time", async () => {
  const { page } = await searchShowing([hit("/photos/a.jpg")]);
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  const img = () => allByTestId(page, "result")[0]!.querySelector("img")!;
  const base = "thumb://localhost/%2Fphotos%2Fa.jpg?v=1"; // v: the photo's id (its content)
  expect(img().getAttribute("src")).toBe(base);

  const seen: (string | null)[] = [];
  for (const wait of [1_000, 3_000, 8_000]) {
    img().dispatchEvent(new Event("error"));
    await vi.advanceTimersByTimeAsync(wait - 1);
    seen.push(img().getAttribute("src"));
    await vi.advanceTimersByTimeAsync(1);
    seen.push(img().getAttribute("src"));
  }
  expect(seen).toEqual([
    base,
    `${base}&attempt=1`,
    `${base}&attempt=1`,
    `${base}&attempt=2`,
    `${base}&attempt=2`,
    `${base}&attempt=3`,
  ]);
  img().dispatchEvent(new Event("error"));
  await vi.advanceTimersByTimeAsync(60_000);
  expect(img().getAttribute("src")).toBe(`${base}&attempt=3`);
});
