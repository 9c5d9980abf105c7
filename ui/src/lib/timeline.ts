// The library timeline's arithmetic: every photo in a virtual grid, month by month, newest first.
// Each month is a header row followed by its photos' rows; photo `i` is the `i`-th newest, so a
// grid row always holds consecutive indices. The layout is built from the months' counts alone
// (O(months), never O(photos)), and what a scroll position needs is found by binary search, so
// 100,000 photos cost what 100 do. Kept apart from the component to be tested without layout.
import type { MonthCount } from "../ipc";

/** Photos asked of Rust at a time (it answers 1000 at most). */
export const TIMELINE_PAGE = 200;

export interface TimelineMetrics {
  /** The scrolling viewport's width, in CSS pixels. */
  width: number;
  /** The smallest width a cell may have; columns stretch to fill the rest. */
  minCell: number;
  rowHeight: number;
  /** Height of a month's header row. */
  headerHeight: number;
}

/** One month's place in the timeline. */
export interface MonthBlock {
  /** `YYYY-MM`, as Rust sent it. */
  month: string;
  count: number;
  /** Index of the month's first (newest) photo. */
  first: number;
  /** Where the month's header sits from the top of the timeline. */
  top: number;
  /** Photo rows under the header. */
  rows: number;
}

/** Where a year starts: the top of its newest month. */
export interface YearMark {
  year: string;
  top: number;
  /** Index of the year's newest photo. */
  first: number;
}

export interface TimelineLayout {
  columns: number;
  rowHeight: number;
  headerHeight: number;
  /** Photos in all. */
  total: number;
  /** Height of the whole timeline, so the scrollbar is right although most rows are absent. */
  totalHeight: number;
  /** The months that hold photos, newest first. */
  blocks: MonthBlock[];
  /** Newest year first. */
  years: YearMark[];
}

export type TimelineItem =
  | { kind: "month"; key: string; month: string; count: number; top: number }
  /** A row of photos: indices `start` inclusive to `end` exclusive. */
  | { kind: "row"; key: string; month: string; top: number; start: number; end: number };

export interface TimelineWindow {
  /** What to put in the DOM, top to bottom: the visible items and the overscan around them. */
  items: TimelineItem[];
  /** The pages (of TIMELINE_PAGE photos) the rendered rows show, in order. */
  pages: number[];
  /** Rows a page key moves by. */
  pageRows: number;
}

export interface TimelineView {
  scrollTop: number;
  /** The viewport's height. */
  height: number;
  /** Rows' worth of pixels rendered above and below the view, so fast scrolling shows no gaps. */
  overscanRows: number;
}

export function timelineLayout(months: readonly MonthCount[], metrics: TimelineMetrics): TimelineLayout {
  const { width, minCell, rowHeight, headerHeight } = metrics;
  const columns = Math.max(1, Math.floor(width / minCell));
  const blocks: MonthBlock[] = [];
  const years: YearMark[] = [];
  let top = 0;
  let first = 0;
  // A month Rust lists with no photos would be a header over nothing.
  for (const { month, count } of months.filter((month) => month.count > 0)) {
    const rows = Math.ceil(count / columns);
    blocks.push({ month, count, first, top, rows });
    const year = month.slice(0, 4);
    if (years.at(-1)?.year !== year) years.push({ year, top, first });
    top += headerHeight + rows * rowHeight;
    first += count;
  }
  return { columns, rowHeight, headerHeight, total: first, totalHeight: top, blocks, years };
}

export function timelineWindow(layout: TimelineLayout, view: TimelineView): TimelineWindow {
  const { blocks, rowHeight, headerHeight, columns } = layout;
  const overscan = view.overscanRows * rowHeight;
  const from = Math.max(0, view.scrollTop - overscan);
  const to = Math.min(layout.totalHeight, view.scrollTop + view.height + overscan);
  const items: TimelineItem[] = [];
  for (let b = blockAt(layout, from); b < blocks.length && blocks[b]!.top < to; b += 1) {
    const block = blocks[b]!;
    if (block.top + headerHeight > from) {
      items.push({ kind: "month", key: `m${b}`, month: block.month, count: block.count, top: block.top });
    }
    const rowsTop = block.top + headerHeight;
    const firstRow = Math.max(0, Math.floor((from - rowsTop) / rowHeight));
    const lastRow = Math.min(block.rows, Math.ceil((to - rowsTop) / rowHeight));
    for (let row = firstRow; row < lastRow; row += 1) {
      const start = block.first + row * columns;
      const end = Math.min(block.first + block.count, start + columns);
      items.push({ kind: "row", key: `r${b}:${row}`, month: block.month, top: rowsTop + row * rowHeight, start, end });
    }
  }
  return { items, pages: pagesOf(items), pageRows: Math.max(1, Math.floor(view.height / rowHeight)) };
}

