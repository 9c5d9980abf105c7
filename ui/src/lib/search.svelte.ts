// The query the user is building (text and images) and the answer on screen. Typing is
// debounced; every run is numbered, and an answer older than the one shown is dropped, so a
// slow early search never replaces the results of a later one.
import {
  asIpcError,
  search,
  stageImage,
  type Chip,
  type FilterRequest,
  type ImageRef,
  type PathJson,
  type ReadBy,
  type Results,
} from "../ipc";
import { pathName, samePath } from "./paths";
import { toggled, unfold, type ShownHit } from "./stacks";
import { NO_FILTER } from "./timeline.svelte";

/** How long typing must pause before a search runs: short, since a search at 100k photos
 * answers in ~60 ms (bench/app), and an answer older than the one shown is dropped. */
export const DEBOUNCE_MS = 75;
/** Results asked for; the grid is virtualised, so a thousand cost little to show. */
export const SEARCH_LIMIT = 1000;

/** An image in the query, with what its chip says. */
export interface QueryImage {
  ref: ImageRef;
  label: string;
}

export class Search {
  text = $state("");
  images = $state<QueryImage[]>([]);
  /** The filters set in the window's fields. */
  filter = $state<FilterRequest>(NO_FILTER);
  /** The filters Rust read out of the words, as removable chips. */
  chips = $state<Chip[]>([]);
  /** The latest answer shown; null when there is nothing to describe (an empty box, or only
   * filters in it): the window shows the timeline then. */
  results = $state<Results | null>(null);
  /** The words the timeline is filtered by: the box's text once Rust said it is only filters. */
  browseWords = $state("");
  /** What went wrong with the latest search or image, as Rust put it. */
  error = $state<string | null>(null);
  /** A search is in flight. */
  busy = $state(false);
  /** Which version of the query `results` answer; a re-run of the same query keeps it. */
  shownQuery = $state(0);
  /** Photos were indexed or removed since `results` came: the page offers to show the new
   * answer instead of re-running a thousand-hit search on every commit. */
  outdated = $state(false);
  /** The multilingual text model that read the shown results' words, and why; null: CLIP did. */
  readBy = $state<ReadBy | null>(null);
  /** The near-duplicate stacks opened in the results, by their tile's photo id. */
  expanded = $state<ReadonlySet<number>>(new Set());

  #timer: ReturnType<typeof setTimeout> | undefined;
  #query = 0;
  #started = 0;
  #shown = 0;

  get isEmpty(): boolean {
    return this.text.trim() === "" && this.images.length === 0;
  }

  /** The results as the grid shows them: stacks as one tile, opened ones followed by theirs. */
  get hits(): ShownHit[] {
    return unfold(this.results?.hits ?? [], this.expanded);
  }

  /** Opens the stack of the tile showing photo `id`, or closes it. */
  toggleStack(id: number): void {
    this.expanded = toggled(this.expanded, id);
  }

  /** The window shows the library's timeline, not search results. */
  get browsing(): boolean {
    return this.results === null;
  }

  /** Changes the filters set in the window. */
  setFilter(change: Partial<FilterRequest>): void {
    this.filter = { ...this.filter, ...change };
    this.#queryChanged();
  }

  /** Removes a filter read out of the words: the box keeps the rest of them. */
  removeChip(chip: Chip): void {
    this.text = chip.without;
    this.#queryChanged();
  }

  /** The user typed: search once they pause. */
  setText(text: string): void {
    this.text = text;
    this.#query += 1;
    this.#cancelTimer();
    // A cleared box drops the answer at once: typing again before the debounce ran must not
    // bring back the old query's results under the new text.
    if (this.isEmpty) return void this.run();
    this.#timer = setTimeout(() => void this.run(), DEBOUNCE_MS);
  }

  addImages(images: QueryImage[]): void {
    const fresh = images.filter((image) => !this.images.some((known) => sameRef(known.ref, image.ref)));
    this.images = [...this.images, ...fresh];
    this.#queryChanged();
  }

  removeImage(index: number): void {
    this.images = this.images.filter((_, i) => i !== index);
    this.#queryChanged();
  }

  /** Replaces the whole query with one photo: "more like this". */
  likePath(path: PathJson): void {
    this.text = "";
    this.images = [pathImage(path)];
    this.#queryChanged();
  }

  /** Reads picked, pasted or dropped files and stages their bytes with Rust. */
  async addFiles(files: File[]): Promise<void> {
    try {
      const staged = await Promise.all(files.map(stageFile));
      this.addImages(staged);
    } catch (error) {
      this.error = asIpcError(error).message;
    }
  }

  /** Runs the current query now; the debounce timer, if any, is dropped. */
  async run(): Promise<void> {
    this.#cancelTimer();
    this.outdated = false;
    const ticket = ++this.#started;
    const query = this.#query;
    if (this.isEmpty) return this.#show(ticket, query, null, null, [], "");
    this.busy = true;
    const text = this.text.trim();
    try {
      const images = this.images.map((image) => image.ref);
      const answer = await search({ text, images, limit: SEARCH_LIMIT, filter: this.filter });
      this.#show(ticket, query, answer.results, null, answer.parsed.chips, answer.results === null ? text : "");
      if (ticket === this.#shown) this.readBy = answer.read_by ?? null;
    } catch (error) {
      this.#show(ticket, query, this.results, asIpcError(error).message, this.chips, this.browseWords);
    } finally {
      if (ticket === this.#started) this.busy = false;
    }
  }

  /** The library changed: the results on screen may be out of date. */
  libraryChanged(): void {
    if (this.results !== null) this.outdated = true;
  }

  /** Stops a pending debounced search, e.g. when the page goes away. */
  dispose(): void {
    this.#cancelTimer();
  }

  #show(
    ticket: number,
    query: number,
    results: Results | null,
    error: string | null,
    chips: Chip[],
    browseWords: string,
  ): void {
    if (ticket < this.#shown) return;
    this.#shown = ticket;
    this.shownQuery = query;
    if (results !== this.results) {
      this.expanded = new Set();
      this.readBy = null;
    }
    this.results = results;
    this.error = error;
    this.chips = chips;
    this.browseWords = browseWords;
  }

  #queryChanged(): void {
    this.#query += 1;
    void this.run();
  }

  #cancelTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** An image in the query by its path, sent back to Rust exactly as it came. */
export function pathImage(path: PathJson): QueryImage {
  return { ref: { kind: "path", path }, label: pathName(path) };
}

async function stageFile(file: File): Promise<QueryImage> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const { token } = await stageImage(bytes);
  return { ref: { kind: "bytes", token }, label: file.name || "pasted image" };
}

function sameRef(a: ImageRef, b: ImageRef): boolean {
  if (a.kind === "path" && b.kind === "path") return samePath(a.path, b.path);
  if (a.kind === "bytes" && b.kind === "bytes") return a.token === b.token;
  return false;
}
