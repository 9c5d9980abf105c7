// The virtual grid's arithmetic and where the keyboard moves the selection.
import { expect, test } from "vitest";
import { gridWindow, moveSelection, scrollToRow } from "./grid";

const GEOMETRY = { count: 1000, width: 840, height: 672, scrollTop: 0, minCell: 168, rowHeight: 168, overscanRows: 2 };

test.each([
  // [what, geometry, expected window]
  ["at the top: visible rows and the overscan below", {}, { columns: 5, start: 0, end: 35, offsetTop: 0 }],
  ["mid-way: overscan on both sides", { scrollTop: 100 * 168 }, { columns: 5, start: 490, end: 535, offsetTop: 98 * 168 }],
  ["at the bottom: clamped to the last row", { scrollTop: 200 * 168 - 672 }, { columns: 5, start: 970, end: 1000, offsetTop: 194 * 168 }],
  ["narrower than a cell: still one column", { width: 100 }, { columns: 1, start: 0, end: 7 }],
  ["fewer results than fit", { count: 3 }, { columns: 5, start: 0, end: 3 }],
  ["no results", { count: 0 }, { start: 0, end: 0, totalHeight: 0 }],
])("gridWindow %s", (_what, change, expected) => {
  expect(gridWindow({ ...GEOMETRY, ...change })).toMatchObject(expected);
});

test("the grid is as tall as all its rows", () => {
  expect(gridWindow(GEOMETRY).totalHeight).toBe(200 * 168);
  expect(gridWindow({ ...GEOMETRY, count: 1001 }).totalHeight).toBe(201 * 168);
});

test.each([
  // [key, from, expected]: 23 results in 5 columns, pages of 4 rows
  ["ArrowRight", 0, 1],
  ["ArrowLeft", 0, 0],
  ["ArrowDown", 2, 7],
  ["ArrowDown", 20, 22],
  ["ArrowUp", 7, 2],
  ["ArrowUp", 3, 0],
  ["PageDown", 0, 20],
  ["PageUp", 22, 2],
  ["Home", 17, 0],
  ["End", 3, 22],
  ["ArrowDown", null, 0],
  ["a", 3, undefined],
  ["a", null, undefined],
] as const)("%s from %s selects %s", (key, from, expected) => {
  expect(moveSelection(key, from, 23, 5, 4)).toBe(expected);
});

test("nothing to select in an empty grid", () => {
  expect(moveSelection("ArrowDown", null, 0, 5, 4)).toBeUndefined();
});

test.each([
  ["above the view: scroll up to it", 2, 1000, 336],
  ["below the view: scroll until its bottom shows", 10, 0, 11 * 168 - 672],
  ["in view: stay", 2, 0, undefined],
])("scrollToRow %s", (_what, row, scrollTop, expected) => {
  expect(scrollToRow(row, 168, scrollTop, 672)).toBe(expected);
});