/** The pages holding the photos of the rows among `items`: one run, since rows are consecutive. */
function pagesOf(items: readonly TimelineItem[]): number[] {
  const rows = items.filter((item) => item.kind === "row");
  const firstRow = rows[0];
  const lastRow = rows.at(-1);
  if (firstRow === undefined || lastRow === undefined) return [];
  const firstPage = Math.floor(firstRow.start / TIMELINE_PAGE);
  const lastPage = Math.floor((lastRow.end - 1) / TIMELINE_PAGE);
  return Array.from({ length: lastPage - firstPage + 1 }, (_, i) => firstPage + i);
}

/** Index of the block that `y` falls in (the last whose header starts at or above it); 0 if none. */
export function blockAt(layout: TimelineLayout, y: number): number {
  return lastAtOrBelow(layout.blocks, y, (block) => block.top);
}

/** The year shown at the top of the view, e.g. to mark it in the year bar. */
export function yearAt(layout: TimelineLayout, scrollTop: number): string | undefined {
  return layout.blocks[blockAt(layout, scrollTop)]?.month.slice(0, 4);
}

/** Where photo `index` sits: its month's block, and its row and column in that month. */
export interface PhotoPlace {
  block: number;
  row: number;
  column: number;
}

export function placeOf(layout: TimelineLayout, index: number): PhotoPlace {
  const block = lastAtOrBelow(layout.blocks, index, (block) => block.first);
  const local = index - (layout.blocks[block]?.first ?? 0);
  return { block, row: Math.floor(local / layout.columns), column: local % layout.columns };
}

/** The last position in `sorted` (ascending by `at`) whose value is <= `value`; 0 if none. */
function lastAtOrBelow<T>(sorted: readonly T[], value: number, at: (item: T) => number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (at(sorted[middle]!) <= value) low = middle;
    else high = middle - 1;
  }
  return Math.max(0, low);
}

/**
 * The selection after a key press, or undefined when the key does not move it. ← and → go one
 * photo, across months too. ↑ and ↓ go to the same column of the row above or below as the eye
 * reads it, the next month's first row included; a shorter row (a month's last) takes its last
 * photo instead. Page keys move as many rows, Home and End to the newest and the oldest photo.
 * Going past either end stops at the first or the last photo, as in the result grid.
 */
export function moveInTimeline(
  layout: TimelineLayout,
  key: string,
  selected: number | null,
  pageRows: number,
): number | undefined {
  const last = layout.total - 1;
  if (last < 0 || !MOVE_KEYS.has(key)) return undefined;
  if (selected === null) return 0;
  const from = Math.min(selected, last);
  switch (key) {
    case "ArrowLeft":
      return Math.max(0, from - 1);
    case "ArrowRight":
      return Math.min(last, from + 1);
    case "ArrowUp":
      return moveRows(layout, from, -1);
    case "ArrowDown":
      return moveRows(layout, from, 1);
    case "PageUp":
      return moveRows(layout, from, -pageRows);
    case "PageDown":
      return moveRows(layout, from, pageRows);
    case "Home":
      return 0;
    default:
      return last;
  }
}

const MOVE_KEYS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End"]);

/** The photo `rows` rows above (negative) or below `index`, in its column where it can be. */
function moveRows(layout: TimelineLayout, index: number, rows: number): number {
  const { blocks, columns, total } = layout;
  const place = placeOf(layout, index);
  let { block, row } = place;
  for (let step = 0; step < Math.abs(rows); step += 1) {
    if (rows > 0) {
      if (row + 1 < blocks[block]!.rows) row += 1;
      else if (block + 1 < blocks.length) [block, row] = [block + 1, 0];
      else return total - 1;
    } else if (row > 0) row -= 1;
    else if (block > 0) [block, row] = [block - 1, blocks[block - 1]!.rows - 1];
    else return 0;
  }
  const target = blocks[block]!;
  return Math.min(target.first + row * columns + place.column, target.first + target.count - 1);
}

/**
 * The scrollTop that brings photo `index` into view, or undefined if it is in view already. A
 * photo in its month's first row brings the month's header along when scrolling up to it.
 */
export function scrollToPhoto(layout: TimelineLayout, index: number, scrollTop: number, height: number): number | undefined {
  const place = placeOf(layout, index);
  const block = layout.blocks[place.block];
  if (block === undefined) return undefined;
  const rowTop = block.top + layout.headerHeight + place.row * layout.rowHeight;
  const wanted = place.row === 0 ? block.top : rowTop;
  if (wanted < scrollTop) return wanted;
  if (rowTop + layout.rowHeight > scrollTop + height) return rowTop + layout.rowHeight - height;
  return undefined;
}

const MONTH = /^(\d{4})-(\d{2})$/;

/** `2021-06` as a header reads it: "June 2021"; text that is not a month is shown as it came. */
export function monthLabel(month: string, locale = "en-US"): string {
  const match = MONTH.exec(month);
  const number = Number(match?.[2]);
  if (match === null || number < 1 || number > 12) return month;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, takes years below 100 as they are.
  date.setUTCFullYear(Number(match[1]), number - 1, 1);
  return new Intl.DateTimeFormat(locale, { month: "long", year: "numeric", timeZone: "UTC" }).format(date);
}
