// The window as a photo app: the timeline when the box is empty, filters set in the fields and
// read out of the words (as chips), the same image picked twice, the `/` key, and the settings.
import { afterEach, expect, test, vi } from "vitest";
import type { Answer, Photo, TimelinePage, TimelineRequest } from "./ipc";
import { NO_FILTER } from "./lib/timeline.svelte";
import {
  allByTestId,
  byTestId,
  cleanup,
  click,
  fakeBackend,
  get,
  HOLIDAYS,
  rustEmits,
  hit,
  press,
  renderApp,
  results,
  settle,
  typeInto,
} from "./test/backend";

afterEach(cleanup);

function photo(path: string, taken: string): Photo {
  return { path, paths: [path], offline: false, captured: taken, taken, format: "jpeg", width: 4000, height: 3000, size: 1, id: 1 };
}

/** Two months of photos, newest first, as Rust pages them. */
function library(request: { request: TimelineRequest }): TimelinePage {
  const all = [
    photo("/home/ann/Pictures/holidays/c.jpg", "2023-07-02T10:00:00"),
    photo("/home/ann/Pictures/holidays/b.jpg", "2023-07-01T10:00:00"),
    photo("/home/ann/Pictures/holidays/a.jpg", "2021-01-05T10:00:00"),
  ];
  const kept = request.request.filter.after === "2022" ? all.slice(0, 2) : all;
  const months = [
    { month: "2023-07", count: 2 },
    { month: "2021-01", count: kept.length - 2 },
  ].filter((m) => m.count > 0);
  const { offset, limit } = request.request;
  return { total: kept.length, months, offset, photos: kept.slice(offset, offset + limit) };
}

function answer(fields: Partial<Answer>): Answer {
  return { parsed: { text: "", minus: [], chips: [] }, results: null, read_by: null, ...fields };
}

function timelineRequests(backend: ReturnType<typeof fakeBackend>): TimelineRequest[] {
  return backend.argsOf("timeline").map((args) => (args as { request: TimelineRequest }).request);
}

test("an empty search box shows the library as a timeline, by month, newest first", async () => {
  const backend = fakeBackend().on("timeline", library);
  const page = await renderApp(backend);
  await vi.waitFor(() => expect(allByTestId(page, "result")).toHaveLength(3));
  expect(allByTestId(page, "month").map((m) => m.textContent)).toEqual([
    expect.stringContaining("July 2023"),
    expect.stringContaining("January 2021"),
  ]);
  expect(allByTestId(page, "result").map((cell) => cell.dataset.path)).toEqual([
    "/home/ann/Pictures/holidays/c.jpg",
    "/home/ann/Pictures/holidays/b.jpg",
    "/home/ann/Pictures/holidays/a.jpg",
  ]);
  expect(allByTestId(page, "year").map((y) => y.textContent?.trim())).toEqual(["2023", "2021"]);
  expect(timelineRequests(backend)[0]).toMatchObject({ words: "", filter: NO_FILTER, offset: 0 });
});

test("a filter set in a field applies to the timeline and to the search, through Rust", async () => {
  const backend = fakeBackend().on("timeline", library).on("search", () => results([hit("/p/cat.jpg")]));
  const page = await renderApp(backend);
  const after = get(page, "filter-after") as HTMLInputElement;
  after.value = "2022";
  after.dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
  await vi.waitFor(() => expect(allByTestId(page, "result")).toHaveLength(2));
  expect(timelineRequests(backend).at(-1)?.filter).toEqual({ ...NO_FILTER, after: "2022" });

  const type = get(page, "filter-type") as HTMLSelectElement;
  type.value = "raw";
  type.dispatchEvent(new Event("change", { bubbles: true }));
  typeInto(get(page, "search-input"), "cat");
  press(get(page, "search-input"), "Enter");
  await settle();
  expect(backend.searches().at(-1)).toMatchObject({ text: "cat", filter: { ...NO_FILTER, after: "2022", types: ["raw"] } });
});

