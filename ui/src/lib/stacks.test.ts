// Stacked results: a group is one tile until expanded, then its photos follow it in order.
import { expect, test } from "vitest";
import type { Hit, Photo } from "../ipc";
import { stackSize, toggled, unfold } from "./stacks";

function photo(id: number): Photo {
  return {
    path: `/p/${id}.jpg`,
    paths: [`/p/${id}.jpg`],
    offline: false,
    captured: null,
    taken: "2020-01-01T00:00:00",
    format: "jpeg",
    width: 10,
    height: 10,
    size: 100,
    id,
  };
}

function hit(id: number, score: number, also: number[] = []): Hit {
  return { ...photo(id), score, z: 3, good: true, also: also.length > 0 ? also.map(photo) : undefined };
}

const HITS = [hit(1, 0.9, [7, 8]), hit(2, 0.8), hit(3, 0.7, [9])];

test("closed stacks are one tile each", () => {
  expect(unfold(HITS, new Set()).map((h) => h.id)).toEqual([1, 2, 3]);
  expect(HITS.map(stackSize)).toEqual([2, 0, 1]);
});

test("an expanded stack's photos follow its tile, with its scores and marked as under it", () => {
  const shown = unfold(HITS, new Set([1]));
  expect(shown.map((h) => h.id)).toEqual([1, 7, 8, 2, 3]);
  expect(shown[1]).toMatchObject({ under: 1, score: 0.9, good: true, also: undefined });
  expect(shown[0]?.under).toBeUndefined();
  expect(unfold(HITS, new Set([1, 3])).map((h) => h.id)).toEqual([1, 7, 8, 2, 3, 9]);
});

test("toggling opens then closes a stack without touching the others", () => {
  const open = toggled(new Set([3]), 1);
  expect([...open].sort()).toEqual([1, 3]);
  expect([...toggled(open, 1)]).toEqual([3]);
});
