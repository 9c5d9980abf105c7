// Searching by text: debounce, stale answers, the virtualised grid, keyboard and preview.
import { NO_FILTER } from "./lib/timeline.svelte";
import { afterEach, expect, test, vi } from "vitest";
import type { Results } from "./ipc";
import { DEBOUNCE_MS } from "./lib/search.svelte";
import {
  allByTestId,
  byTestId,
  cleanup,
  click,
  deferred,
  fakeBackend,
  get,
  hit,
  manyHits,
  press,
  renderApp,
  resultPaths,
  results,
  rustEmits,
  settle,
  typeInto,
} from "./test/backend";

afterEach(cleanup);

test("typing searches once, DEBOUNCE_MS after the last keystroke", async () => {
  const backend = fakeBackend();
  const page = await renderApp(backend);
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  const input = get(page, "search-input");

  typeInto(input, "c");
  await vi.advanceTimersByTimeAsync(DEBOUNCE_MS - 10);
  typeInto(input, "at");
  await vi.advanceTimersByTimeAsync(DEBOUNCE_MS - 1);
  expect(backend.searches()).toEqual([]);

  await vi.advanceTimersByTimeAsync(1);
  expect(backend.searches()).toEqual([{ text: "cat", images: [], limit: 1000, filter: NO_FILTER }]);
});

test("clearing the box and typing again at once never shows the old query's results", async () => {
  const backend = fakeBackend().on("search", ({ request }: { request: { text: string } }) =>
    results([hit(`/photos/${request.text}.jpg`)]),
  );
  const page = await searchFor(backend, "cat");
  expect(resultPaths(page)).toEqual(["/photos/cat.jpg"]);
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  const input = get(page, "search-input");

  (input as HTMLInputElement).value = "";
  input.dispatchEvent(new Event("input", { bubbles: true }));
  typeInto(input, "dog");
  await settle();
  expect(resultPaths(page)).toEqual([]);

  await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
  await settle();
  expect(resultPaths(page)).toEqual(["/photos/dog.jpg"]);
});

test("a slow answer to an earlier query does not replace the answer to a later one", async () => {
  const backend = fakeBackend();
  const answers = [deferred<Results>(), deferred<Results>()];
  backend.on("search", () => answers[backend.searches().length - 1]?.promise);
  const page = await renderApp(backend);
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  const input = get(page, "search-input");

  typeInto(input, "ca");
  await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
  typeInto(input, "t");
  await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
  expect(backend.searches().map((request) => request.text)).toEqual(["ca", "cat"]);

  answers[1]?.resolve(results([hit("/photos/cat.jpg")]));
  await settle();
  expect(resultPaths(page)).toEqual(["/photos/cat.jpg"]);

  answers[0]?.resolve(results([hit("/photos/car.jpg")]));
  await settle();
  expect(resultPaths(page)).toEqual(["/photos/cat.jpg"]);
});

test("results render as cells carrying their absolute path and score", async () => {
  const backend = fakeBackend().on("search", () =>
    results([hit("/photos/a.jpg", { score: 0.3141 }), hit("/photos/b.jpg", { score: 0.25 })]),
  );
  const page = await searchFor(backend, "beach");

  expect(resultPaths(page)).toEqual(["/photos/a.jpg", "/photos/b.jpg"]);
  const first = allByTestId(page, "result")[0]!;
  expect(byTestId(first, "score")?.textContent).toBe("0.314");
  expect(first.querySelector("img")?.getAttribute("src")).toBe("thumb://localhost/%2Fphotos%2Fa.jpg?v=1");
});

test("of a thousand results only the rows in view are in the DOM, and scrolling moves them", async () => {
  const backend = fakeBackend().on("search", () => results(manyHits(1000)));
  // 840 px wide is 5 columns of 168 px; 672 px high is 4 rows, plus one partly shown and two
  // overscanned below: 7 rows, 35 cells.
  const page = await searchFor(backend, "anything");

  const shown = resultPaths(page);
  expect(shown).toHaveLength(35);
  expect(shown[0]).toBe("/photos/0000.jpg");
  const viewport = get(page, "results");
  expect((viewport.firstElementChild as HTMLElement).style.height).toBe(`${200 * 168}px`);

  viewport.scrollTop = 100 * 168;
  viewport.dispatchEvent(new Event("scroll"));
  await settle();

  const scrolled = resultPaths(page);
  expect(scrolled.length).toBeLessThanOrEqual(45);
  expect(scrolled).toContain("/photos/0500.jpg");
  expect(scrolled).not.toContain("/photos/0000.jpg");
});

