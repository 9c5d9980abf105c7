// The timeline's layout, what a scroll position renders, the year marks, the pages to fetch and
// where the keyboard moves: checked on a small hand-drawn timeline, and on 100,000 photos in 180
// months against a reference that lays out every row.
import { expect, test } from "vitest";
import type { MonthCount } from "../ipc";
import {
  TIMELINE_PAGE,
  blockAt,
  monthLabel,
  moveInTimeline,
  placeOf,
  scrollToPhoto,
  timelineLayout,
  timelineWindow,
  yearAt,
  type TimelineItem,
  type TimelineLayout,
} from "./timeline";

const METRICS = { width: 840, minCell: 168, rowHeight: 168, headerHeight: 40 };

/**
 * 5 columns. June 2021: photos 0-6 (rows 0-4, 5-6), header at 0; May 2021: 7-9, header at
 * 40 + 2 × 168 = 376; December 2020: 10-14, header at 376 + 40 + 168 = 584; 792 px in all.
 */
const SMALL: MonthCount[] = [
  { month: "2021-06", count: 7 },
  { month: "2021-05", count: 3 },
  { month: "2020-12", count: 5 },
];

function small(): TimelineLayout {
  return timelineLayout(SMALL, METRICS);
}

/** 180 months, December 2024 back to January 2010, of uneven sizes (1 to 10,730) summing to 100,000. */
function library(): MonthCount[] {
  const months: MonthCount[] = [];
  for (let i = 0; i < 180; i += 1) {
    const year = 2024 - Math.floor(i / 12);
    const month = 12 - (i % 12);
    months.push({ month: `${year}-${String(month).padStart(2, "0")}`, count: 1 + ((i * 7919) % 1000) });
  }
  const sum = months.reduce((total, month) => total + month.count, 0);
  months[0]!.count += 100_000 - sum;
  return months;
}

/** Every header and row of the whole timeline, laid out one by one: what the window must pick from. */
function everyItem(months: MonthCount[], columns: number): TimelineItem[] {
  const items: TimelineItem[] = [];
  let top = 0;
  let first = 0;
  months.forEach(({ month, count }, b) => {
    items.push({ kind: "month", key: `m${b}`, month, count, top });
    top += METRICS.headerHeight;
    for (let row = 0; row * columns < count; row += 1) {
      const start = first + row * columns;
      items.push({ kind: "row", key: `r${b}:${row}`, month, top, start, end: Math.min(first + count, start + columns) });
      top += METRICS.rowHeight;
    }
    first += count;
  });
  return items;
}

function heightOf(item: TimelineItem): number {
  return item.kind === "month" ? METRICS.headerHeight : METRICS.rowHeight;
}

test("each month is a header and its rows of photos, newest month first", () => {
  expect(small()).toEqual({
    columns: 5,
    rowHeight: 168,
    headerHeight: 40,
    total: 15,
    totalHeight: 792,
    blocks: [
      { month: "2021-06", count: 7, first: 0, top: 0, rows: 2 },
      { month: "2021-05", count: 3, first: 7, top: 376, rows: 1 },
      { month: "2020-12", count: 5, first: 10, top: 584, rows: 1 },
    ],
    years: [
      { year: "2021", top: 0, first: 0 },
      { year: "2020", top: 584, first: 10 },
    ],
  });
});

test("a month listed with no photos takes no room", () => {
  const layout = timelineLayout([SMALL[0]!, { month: "2021-05", count: 0 }, SMALL[2]!], METRICS);
  expect(layout.blocks.map((block) => [block.month, block.first, block.top])).toEqual([
    ["2021-06", 0, 0],
    ["2020-12", 7, 376],
  ]);
});

test.each([
  ["narrower than a cell: still one column", 100, 1, 7 + 3 + 5],
  ["exactly one cell more", 1008, 6, 2 + 1 + 1],
  ["an empty viewport before the first measure", 0, 1, 15],
])("columns: %s", (_what, width, columns, rows) => {
  const layout = timelineLayout(SMALL, { ...METRICS, width });
  expect(layout.columns).toBe(columns);
  expect(layout.totalHeight).toBe(3 * 40 + rows * 168);
});

test("an empty library lays out as nothing", () => {
  const layout = timelineLayout([], METRICS);
  expect(layout).toMatchObject({ total: 0, totalHeight: 0, blocks: [], years: [] });
  expect(timelineWindow(layout, { scrollTop: 0, height: 672, overscanRows: 2 })).toEqual({
    items: [],
    pages: [],
    pageRows: 4,
  });
  expect(moveInTimeline(layout, "ArrowDown", null, 4)).toBeUndefined();
  expect(scrollToPhoto(layout, 0, 0, 672)).toBeUndefined();
});

