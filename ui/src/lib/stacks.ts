// Near-duplicate stacks in the results: Rust sends each group as one hit (the best-ranked) with
// the group's other photos in `also`; an expanded stack shows them right after its tile.
import type { Hit } from "../ipc";

/** A hit as the grid shows it: `under` is the tile a photo of an expanded stack belongs to. */
export type ShownHit = Hit & { under?: number };

/** The photos a stacked tile stands for besides itself. */
export function stackSize(hit: Hit): number {
  return hit.also?.length ?? 0;
}

/** `hits` with the stacks in `expanded` (by their tile's photo id) laid out after their tile;
 * the others stay one tile. A stack's photos take its tile's scores: they are its near copies. */
export function unfold(hits: Hit[], expanded: ReadonlySet<number>): ShownHit[] {
  if (expanded.size === 0) return hits;
  const shown: ShownHit[] = [];
  for (const hit of hits) {
    shown.push(hit);
    if (!expanded.has(hit.id)) continue;
    for (const photo of hit.also ?? []) {
      shown.push({ ...photo, also: undefined, score: hit.score, z: hit.z, good: hit.good, under: hit.id });
    }
  }
  return shown;
}

/** `expanded` with `id`'s stack opened, or closed if it was open. */
export function toggled(expanded: ReadonlySet<number>, id: number): Set<number> {
  const next = new Set(expanded);
  if (!next.delete(id)) next.add(id);
  return next;
}