test("no good match says so and still shows the closest results, dimmed", async () => {
  const backend = fakeBackend().on("search", () => results([hit("/photos/near.jpg")], { good_match: false }));
  const page = await searchFor(backend, "unicorn");

  expect(get(page, "no-match").textContent).toContain("No good match");
  expect(resultPaths(page)).toEqual(["/photos/near.jpg"]);
  expect(get(page, "results").classList.contains("dimmed")).toBe(true);
});

test("no good match with no hits at all shows no grid", async () => {
  const backend = fakeBackend().on("search", () => results([], { good_match: false }));
  const page = await searchFor(backend, "unicorn");

  expect(get(page, "no-match").textContent).toContain("No good match");
  expect(byTestId(page, "results")).toBeNull();
});

test("a good match shows no no-match notice and no dimming", async () => {
  const backend = fakeBackend().on("search", () => results([hit("/photos/cat.jpg")], { good_match: true }));
  const page = await searchFor(backend, "cat");

  expect(byTestId(page, "no-match")).toBeNull();
  expect(get(page, "results").classList.contains("dimmed")).toBe(false);
});

test("arrow keys move the selection across and down the grid, Enter opens the preview, Escape closes it", async () => {
  const backend = fakeBackend().on("search", () => results(manyHits(12)));
  const page = await searchFor(backend, "cat");

  press(get(page, "search-input"), "ArrowDown");
  expect(selectedPath(page)).toBe("/photos/0000.jpg");
  const grid = get(page, "results");
  expect(document.activeElement).toBe(grid);

  press(grid, "ArrowRight");
  press(grid, "ArrowDown"); // 5 columns: one row down is five on
  expect(selectedPath(page)).toBe("/photos/0006.jpg");
  press(grid, "ArrowLeft");
  expect(selectedPath(page)).toBe("/photos/0005.jpg");
  press(grid, "ArrowUp");
  expect(selectedPath(page)).toBe("/photos/0000.jpg");
  expect(byTestId(page, "preview")).toBeNull();

  press(grid, "Enter");
  expect(get(page, "preview-path").textContent).toBe("/photos/0000.jpg");

  press(grid, "Escape");
  expect(byTestId(page, "preview")).toBeNull();
});

test("the selection and preview stay on their photo when the new results are shown", async () => {
  let hits = [hit("/photos/a.jpg"), hit("/photos/b.jpg")];
  const backend = fakeBackend().on("search", () => results(hits));
  const page = await searchFor(backend, "cat");
  openPreview(page, 1);

  hits = [hit("/photos/new.jpg"), hit("/photos/a.jpg"), hit("/photos/b.jpg")];
  await rustEmits("library-changed");
  click(button(get(page, "results-outdated"), "Show new results"));
  await vi.waitFor(() => expect(resultPaths(page)).toHaveLength(3));

  expect(selectedPath(page)).toBe("/photos/b.jpg");
  expect(get(page, "preview-path").textContent).toBe("/photos/b.jpg");
});

test("the preview shows every photo, a JPEG as a HEIC or RAW, through the app's view protocol", async () => {
  const paths = ["/photos/cat.jpg", "/photos/IMG_0042.HEIC", "/photos/DSC_0001.NEF"];
  const backend = fakeBackend().on("search", () => results(paths.map((path) => hit(path))));
  const page = await searchFor(backend, "cat");
  const sources: (string | null | undefined)[] = [];
  for (const index of [0, 1, 2]) {
    openPreview(page, index);
    sources.push(get(page, "preview").querySelector("img")?.getAttribute("src"));
    press(get(page, "results"), "Escape");
  }
  expect(sources).toEqual([
    "view://localhost/%2Fphotos%2Fcat.jpg?w=1024&v=1",
    "view://localhost/%2Fphotos%2FIMG_0042.HEIC?w=1024&v=1",
    "view://localhost/%2Fphotos%2FDSC_0001.NEF?w=1024&v=1",
  ]);
});