test("a view taller than the timeline renders all of it, with row ranges across months", () => {
  const { items, pages } = timelineWindow(small(), { scrollTop: 0, height: 2000, overscanRows: 0 });
  expect(items).toEqual([
    { kind: "month", key: "m0", month: "2021-06", count: 7, top: 0 },
    { kind: "row", key: "r0:0", month: "2021-06", top: 40, start: 0, end: 5 },
    { kind: "row", key: "r0:1", month: "2021-06", top: 208, start: 5, end: 7 },
    { kind: "month", key: "m1", month: "2021-05", count: 3, top: 376 },
    { kind: "row", key: "r1:0", month: "2021-05", top: 416, start: 7, end: 10 },
    { kind: "month", key: "m2", month: "2020-12", count: 5, top: 584 },
    { kind: "row", key: "r2:0", month: "2020-12", top: 624, start: 10, end: 15 },
  ]);
  expect(pages).toEqual([0]);
});

test.each([
  // [what, scrollTop, height, overscan rows, keys of the items rendered]
  ["the top, one row high", 0, 168, 0, ["m0", "r0:0"]],
  ["the header scrolled just out", 40, 168, 0, ["r0:0"]],
  ["a row ending where the view starts is left out", 208, 168, 0, ["r0:1"]],
  ["a row starting where the view ends is left out", 0, 208, 0, ["m0", "r0:0"]],
  ["one pixel more shows it", 0, 209, 0, ["m0", "r0:0", "r0:1"]],
  ["across a month boundary", 300, 150, 0, ["r0:1", "m1", "r1:0"]],
  ["without overscan", 420, 100, 0, ["r1:0"]],
  ["overscan adds a row's height each side", 420, 100, 1, ["r0:1", "m1", "r1:0", "m2", "r2:0"]],
  ["scrolled past the end (a shrinking timeline)", 5000, 300, 0, []],
])("the window at %s", (_what, scrollTop, height, overscanRows, keys) => {
  const { items } = timelineWindow(small(), { scrollTop, height, overscanRows });
  expect(items.map((item) => item.key)).toEqual(keys);
});

test("page keys move by the rows that fit in the view", () => {
  expect(timelineWindow(small(), { scrollTop: 0, height: 672, overscanRows: 0 }).pageRows).toBe(4);
  expect(timelineWindow(small(), { scrollTop: 0, height: 100, overscanRows: 0 }).pageRows).toBe(1);
});

test("100,000 photos in 180 months: 180 blocks, 15 years, the height of every row and header", () => {
  const months = library();
  const layout = timelineLayout(months, METRICS);
  const every = everyItem(months, 5);
  const last = every.at(-1)!;

  expect(layout.total).toBe(100_000);
  expect(layout.blocks).toHaveLength(180);
  expect(layout.totalHeight).toBe(last.top + heightOf(last));
  expect(layout.years.map((year) => year.year)).toEqual(
    Array.from({ length: 15 }, (_, i) => String(2024 - i)),
  );
  // Each year starts at its December's header, with December's newest photo.
  for (const year of layout.years) {
    const december = every.find((item) => item.kind === "month" && item.month === `${year.year}-12`)!;
    const firstRow = every[every.indexOf(december) + 1] as Extract<TimelineItem, { kind: "row" }>;
    expect([year.top, year.first]).toEqual([december.top, firstRow.start]);
  }
});

test.each([0, 1, 40, 167_999, 1_234_567, 2_000_000, 3_000_000])(
  "100,000 photos: the window at scrollTop %s is exactly the items that overlap it",
  (scrollTop) => {
    const months = library();
    const layout = timelineLayout(months, METRICS);
    const view = { scrollTop, height: 672, overscanRows: 2 };
    const from = Math.max(0, scrollTop - 2 * 168);
    const to = scrollTop + 672 + 2 * 168;
    const expected = everyItem(months, 5).filter((item) => item.top < to && item.top + heightOf(item) > from);

    const { items, pages } = timelineWindow(layout, view);

    expect(items).toEqual(expected);
    expect(items.length).toBeLessThanOrEqual(10);
    const rows = items.filter((item) => item.kind === "row");
    const firstPage = Math.floor(rows[0]!.start / TIMELINE_PAGE);
    const lastPage = Math.floor((rows.at(-1)!.end - 1) / TIMELINE_PAGE);
    expect(pages).toEqual(Array.from({ length: lastPage - firstPage + 1 }, (_, i) => firstPage + i));
  },
);

test("rendered rows hold consecutive photos across headers, and the pages cover them", () => {
  const layout = timelineLayout(library(), METRICS);
  for (let scrollTop = 0; scrollTop < layout.totalHeight; scrollTop += 9_973) {
    const { items, pages } = timelineWindow(layout, { scrollTop, height: 900, overscanRows: 2 });
    const rows = items.filter((item) => item.kind === "row");
    rows.slice(1).forEach((row, i) => expect(row.start).toBe(rows[i]!.end));
    for (const row of rows) {
      expect(pages).toContain(Math.floor(row.start / TIMELINE_PAGE));
      expect(pages).toContain(Math.floor((row.end - 1) / TIMELINE_PAGE));
    }
  }
});