test("the folder filter offers the library's folders", async () => {
  const backend = fakeBackend().on("timeline", library);
  const page = await renderApp(backend);
  const folder = get(page, "filter-folder") as HTMLSelectElement;
  expect(Array.from(folder.options).map((o) => o.textContent)).toEqual(["All folders", "holidays"]);
  folder.value = folder.options[1]!.value;
  folder.dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
  expect(timelineRequests(backend).at(-1)?.filter.folders).toEqual([HOLIDAYS.path]);
});

test("filters written in words become chips; removing one keeps the rest of the words", async () => {
  const chip = { label: "2019", without: "beach", filter: { kind: "dates" as const, after: "2019-01-01", before: "2020-01-01" } };
  const backend = fakeBackend().on("search", ({ request }: { request: { text: string } }) =>
    request.text === "beach 2019"
      ? answer({ parsed: { text: "beach", minus: [], chips: [chip] }, results: results([hit("/p/beach.jpg")]) })
      : results([hit("/p/beach.jpg"), hit("/p/old-beach.jpg")]),
  );
  const page = await renderApp(backend);
  typeInto(get(page, "search-input"), "beach 2019");
  press(get(page, "search-input"), "Enter");
  await settle();
  const chips = allByTestId(page, "filter-chip");
  expect(chips.map((c) => c.textContent?.replace("×", "").trim())).toEqual(["2019"]);

  click(chips[0]!.querySelector("button")!);
  await settle();
  expect((get(page, "search-input") as HTMLInputElement).value).toBe("beach");
  expect(backend.searches().at(-1)?.text).toBe("beach");
  expect(allByTestId(page, "filter-chip")).toHaveLength(0);
});

test("words that are only filters show the timeline they keep, with their chip", async () => {
  const chip = { label: "2023", without: "", filter: { kind: "dates" as const, after: "2023-01-01", before: "2024-01-01" } };
  const backend = fakeBackend()
    .on("timeline", library)
    .on("search", () => answer({ parsed: { text: "", minus: [], chips: [chip] }, results: null }));
  const page = await renderApp(backend);
  typeInto(get(page, "search-input"), "2023");
  press(get(page, "search-input"), "Enter");
  await settle();
  expect(byTestId(page, "timeline")).not.toBeNull();
  expect(timelineRequests(backend).at(-1)?.words).toBe("2023");
  expect(allByTestId(page, "filter-chip")).toHaveLength(1);
});

test("filters that keep no photo say so and offer to clear them", async () => {
  const backend = fakeBackend().on("timeline", () => ({ total: 0, months: [], offset: 0, photos: [] }));
  const page = await renderApp(backend);
  const type = get(page, "filter-type") as HTMLSelectElement;
  type.value = "gif";
  type.dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
  expect(get(page, "start-state").textContent).toContain("No photos match these filters");
  click(get(page, "clear-filters"));
  await settle();
  expect(timelineRequests(backend).at(-1)?.filter).toEqual(NO_FILTER);
});

test("the / key focuses the search box from anywhere but a field", async () => {
  const backend = fakeBackend().on("timeline", library);
  const page = await renderApp(backend);
  const input = get(page, "search-input");
  press(document.body, "/");
  expect(document.activeElement).toBe(input);
  (get(page, "filter-after") as HTMLInputElement).focus();
  press(get(page, "filter-after"), "/");
  expect(document.activeElement).toBe(get(page, "filter-after"));
});

