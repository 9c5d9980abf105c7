// The duplicates view: the groups Rust found, which photo of each to keep, which paths to move to
// the system trash, and what the trash did. Rust picks a keeper per group (first); the user may
// pick another, and untick any photo to keep it too. Choices are kept by path, so they survive a
// refetch (the library changes as the trash is followed by the watcher).
import * as ipc from "../ipc";
import type { DuplicateGroup, DuplicateMember, DuplicatesPage, IpcError, PathJson, Unsubscribe } from "../ipc";
import { pathKey } from "./paths";

/** How long a burst of `library-changed` events is waited out before refetching. */
export const REFRESH_MS = 300;

export interface MemberRow {
  member: DuplicateMember;
  /** `pathKey` of its path. */
  key: string;
  keeper: boolean;
  /** Marked to go to the trash (never the keeper). */
  marked: boolean;
}

export interface GroupRow {
  /** Stable across refetches while the group's first path stays. */
  key: string;
  members: MemberRow[];
  /** Bytes its marked paths take. */
  freed: number;
}

/** What the last move to the trash did: each path moved or failed, or the whole call failed. */
export interface TrashReport {
  moved: PathJson[];
  failed: { path: PathJson; error: string }[];
  error: string | null;
}

/** Groups added to the page at a time. */
export const GROUPS_AT_A_TIME = 100;

export class Duplicates {
  /** Null until the first answer. */
  page = $state.raw<DuplicatesPage | null>(null);
  loading = $state(false);
  /** Why the last load failed (the page, if any, is the one before). */
  error = $state.raw<IpcError | null>(null);
  /** The confirmation is showing. */
  confirming = $state(false);
  trashing = $state(false);
  report = $state.raw<TrashReport | null>(null);

  /** Paths the user picked to keep instead of Rust's keeper. */
  #keepers = $state.raw(new Set<string>());
  /** Paths, not keepers, the user unticked: they stay. */
  #spared = $state.raw(new Set<string>());
  /** Paths moved to the trash: a page asked for before the index followed still holds them. */
  #gone = new Set<string>();
  /** Bumped by each load and trash, so an older answer lands nowhere. */
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Groups on the page so far (more come as the list scrolls): only these can be marked, so
   * nothing the user has not been shown goes to the trash. */
  visible = $state(GROUPS_AT_A_TIME);

