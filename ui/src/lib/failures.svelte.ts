// The files that could not be indexed, fetched a page at a time when the user asks to see
// them. A library may hold a million broken files, and the status comes several times a
// second: the count rides on the status, the rows are fetched only on request.
import * as ipc from "../ipc";
import type { FailureInfo } from "../ipc";
import type { Alerts } from "./alerts.svelte";
import { pathKey } from "./paths";

/** Rows fetched at a time. */
export const FAILURE_PAGE = 100;

export class Failures {
  /** The list is open. */
  shown = $state(false);
  /** The rows fetched so far, in path order. */
  rows = $state<FailureInfo[]>([]);
  /** How many failures the index held when the rows were fetched. */
  total = $state(0);
  /** A page is on its way. */
  loading = $state(false);

  #alerts: Alerts;
  /** Bumped when the list starts over, so a page asked for before lands nowhere. */
  #generation = 0;

  constructor(alerts: Alerts) {
    this.#alerts = alerts;
  }

  /** More rows than those fetched are there. */
  get hasMore(): boolean {
    return this.rows.length < this.total;
  }

  /** Opens the list at its first page. */
  async show(): Promise<void> {
    this.shown = true;
    await this.refresh();
  }

  /** Closes the list and lets its rows go. */
  hide(): void {
    this.shown = false;
    this.#generation += 1;
    this.rows = [];
    this.loading = false;
  }

  /** Starts the list over from its first page (after the failures changed). */
  async refresh(): Promise<void> {
    this.#generation += 1;
    this.rows = [];
    await this.#fetch();
  }

  /** Appends the next page. */
  async more(): Promise<void> {
    if (this.loading || !this.hasMore) return;
    await this.#fetch();
  }

  async #fetch(): Promise<void> {
    const generation = this.#generation;
    this.loading = true;
    try {
      const page = await ipc.failures(this.rows.length, FAILURE_PAGE);
      if (generation !== this.#generation) return;
      // Failures recorded meanwhile shift the pages: a row may come twice.
      const known = new Set(this.rows.map((row) => pathKey(row.path)));
      this.rows = [...this.rows, ...page.failures.filter((row) => !known.has(pathKey(row.path)))];
      this.total = page.total;
    } catch (error) {
      if (generation === this.#generation) this.#alerts.report("loading failed files", error);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }
}