test("the settings show the models and the data dir, and switch the model through Rust", async () => {
  const entry = {
    id: "clip-vit-b32",
    name: "CLIP ViT-B/32",
    description: "fast",
    size: 351_000_000,
    size_known: true,
    dims: 512,
    license: "MIT",
    installed: "/data/models/clip-vit-b32",
    current: true,
    next: false,
  };
  const other = { ...entry, id: "clip-vit-l14", name: "CLIP ViT-L/14", dims: 768, current: false };
  const backend = fakeBackend()
    .on("settings", () => ({ models: [entry, other], data_dir: "/data", in_use: "clip-vit-b32", pinned: false, paused: false, indexing_here: true }))
    .on("use_model", () => "Switching to clip-vit-l14: re-indexing in the background");
  const page = await renderApp(backend);
  click(get(page, "open-settings"));
  await settle();
  const models = allByTestId(page, "model");
  expect(models.map((m) => m.dataset.model)).toEqual(["clip-vit-b32", "clip-vit-l14"]);
  expect(models[0]!.textContent).toContain("In use");
  expect(models[0]!.querySelector('[data-testid="model-use"]')).toBeNull();
  expect(get(page, "data-dir").textContent).toBe("/data");

  click(models[1]!.querySelector('[data-testid="model-use"]') as HTMLElement);
  await settle();
  expect(backend.argsOf("use_model")).toEqual([{ id: "clip-vit-l14", now: false }]);
  expect(get(page, "settings-said").textContent).toContain("re-indexing in the background");
});

test("under PHOTOFIND_MODEL the settings name the pinned model and offer no switch", async () => {
  const entry = {
    id: "clip-vit-b32",
    name: "CLIP ViT-B/32",
    description: "fast",
    size: 351_000_000,
    size_known: true,
    dims: 512,
    license: "MIT",
    installed: null,
    current: true,
    next: false,
  };
  const backend = fakeBackend().on("settings", () => ({
    models: [entry],
    data_dir: "/data",
    in_use: "tiny-fixture",
    pinned: true,
    paused: false,
    indexing_here: true,
  }));
  const page = await renderApp(backend);
  click(get(page, "open-settings"));
  await settle();
  expect(get(page, "settings-pinned").textContent).toContain("tiny-fixture");
  expect(get(page, "model-state").textContent).toBe("Chosen, not downloaded");
  expect(byTestId(page, "model-use")).toBeNull();
});

test("the open photo stays open when a new photo lands before it in the timeline", async () => {
  let photos = [
    photo("/home/ann/Pictures/holidays/b.jpg", "2023-07-01T10:00:00"),
    photo("/home/ann/Pictures/holidays/a.jpg", "2021-01-05T10:00:00"),
  ].map((p, i) => ({ ...p, id: i + 1 }));
  const page = (): TimelinePage => ({
    total: photos.length,
    months: [{ month: "2023-07", count: photos.length }],
    offset: 0,
    photos,
  });
  const backend = fakeBackend().on("timeline", page);
  const app = await renderApp(backend);
  await vi.waitFor(() => expect(allByTestId(app, "result")).toHaveLength(2));
  const cells = allByTestId(app, "result");
  cells[1]!.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
  await settle();
  expect(get(app, "preview-path").textContent).toBe("/home/ann/Pictures/holidays/a.jpg");

  photos = [{ ...photo("/home/ann/Pictures/holidays/new.jpg", "2024-01-01T10:00:00"), id: 9 }, ...photos];
  await rustEmits("library-changed");
  await vi.waitFor(() => expect(allByTestId(app, "result")).toHaveLength(3));
  expect(get(app, "preview-path").textContent).toBe("/home/ann/Pictures/holidays/a.jpg");
});

test("the / key closes the viewer and focuses the search", async () => {
  const backend = fakeBackend().on("timeline", library);
  const app = await renderApp(backend);
  await vi.waitFor(() => expect(allByTestId(app, "result")).toHaveLength(3));
  allByTestId(app, "result")[0]!.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
  await settle();
  expect(byTestId(app, "preview")).not.toBeNull();
  press(document.body, "/");
  expect(byTestId(app, "preview")).toBeNull();
  expect(document.activeElement).toBe(get(app, "search-input"));
});