test("the layout costs O(months): 18 billion photos lay out as fast as a hundred", () => {
  // An O(photos) layout would loop 1.8e10 times here and time out.
  const months = library().map((month) => ({ ...month, count: 100_000_000 }));
  const started = performance.now();
  const layout = timelineLayout(months, METRICS);
  const { items } = timelineWindow(layout, { scrollTop: layout.totalHeight / 2, height: 672, overscanRows: 2 });
  const moved = moveInTimeline(layout, "PageDown", 9_000_000_000, 4);
  expect(performance.now() - started).toBeLessThan(100);
  expect(layout.total).toBe(18_000_000_000);
  expect(items.length).toBeGreaterThan(0);
  expect(moved).toBe(9_000_000_000 + 4 * 5);
});

test("jumping to a year's top shows its newest month's header first", () => {
  const layout = timelineLayout(library(), METRICS);
  for (const year of layout.years) {
    const { items } = timelineWindow(layout, { scrollTop: year.top, height: 672, overscanRows: 0 });
    expect(items[0]).toMatchObject({ kind: "month", month: `${year.year}-12` });
    expect(yearAt(layout, year.top)).toBe(year.year);
    expect(yearAt(layout, year.top - 1)).toBe(year.year === "2024" ? "2024" : String(Number(year.year) + 1));
  }
});

test.each([
  ["above the top", -50, 0],
  ["the first header", 0, 0],
  ["inside the first month's rows", 375, 0],
  ["the second header's first pixel", 376, 1],
  ["the last month", 700, 2],
  ["past the end", 10_000, 2],
])("blockAt: %s", (_what, y, block) => {
  expect(blockAt(small(), y)).toBe(block);
});

test.each([
  [0, { block: 0, row: 0, column: 0 }],
  [6, { block: 0, row: 1, column: 1 }],
  [7, { block: 1, row: 0, column: 0 }],
  [14, { block: 2, row: 0, column: 4 }],
])("photo %s is at %o", (index, place) => {
  expect(placeOf(small(), index)).toEqual(place);
});

// The small timeline in 5 columns:
//   June 2021      0  1  2  3  4
//                  5  6
//   May 2021       7  8  9
//   December 2020 10 11 12 13 14
test.each([
  // [key, from, expected]
  ["ArrowRight", 0, 1],
  ["ArrowRight", 6, 7], // into the next month
  ["ArrowRight", 14, 14],
  ["ArrowLeft", 7, 6], // back into the month before
  ["ArrowLeft", 0, 0],
  ["ArrowDown", 0, 5],
  ["ArrowDown", 3, 6], // a month's short last row: its last photo
  ["ArrowDown", 6, 8], // into the next month's first row, same column
  ["ArrowDown", 9, 12],
  ["ArrowDown", 12, 14], // the last row: to the last photo
  ["ArrowUp", 12, 9],
  ["ArrowUp", 14, 9], // into a shorter row above: its last photo
  ["ArrowUp", 8, 6],
  ["ArrowUp", 9, 6],
  ["ArrowUp", 5, 0],
  ["ArrowUp", 3, 0], // the first row: to the first photo
  ["PageDown", 0, 7],
  ["PageDown", 3, 9], // the column is kept through the short row, then clamped
  ["PageDown", 10, 14],
  ["PageUp", 14, 6],
  ["PageUp", 12, 6],
  ["Home", 9, 0],
  ["End", 3, 14],
  ["ArrowDown", null, 0],
  ["End", null, 0],
  ["ArrowLeft", 99, 13], // a selection left over from a longer timeline
  ["a", 3, undefined],
  ["Enter", 3, undefined],
  ["a", null, undefined],
] as const)("%s from %s selects %s (pages of 2 rows)", (key, from, expected) => {
  expect(moveInTimeline(small(), key, from, 2)).toBe(expected);
});

test.each([
  ["a month's first row above the view: its header comes along", 10, 700, 300, 584],
  ["a later row above the view: the row's top", 6, 300, 300, 208],
  ["below the view: until its bottom shows", 10, 0, 300, 624 + 168 - 300],
  ["in view: stay", 7, 376, 300, undefined],
  ["a first row whose header is cut off: the header again", 0, 20, 300, 0],
])("scrollToPhoto: %s", (_what, index, scrollTop, height, expected) => {
  expect(scrollToPhoto(small(), index, scrollTop, height)).toBe(expected);
});

test.each([
  ["2021-06", "June 2021"],
  ["1999-12", "December 1999"],
  ["2000-01", "January 2000"],
  ["0099-03", "March 99"],
  ["2021-13", "2021-13"],
  ["2021-00", "2021-00"],
  ["unknown", "unknown"],
  ["", ""],
])("monthLabel(%j) is %j", (month, label) => {
  expect(monthLabel(month)).toBe(label);
});

test("monthLabel in another locale", () => {
  expect(monthLabel("2021-06", "de-DE")).toBe("Juni 2021");
});