  readonly groups: GroupRow[] = $derived(rowsOf(this.page?.groups ?? [], this.#keepers, this.#spared));
  /** Every marked path of the groups shown, in group order. */
  readonly marked: DuplicateMember[] = $derived(
    this.groups
      .slice(0, this.visible)
      .flatMap((group) => group.members.filter((row) => row.marked).map((row) => row.member)),
  );

  /** Shows the next groups. */
  showMore(): void {
    if (this.visible < this.groups.length) this.visible += GROUPS_AT_A_TIME;
  }
  readonly bytes: number = $derived(this.marked.reduce((sum, member) => sum + member.size, 0));

  async load(): Promise<void> {
    const generation = ++this.#generation;
    this.loading = true;
    try {
      const page = await ipc.duplicates();
      if (generation !== this.#generation) return;
      this.page = without(page, this.#gone);
      this.error = null;
    } catch (error) {
      if (generation !== this.#generation) return;
      console.error("loading duplicates", error);
      this.error = ipc.asIpcError(error);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /** Refetches once the library has been quiet for `REFRESH_MS`. */
  async subscribe(): Promise<Unsubscribe> {
    const stop = await ipc.onLibraryChanged(() => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.load(), REFRESH_MS);
    });
    return () => {
      clearTimeout(this.#timer);
      stop();
    };
  }

  /** Ticks or unticks a path that is not its group's keeper. */
  setMarked(row: MemberRow, marked: boolean): void {
    if (row.keeper) return;
    const spared = new Set(this.#spared);
    if (marked) spared.delete(row.key);
    else spared.add(row.key);
    this.#spared = spared;
  }

  /** Keeps `row` instead of its group's keeper, which is marked in its place. */
  makeKeeper(group: GroupRow, row: MemberRow): void {
    const keepers = new Set(this.#keepers);
    const spared = new Set(this.#spared);
    for (const other of group.members) {
      keepers.delete(other.key);
      if (other.keeper) spared.delete(other.key);
    }
    keepers.add(row.key);
    spared.delete(row.key);
    this.#keepers = keepers;
    this.#spared = spared;
  }

  /** The first step: nothing goes before the user says yes. */
  askTrash(): void {
    if (this.marked.length > 0 && !this.trashing) this.confirming = true;
  }

  cancelTrash(): void {
    this.confirming = false;
  }

  /** Moves the marked paths to the trash (as Rust sent them) and drops the moved ones at once. */
  async trash(): Promise<void> {
    const paths = [...new Map(this.marked.map((member) => [pathKey(member.path), member.path])).values()];
    this.confirming = false;
    if (paths.length === 0 || this.trashing) return;
    this.trashing = true;
    this.report = null;
    // A page asked for before the trash would bring the moved paths back.
    this.#generation += 1;
    this.loading = false;
    try {
      const answers = await ipc.trashPhotos(paths);
      const sent = new Map(paths.map((path) => [pathKey(path), path]));
      const report: TrashReport = { moved: [], failed: [], error: null };
      for (const answer of answers) {
        const path = sent.get(pathKey(answer.path)) ?? answer.path;
        if (answer.error === null) report.moved.push(path);
        else report.failed.push({ path, error: answer.error });
      }
      for (const path of report.moved) this.#gone.add(pathKey(path));
      if (this.page !== null) this.page = without(this.page, this.#gone);
      this.report = report;
    } catch (error) {
      console.error("moving duplicates to the trash", error);
      this.report = { moved: [], failed: [], error: ipc.asIpcError(error).message };
    } finally {
      this.trashing = false;
    }
  }

  dismissReport(): void {
    this.report = null;
  }
}

/** The group's keeper: the path the user picked, else the one Rust marked (its first). */
function keeperAt(keys: string[], group: DuplicateGroup, keepers: ReadonlySet<string>): number {
  const chosen = keys.findIndex((key) => keepers.has(key));
  if (chosen >= 0) return chosen;
  return Math.max(0, group.photos.findIndex((member) => member.keep));
}

export function rowsOf(groups: DuplicateGroup[], keepers: ReadonlySet<string>, spared: ReadonlySet<string>): GroupRow[] {
  const seen = new Set<string>();
  return groups.map((group, index) => {
    const keys = group.photos.map((member) => pathKey(member.path));
    const keeper = keeperAt(keys, group, keepers);
    const members = group.photos.map((member, i) => {
      const key = keys[i] ?? "";
      return { member, key, keeper: i === keeper, marked: i !== keeper && !spared.has(key) };
    });
    let key = keys[0] ?? `#${index}`;
    if (seen.has(key)) key = `${key}#${index}`;
    seen.add(key);
    const freed = members.reduce((sum, row) => sum + (row.marked ? row.member.size : 0), 0);
    return { key, members, freed };
  });
}

/** Bytes that keeping only Rust's keeper of `photos` frees. */
function freedBy(photos: DuplicateMember[]): number {
  const keeper = Math.max(0, photos.findIndex((member) => member.keep));
  return photos.reduce((sum, member, i) => sum + (i === keeper ? 0 : member.size), 0);
}

/**
 * The page without the `gone` paths: a group left with one photo is no longer a group, and the
 * counts follow. A group that lost Rust's keeper keeps the order; its first photo leads.
 */
export function without(page: DuplicatesPage, gone: ReadonlySet<string>): DuplicatesPage {
  if (gone.size === 0) return page;
  let { total, photos, freed } = page;
  const groups: DuplicateGroup[] = [];
  for (const group of page.groups) {
    const left = group.photos.filter((member) => !gone.has(pathKey(member.path)));
    if (left.length === group.photos.length) {
      groups.push(group);
      continue;
    }
    const still = left.length > 1;
    freed -= freedBy(group.photos) - (still ? freedBy(left) : 0);
    photos -= group.photos.length - (still ? left.length : 0);
    if (still) groups.push({ photos: left });
    else total -= 1;
  }
  return { total: Math.max(0, total), photos: Math.max(0, photos), freed: Math.max(0, freed), groups };
}
