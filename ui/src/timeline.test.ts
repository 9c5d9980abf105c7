// The library timeline through the real ipc.ts: the state fetching its pages (de-duplicated,
// stale answers dropped, far pages let go, a changed library), and the component on top of it
// (headers, cells, placeholders, the year bar, the keyboard).
import { clearMocks } from "@tauri-apps/api/mocks";
import { flushSync, mount, unmount } from "svelte";
import { afterEach, expect, test, vi } from "vitest";
import TimelineView from "./components/Timeline.svelte";
import type { FilterRequest, MonthCount, Photo, TimelinePage, TimelineRequest } from "./ipc";
import { TIMELINE_PAGE } from "./lib/timeline";
import { CACHED_PAGES, NO_FILTER, Timeline } from "./lib/timeline.svelte";
import { allByTestId, click, deferred, fakeBackend, get, press, settle, type FakeBackend } from "./test/backend";

let mounted: Record<string, unknown> | undefined;

afterEach(async () => {
  if (mounted) unmount(mounted);
  mounted = undefined;
  await settle();
  clearMocks();
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

/** June 2021: photos 0-6, May 2021: 7-9, December 2019: 10-14. */
const SMALL: MonthCount[] = [
  { month: "2021-06", count: 7 },
  { month: "2021-05", count: 3 },
  { month: "2019-12", count: 5 },
];

/** 180 months of 555 or 556 photos, December 2024 back to January 2010: 100,000 photos. */
const LARGE: MonthCount[] = Array.from({ length: 180 }, (_, i) => ({
  month: `${2024 - Math.floor(i / 12)}-${String(12 - (i % 12)).padStart(2, "0")}`,
  count: i < 100 ? 556 : 555,
}));

function photo(path: string, fields: Partial<Photo> = {}): Photo {
  return {
    path,
    paths: [path],
    offline: false,
    captured: null,
    taken: "2021-06-14T18:03:00",
    format: "jpeg",
    width: 4032,
    height: 3024,
    size: 2_400_000,
    id: 0,
    ...fields,
  };
}

/** The `index`-th newest photo of `months`: /photos/<its month>/<index>.jpg. */
function photoOf(months: readonly MonthCount[], index: number): Photo {
  let first = 0;
  const month = months.find(({ count }) => (first += count) > index)?.month ?? "none";
  return photo(`/photos/${month}/${index}.jpg`, { id: index });
}

/** Answers `timeline` as Rust would for a library of `months`; `edit` may change a photo. */
function library(months: readonly MonthCount[], edit: (photo: Photo) => Photo = (photo) => photo) {
  return ({ request }: { request: TimelineRequest }): TimelinePage => {
    const total = months.reduce((sum, month) => sum + month.count, 0);
    const end = Math.min(total, request.offset + request.limit);
    const photos = [];
    for (let index = request.offset; index < end; index += 1) photos.push(edit(photoOf(months, index)));
    return { total, months: [...months], offset: request.offset, photos };
  };
}

function requests(backend: FakeBackend): TimelineRequest[] {
  return backend.argsOf("timeline").map((args) => (args as { request: TimelineRequest }).request);
}

function offsets(backend: FakeBackend): number[] {
  return requests(backend).map((request) => request.offset);
}

const offsetOf = (page: number) => page * TIMELINE_PAGE;

// --- The state ---

test("reset asks for the first page of the query and takes the months from it", async () => {
  const backend = fakeBackend().on("timeline", library(LARGE));
  const timeline = new Timeline();
  const filter: FilterRequest = { folders: ["/photos"], after: "2019", before: null, types: ["jpeg"] };

  await timeline.reset("beach", filter);

  expect(requests(backend)).toEqual([{ words: "beach", filter, offset: 0, limit: TIMELINE_PAGE }]);
  expect(timeline).toMatchObject({ total: 100_000, months: LARGE, loaded: true, error: null });
  expect(timeline.photoAt(0)?.path).toBe("/photos/2024-12/0.jpg");
  expect(timeline.photoAt(TIMELINE_PAGE - 1)?.path).toBe(`/photos/2024-12/${TIMELINE_PAGE - 1}.jpg`);
  expect(timeline.photoAt(TIMELINE_PAGE)).toBeUndefined();
});

test("a page asked for twice while on its way is fetched once, and not again once here", async () => {
  const backend = fakeBackend().on("timeline", library(LARGE));
  const timeline = new Timeline();
  await timeline.reset("", NO_FILTER);

  await Promise.all([timeline.load(3), timeline.load(3), timeline.view([2, 3, 4])]);
  await timeline.load(3);

  expect(offsets(backend)).toEqual([0, offsetOf(3), offsetOf(2), offsetOf(4)]);
  expect(timeline.photoAt(offsetOf(3) + 5)?.path).toBe(photoOf(LARGE, offsetOf(3) + 5).path);
  expect(timeline.photoAt(offsetOf(4))?.id).toBe(offsetOf(4));
});

test("the answer to an older reset lands nowhere, however late it comes", async () => {
  const backend = fakeBackend();
  const answers = [deferred<TimelinePage>(), deferred<TimelinePage>()];
  backend.on("timeline", () => answers[requests(backend).length - 1]?.promise);
  const timeline = new Timeline();

  const first = timeline.reset("cat", NO_FILTER);
  const second = timeline.reset("dog", NO_FILTER);
  answers[1]!.resolve(library(SMALL)({ request: requests(backend)[1]! }));
  await second;
  answers[0]!.resolve(library(LARGE)({ request: requests(backend)[0]! }));
  await first;

  expect(requests(backend).map((request) => request.words)).toEqual(["cat", "dog"]);
  expect(timeline.total).toBe(15);
  expect(timeline.months).toEqual(SMALL);
  expect(timeline.photoAt(0)?.path).toBe("/photos/2021-06/0.jpg");
});

test("a page of the old query that lands after a reset is not kept, and is fetched again", async () => {
  const backend = fakeBackend();
  const late = deferred<TimelinePage>();
  backend.on("timeline", (args: { request: TimelineRequest }) =>
    args.request.words === "old" && args.request.offset > 0 ? late.promise : library(LARGE)(args),
  );
  const timeline = new Timeline();
  await timeline.reset("old", NO_FILTER);
  const old = timeline.load(2);

  await timeline.reset("new", NO_FILTER);
  late.resolve(library(LARGE)({ request: requests(backend)[1]! }));
  await old;
  expect(timeline.photoAt(offsetOf(2))).toBeUndefined();

  await timeline.load(2);
  expect(requests(backend).map((request) => [request.words, request.offset])).toEqual([
    ["old", 0],
    ["old", offsetOf(2)],
    ["new", 0],
    ["new", offsetOf(2)],
  ]);
  expect(timeline.photoAt(offsetOf(2))?.id).toBe(offsetOf(2));
});

test("a failed page says why, can be asked for again, and a success clears the error", async () => {
  let failing = true;
  const backend = fakeBackend().on("timeline", (args: { request: TimelineRequest }) => {
    if (failing && args.request.offset > 0) throw { kind: "store", message: "the index is locked" };
    return library(LARGE)(args);
  });
  const timeline = new Timeline();
  await timeline.reset("", NO_FILTER);

  await timeline.load(1);
  expect(timeline.error).toBe("the index is locked");
  expect(timeline.photoAt(offsetOf(1))).toBeUndefined();

  failing = false;
  await timeline.load(1);
  expect(timeline.error).toBeNull();
  expect(timeline.photoAt(offsetOf(1))?.id).toBe(offsetOf(1));
  expect(offsets(backend)).toEqual([0, offsetOf(1), offsetOf(1)]);
});

test("scrolling through every page keeps only the CACHED_PAGES nearest the view", async () => {
  const backend = fakeBackend().on("timeline", library(LARGE));
  const timeline = new Timeline();
  await timeline.reset("", NO_FILTER);
  const pages = Math.ceil(100_000 / TIMELINE_PAGE);

  for (let at = 0; at < pages; at += 1) timeline.view([at]);
  await settle();

  const kept = Array.from({ length: pages }, (_, at) => at).filter((at) => timeline.photoAt(offsetOf(at)) !== undefined);
  expect(kept).toEqual(Array.from({ length: CACHED_PAGES }, (_, i) => pages - CACHED_PAGES + i));
  expect(offsets(backend)).toHaveLength(pages);
});

test("refresh shows the photos it has until their new copies come", async () => {
  const backend = fakeBackend();
  let edition = "old";
  const pending: ReturnType<typeof deferred<TimelinePage>>[] = [];
  backend.on("timeline", (args: { request: TimelineRequest }) => {
    const answer = library(LARGE, (photo) => ({ ...photo, format: edition }))(args);
    if (edition === "old") return answer;
    const later = deferred<TimelinePage>();
    pending.push(later);
    return later.promise.then(() => answer);
  });
  const timeline = new Timeline();
  await timeline.reset("", NO_FILTER);
  timeline.view([3]);
  await settle();

  edition = "new";
  const refreshed = timeline.refresh();
  expect(offsets(backend)).toEqual([0, offsetOf(3), 0, offsetOf(3)]);
  expect([timeline.photoAt(0)?.format, timeline.photoAt(offsetOf(3))?.format]).toEqual(["old", "old"]);

  pending.forEach((later) => later.resolve(undefined as never));
  await refreshed;
  expect([timeline.photoAt(0)?.format, timeline.photoAt(offsetOf(3))?.format]).toEqual(["new", "new"]);
});

test("months that moved between two answers: the older pages are fetched again", async () => {
  let months = SMALL;
  const backend = fakeBackend().on("timeline", (args: { request: TimelineRequest }) => library(months)(args));
  const timeline = new Timeline();
  await timeline.reset("", NO_FILTER);
  timeline.view([0]);

  // A photo of June 2021 was added: the page asked for next carries the new months.
  months = [{ month: "2021-06", count: 8 }, ...SMALL.slice(1)];
  await timeline.load(1);
  await settle();

  expect(timeline.total).toBe(16);
  expect(offsets(backend)).toEqual([0, offsetOf(1), 0]);
  expect(timeline.photoAt(7)?.path).toBe("/photos/2021-06/7.jpg");
});

// --- The component ---

interface Rendered {
  page: HTMLElement;
  viewport: HTMLElement;
  onselect: ReturnType<typeof vi.fn>;
  onopen: ReturnType<typeof vi.fn>;
  component: { focus: () => void };
}

/** Mounts the timeline in an 840 × 672 viewport (5 columns of 168 px, 4 rows in view). */
async function renderTimeline(timeline: Timeline, selected: number | null = null): Promise<Rendered> {
  vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(840);
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(672);
  const page = document.body.appendChild(document.createElement("div"));
  const onselect = vi.fn();
  const onopen = vi.fn();
  const component = mount(TimelineView, { target: page, props: { timeline, selected, onselect, onopen } });
  mounted = component;
  await settle();
  return { page, viewport: get(page, "timeline"), onselect, onopen, component };
}

async function loaded(months: readonly MonthCount[], edit?: (photo: Photo) => Photo): Promise<[FakeBackend, Timeline]> {
  const backend = fakeBackend().on("timeline", library(months, edit));
  const timeline = new Timeline();
  await timeline.reset("", NO_FILTER);
  return [backend, timeline];
}

function texts(page: HTMLElement, id: string): string[] {
  return allByTestId(page, id).map((element) => element.textContent?.trim().replace(/\s+/g, " ") ?? "");
}

function paths(page: HTMLElement): string[] {
  return allByTestId(page, "result").map((cell) => cell.dataset.path ?? "");
}

function scroll(viewport: HTMLElement, top: number): void {
  viewport.scrollTop = top;
  viewport.dispatchEvent(new Event("scroll"));
  flushSync();
}

test("months show as headers with their counts, and their photos as cells carrying their path", async () => {
  const [, timeline] = await loaded(SMALL);
  const { page } = await renderTimeline(timeline);

  expect(texts(page, "month")).toEqual(["June 2021 7 photos", "May 2021 3 photos", "December 2019 5 photos"]);
  expect(paths(page)).toEqual(Array.from({ length: 15 }, (_, i) => photoOf(SMALL, i).path));
  const first = allByTestId(page, "result")[0]!;
  expect(first.id).toBe("photo-0");
  expect(first.querySelector("img")?.getAttribute("src")).toBe("thumb://localhost/%2Fphotos%2F2021-06%2F0.jpg?v=0");
});

test("a month of one photo says photo", async () => {
  const [, timeline] = await loaded([{ month: "2020-02", count: 1 }]);
  const { page } = await renderTimeline(timeline);
  expect(texts(page, "month")).toEqual(["February 2020 1 photo"]);
});

test("of 100,000 photos only the rows in view are in the DOM, and only their pages are fetched", async () => {
  const [backend, timeline] = await loaded(LARGE);
  const { page, viewport } = await renderTimeline(timeline);

  // 672 px and two rows of overscan below: a 48 px header and 6 rows of 5.
  expect(allByTestId(page, "result")).toHaveLength(30);
  expect(offsets(backend)).toEqual([0]);
  expect(texts(page, "month")).toEqual(["December 2024 556 photos"]);

  // The middle of the library: a page not fetched yet shows placeholders, then its photos.
  scroll(viewport, Math.floor(timeline.total / 2 / 5) * 168);
  const waiting = allByTestId(page, "placeholder").length;
  expect(waiting).toBeGreaterThan(0);
  expect(allByTestId(page, "result")).toHaveLength(0);
  await settle();

  expect(allByTestId(page, "placeholder")).toHaveLength(0);
  const shown = paths(page);
  expect(shown).toHaveLength(waiting);
  expect(shown.length).toBeLessThanOrEqual(50);
  const indices = shown.map((path) => Number(/(\d+)\.jpg$/.exec(path)![1]));
  const wanted = [...new Set(indices.map((index) => Math.floor(index / TIMELINE_PAGE)))];
  expect(offsets(backend)).toEqual([0, ...wanted.map(offsetOf)]);
  expect(shown).toEqual(indices.map((index) => photoOf(LARGE, index).path));
});

test("the year bar lists each year, newest first, and a year scrolls to its newest month", async () => {
  const [, timeline] = await loaded(SMALL);
  const { page, viewport } = await renderTimeline(timeline);
  const years = allByTestId(get(page, "years"), "year");
  expect(years.map((year) => year.textContent)).toEqual(["2021", "2019"]);
  expect(years[0]!.getAttribute("aria-current")).toBe("true");

  click(years[1]!);

  // June's header and 2 rows, May's header and row: 48 + 336 + 48 + 168.
  expect(viewport.scrollTop).toBe(600);
  expect(years[1]!.getAttribute("aria-current")).toBe("true");
  expect(years[0]!.hasAttribute("aria-current")).toBe(false);
  expect(texts(page, "month")).toContain("December 2019 5 photos");
});

test("jumping to a year far down the library fetches the pages there", async () => {
  const [backend, timeline] = await loaded(LARGE);
  const { page } = await renderTimeline(timeline);
  const year2010 = allByTestId(page, "year").find((year) => year.textContent === "2010")!;

  click(year2010);
  await settle();

  expect(texts(page, "month")[0]).toBe("December 2010 555 photos");
  // 2024 back to 2011 are 14 years of 12 months; the first 100 months hold 556.
  const first = 100 * 556 + 68 * 555;
  // Two rows of overscan above it: January 2011's last 10 photos.
  expect(paths(page).slice(0, 11)).toEqual(Array.from({ length: 11 }, (_, i) => photoOf(LARGE, first - 10 + i).path));
  expect(paths(page)[10]).toBe(`/photos/2010-12/${first}.jpg`);
  expect(offsets(backend)).toContain(Math.floor(first / TIMELINE_PAGE) * TIMELINE_PAGE);
});

test.each([
  // [key, selected, expected]: June 2021 holds 0-4 and 5-6, May 2021 7-9, December 2019 10-14
  ["ArrowRight", 6, 7],
  ["ArrowDown", 6, 8],
  ["ArrowDown", 3, 6],
  ["ArrowUp", 12, 9],
  ["End", 0, 14],
  ["Home", 9, 0],
  ["ArrowDown", null, 0],
] as const)("%s from %s selects %s", async (key, selected, expected) => {
  const [, timeline] = await loaded(SMALL);
  const { viewport, onselect } = await renderTimeline(timeline, selected);
  press(viewport, key);
  expect(onselect).toHaveBeenCalledWith(expected);
});

test("Enter opens the selected photo, a double click any photo", async () => {
  const [, timeline] = await loaded(SMALL);
  const { page, viewport, onopen, onselect } = await renderTimeline(timeline, 3);
  expect(viewport.getAttribute("aria-activedescendant")).toBe("photo-3");
  expect(allByTestId(page, "result")[3]!.getAttribute("aria-selected")).toBe("true");

  press(viewport, "Enter");
  expect(onopen).toHaveBeenCalledWith(3);

  const cell = allByTestId(page, "result")[8]!;
  click(cell);
  expect(onselect).toHaveBeenCalledWith(8);
  cell.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
  expect(onopen).toHaveBeenLastCalledWith(8);
});

test("a selection out of view is scrolled to", async () => {
  const [, timeline] = await loaded(LARGE);
  const { viewport, page } = await renderTimeline(timeline, 5_000);
  await settle();
  expect(viewport.scrollTop).toBeGreaterThan(0);
  expect(paths(page)).toContain(photoOf(LARGE, 5_000).path);
});

test("focus takes the keyboard and selects the newest photo", async () => {
  const [, timeline] = await loaded(SMALL);
  const { viewport, onselect, component } = await renderTimeline(timeline);
  component.focus();
  expect(document.activeElement).toBe(viewport);
  expect(onselect).toHaveBeenCalledWith(0);
});

test("an offline photo carries the offline badge", async () => {
  const [, timeline] = await loaded(SMALL, (photo) => ({ ...photo, offline: photo.id === 1 }));
  const { page } = await renderTimeline(timeline);
  const badges = allByTestId(page, "result").map((cell) => cell.querySelector(".badge")?.textContent ?? null);
  expect(badges.slice(0, 3)).toEqual([null, "offline", null]);
});

test("an empty timeline shows nothing itself", async () => {
  const [, timeline] = await loaded([]);
  const { page, viewport } = await renderTimeline(timeline);
  expect(viewport.textContent?.trim()).toBe("");
  expect(allByTestId(page, "year")).toEqual([]);
  expect(page.querySelector('[data-testid="years"]')).toBeNull();
});

test("a new query starts at the top", async () => {
  const [, timeline] = await loaded(LARGE);
  const { viewport, page } = await renderTimeline(timeline);
  scroll(viewport, 50_000);

  await timeline.reset("beach", NO_FILTER);
  flushSync();

  expect(viewport.scrollTop).toBe(0);
  expect(texts(page, "month")[0]).toBe("December 2024 556 photos");
});
