// The library timeline's data: every month's count, and the photos fetched so far, a page at a
// time as the view scrolls to them. A page asked for twice is fetched once; an answer to an
// older query lands nowhere; pages far from the view are let go, so scrolling through 100,000
// photos does not keep them all.
import { untrack } from "svelte";
import { SvelteMap } from "svelte/reactivity";
import { asIpcError, timeline, type FilterRequest, type MonthCount, type Photo } from "../ipc";
import { TIMELINE_PAGE } from "./timeline";

/** Pages kept at most (10,000 photos); those farthest from the view go first. */
export const CACHED_PAGES = 50;

/** No filter: the whole library. */
export const NO_FILTER: FilterRequest = { folders: [], after: null, before: null, types: [] };

export class Timeline {
  /** Every month holding photos, newest first; their counts sum to `total`. */
  months = $state.raw<MonthCount[]>([]);
  total = $state(0);
  /** The current query's first answer came: until then a `total` of 0 does not mean empty. */
  loaded = $state(false);
  /** Why the latest fetch failed, as Rust put it; null once one succeeds. */
  error = $state<string | null>(null);
  /** Bumped by every `reset`: a new query, which the view shows from its top. */
  query = $state(0);

  /** Pages fetched for the current query, by page index. */
  readonly #pages = new SvelteMap<number, Photo[]>();
  /** Pages from before the library changed, shown until their fresh copy comes. */
  readonly #stale = new SvelteMap<number, Photo[]>();
  readonly #inFlight = new Map<number, Promise<void>>();
  /** The pages the view shows now. */
  #wanted: number[] = [];
  #words = "";
  #filter = NO_FILTER;
  #queries = 0;
  /** Bumped when what was fetched no longer answers what is asked, so it lands nowhere. */
  #generation = 0;

  /** A new query (the words or the filters changed): drops every photo and fetches the first page. */
  reset(words: string, filter: FilterRequest): Promise<void> {
    this.#words = words;
    this.#filter = filter;
    // Written, never read: a reset called from an effect must not make it depend on this.
    this.query = ++this.#queries;
    this.loaded = false;
    this.#stale.clear();
    this.#startOver();
    return this.load(0);
  }

  /** Photos came or went: fetches what the view shows again, showing the old photos meanwhile. */
  async refresh(): Promise<void> {
    for (const [page, photos] of untrack(() => [...this.#pages])) this.#stale.set(page, photos);
    this.#startOver();
    await Promise.all([0, ...this.#wanted].map((page) => this.load(page)));
  }

  /** The view shows these pages now: fetches the missing ones, and the cache keeps near them. */
  view(pages: number[]): void {
    this.#wanted = pages;
    for (const page of pages) void this.load(page);
  }

  /** The `index`-th newest photo; undefined while its page has not come. */
  photoAt(index: number): Photo | undefined {
    const page = Math.floor(index / TIMELINE_PAGE);
    return (this.#pages.get(page) ?? this.#stale.get(page))?.[index - page * TIMELINE_PAGE];
  }

  /** Where the photo with `id` is among the fresh pages (not those shown until re-fetched): a
   * selection follows its photo when new photos shift the ones after them. */
  indexOf(id: number): number | undefined {
    for (const [page, photos] of this.#pages) {
      const at = photos.findIndex((photo) => photo.id === id);
      if (at >= 0) return page * TIMELINE_PAGE + at;
    }
    return undefined;
  }

  /** Fetches page `page` (photos from `page × TIMELINE_PAGE` on) unless it is here or on its way. */
  load(page: number): Promise<void> {
    // Not a dependency of whoever calls this: an effect that loads must not re-run when it lands.
    if (untrack(() => this.#pages.has(page))) return Promise.resolve();
    const pending = this.#inFlight.get(page);
    if (pending !== undefined) return pending;
    const request = this.#fetch(page, this.#generation);
    this.#inFlight.set(page, request);
    return request;
  }

  async #fetch(page: number, generation: number): Promise<void> {
    const request = { words: this.#words, filter: this.#filter, offset: page * TIMELINE_PAGE, limit: TIMELINE_PAGE };
    try {
      const answer = await timeline(request);
      if (generation !== this.#generation) return;
      this.#inFlight.delete(page);
      const changed = !sameMonths(answer.months, this.months);
      const shifted = changed && this.loaded;
      // A new array only when the months changed: the view lays itself out again on each one.
      if (changed) this.months = answer.months;
      this.total = answer.total;
      this.loaded = true;
      this.error = null;
      this.#pages.set(page, answer.photos);
      this.#stale.delete(page);
      if (shifted) this.#shifted(page);
      this.#trim(this.#pages);
      this.#trim(this.#stale);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#inFlight.delete(page);
      this.error = asIpcError(error).message;
    }
  }

  #startOver(): void {
    this.#generation += 1;
    this.#pages.clear();
    this.#inFlight.clear();
  }

  /**
   * The months moved under pages fetched before `page` (the library changed between answers):
   * their photos may now sit one place off, so they are shown until fetched again, not kept.
   */
  #shifted(page: number): void {
    for (const [other, photos] of [...this.#pages]) {
      if (other === page) continue;
      this.#stale.set(other, photos);
      this.#pages.delete(other);
    }
    for (const wanted of this.#wanted) void this.load(wanted);
  }

  /** Lets the pages farthest from the view go, down to CACHED_PAGES. */
  #trim(pages: Map<number, Photo[]>): void {
    if (pages.size <= CACHED_PAGES) return;
    const low = this.#wanted[0] ?? 0;
    const high = this.#wanted.at(-1) ?? low;
    const distance = (page: number) => Math.max(low - page, page - high, 0);
    const farthest = [...pages.keys()].sort((a, b) => distance(b) - distance(a));
    for (const page of farthest.slice(0, pages.size - CACHED_PAGES)) pages.delete(page);
  }
}

function sameMonths(a: readonly MonthCount[], b: readonly MonthCount[]): boolean {
  return a.length === b.length && a.every((month, i) => month.month === b[i]?.month && month.count === b[i]?.count);
}