test("the preview shows the photo's metadata", async () => {
  const backend = fakeBackend().on("search", () =>
    results([hit("/photos/cat.jpg", { size: 2_400_000, width: 4032, height: 3024, format: "heic", score: 0.2871 })]),
  );
  const page = await searchFor(backend, "cat");

  openPreview(page, 0);

  const text = get(page, "preview").textContent ?? "";
  for (const expected of ["/photos/cat.jpg", "2.4 MB", "4032 × 3024", "HEIC", "0.287", "on disk"]) {
    expect(text).toContain(expected);
  }
  expect(text).toContain(new Date("2023-07-14T18:03:00").toLocaleString());
});

test("Open and Show in folder hand the path to Rust; offline photos cannot be opened", async () => {
  const backend = fakeBackend()
    .on("search", () => results([hit("/photos/cat.jpg"), hit("/mnt/usb/dog.jpg", { offline: true })]))
    .on("open_path", () => null)
    .on("reveal_path", () => null);
  const page = await searchFor(backend, "pets");

  openPreview(page, 0);
  click(button(page, "Open"));
  click(button(page, "Show in folder"));
  await settle();
  expect(backend.argsOf("open_path")).toEqual([{ path: "/photos/cat.jpg" }]);
  expect(backend.argsOf("reveal_path")).toEqual([{ path: "/photos/cat.jpg" }]);

  openPreview(page, 1);
  expect(get(page, "preview").textContent).toContain("offline");
  expect((button(page, "Open") as HTMLButtonElement).disabled).toBe(true);
});

test("More like this searches by the photo's path alone", async () => {
  const backend = fakeBackend().on("search", () => results([hit("/photos/cat.jpg")]));
  const page = await searchFor(backend, "cat");

  openPreview(page, 0);
  click(button(page, "More like this"));
  await settle();

  expect(backend.searches().at(-1)).toEqual({
    text: "",
    images: [{ kind: "path", path: "/photos/cat.jpg" }],
    limit: 1000,
    filter: NO_FILTER,
  });
  expect(get(page, "image-chip").textContent).toContain("cat.jpg");
  expect((get(page, "search-input") as HTMLInputElement).value).toBe("");
});

test("a failed search shows the message Rust gave", async () => {
  const backend = fakeBackend().on("search", () => {
    throw { kind: "model_missing", message: "The model is not downloaded yet: download it first." };
  });
  const page = await searchFor(backend, "cat");

  expect(get(page, "search-error").textContent).toBe("The model is not downloaded yet: download it first.");
});

test("a new search clears the error of the last one", async () => {
  let fail = true;
  const backend = fakeBackend().on("search", () => {
    if (fail) throw { kind: "io", message: "disk went away" };
    return results([hit("/photos/cat.jpg")]);
  });
  const page = await searchFor(backend, "cat");
  expect(byTestId(page, "search-error")).not.toBeNull();

  fail = false;
  press(get(page, "search-input"), "Enter");
  await settle();

  expect(byTestId(page, "search-error")).toBeNull();
  expect(resultPaths(page)).toEqual(["/photos/cat.jpg"]);
});

/** Renders the page and runs a search for `text` without waiting out the debounce. */
async function searchFor(backend: ReturnType<typeof fakeBackend>, text: string): Promise<HTMLElement> {
  const page = await renderApp(backend);
  const input = get(page, "search-input");
  typeInto(input, text);
  press(input, "Enter");
  await settle();
  return page;
}

function selectedPath(page: HTMLElement): string | undefined {
  return page.querySelector<HTMLElement>('[data-testid="result"][aria-selected="true"]')?.dataset.path;
}

function openPreview(page: HTMLElement, index: number): void {
  const cell = allByTestId(page, "result")[index]!;
  cell.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
  flushed();
}

function button(page: HTMLElement, label: string): HTMLElement {
  const found = Array.from(page.querySelectorAll("button")).find((b) => b.textContent?.trim() === label);
  if (!found) throw new Error(`no button ${label}`);
  return found;
}

function flushed(): void {
  press(document.body, "Shift"); // any event flushes Svelte's queue; Shift does nothing here
}
