// Which cells of a long result grid are worth putting in the DOM, and where the keyboard moves.
// Kept apart from the component so the arithmetic is tested without a layout engine.

export interface GridGeometry {
  /** Results in the whole grid. */
  count: number;
  /** The scrolling viewport, in CSS pixels. */
  width: number;
  height: number;
  scrollTop: number;
  /** The smallest width a cell may have; columns stretch to fill the rest. */
  minCell: number;
  rowHeight: number;
  /** Rows kept in the DOM above and below the visible ones, so fast scrolling shows no gaps. */
  overscanRows: number;
}

export interface GridWindow {
  columns: number;
  /** Height of the whole grid, so the scrollbar is right although most rows are absent. */
  totalHeight: number;
  /** Index range of the results to render: `start` inclusive, `end` exclusive. */
  start: number;
  end: number;
  /** Where the first rendered row sits from the top of the grid. */
  offsetTop: number;
  /** Rows a page key moves by. */
  pageRows: number;
}

export function gridWindow(geometry: GridGeometry): GridWindow {
  const { count, width, height, scrollTop, minCell, rowHeight, overscanRows } = geometry;
  const columns = Math.max(1, Math.floor(width / minCell));
  const rows = Math.ceil(count / columns);
  // A row cut at the top and one cut at the bottom can both be in view: hence the + 1.
  const visibleRows = Math.ceil(height / rowHeight) + 1;
  const topRow = Math.floor(scrollTop / rowHeight);
  const firstRow = Math.max(0, topRow - overscanRows);
  const lastRow = Math.min(rows, topRow + visibleRows + overscanRows);
  return {
    columns,
    totalHeight: rows * rowHeight,
    start: firstRow * columns,
    end: Math.min(count, lastRow * columns),
    offsetTop: firstRow * rowHeight,
    pageRows: Math.max(1, Math.floor(height / rowHeight)),
  };
}

/** The selection after a key press, or undefined when the key does not move it. */
export function moveSelection(
  key: string,
  selected: number | null,
  count: number,
  columns: number,
  pageRows: number,
): number | undefined {
  if (count === 0) return undefined;
  if (selected === null) return isMoveKey(key) ? 0 : undefined;
  const step = STEPS[key]?.(columns, pageRows, count);
  if (step === undefined) return undefined;
  return Math.min(count - 1, Math.max(0, selected + step));
}

const STEPS: Record<string, (columns: number, pageRows: number, count: number) => number> = {
  ArrowLeft: () => -1,
  ArrowRight: () => 1,
  ArrowUp: (columns) => -columns,
  ArrowDown: (columns) => columns,
  PageUp: (columns, pageRows) => -columns * pageRows,
  PageDown: (columns, pageRows) => columns * pageRows,
  Home: (_columns, _pageRows, count) => -count,
  End: (_columns, _pageRows, count) => count,
};

function isMoveKey(key: string): boolean {
  return key in STEPS;
}

/** The scrollTop that brings a row into view, or undefined if it is already in view. */
export function scrollToRow(row: number, rowHeight: number, scrollTop: number, height: number): number | undefined {
  const top = row * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + height) return top + rowHeight - height;
  return undefined;
}
