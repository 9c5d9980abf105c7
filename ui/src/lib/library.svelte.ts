// What the app knows about the library besides search: watched folders, indexing progress and
// failures, and the model. Loaded once, then kept current by the events Rust sends.
import * as ipc from "../ipc";
import type { IndexStatus, ModelInfo, ModelProgress, PathJson, RootInfo, Unsubscribe } from "../ipc";
import type { Alerts } from "./alerts.svelte";
import { Failures } from "./failures.svelte";

export class Library {
  /** Null until the first answer: the page does not claim "no folders" before it knows. */
  roots = $state<RootInfo[] | null>(null);
  status = $state<IndexStatus | null>(null);
  /** Fetched only when the user opens the list; the count comes with `status`. */
  readonly failures: Failures;
  model = $state<ModelInfo | null>(null);
  download = $state<ModelProgress | null>(null);
  /** Why starting the download failed; a failure after the start comes in `model.message`. */
  downloadError = $state<string | null>(null);

  #alerts: Alerts;

  constructor(alerts: Alerts) {
    this.#alerts = alerts;
    this.failures = new Failures(alerts);
  }

  /** Photos wait to be indexed (a scan that finds nothing new is not indexing). */
  get indexing(): boolean {
    const status = this.status;
    if (status === null) return false;
    return status.state === "indexing" || (status.state === "scanning" && status.total > status.done);
  }

  /** Asks for everything at once; one failing command does not keep the others from showing. */
  async load(): Promise<void> {
    await Promise.all([this.refreshRoots(), this.refreshStatus(), this.refreshModel()]);
  }

  /** Listens to Rust's events; `onLibraryChanged` hears that photos came or went. */
  async subscribe(onLibraryChanged: () => void): Promise<Unsubscribe> {
    const subscriptions = await Promise.all([
      ipc.onIndexStatus((status) => this.#setStatus(status)),
      ipc.onLibraryChanged(() => {
        void this.refreshRoots();
        onLibraryChanged();
      }),
      ipc.onModelProgress((progress) => (this.download = progress)),
      ipc.onModelStatus((model) => this.#setModel(model)),
    ]);
    return () => subscriptions.forEach((unsubscribe) => unsubscribe());
  }

  async refreshRoots(): Promise<void> {
    await this.#attempt("loading folders", async () => (this.roots = await ipc.roots()));
  }

  async refreshStatus(): Promise<void> {
    await this.#attempt("loading indexing status", async () => this.#setStatus(await ipc.indexStatus()));
  }

  async refreshModel(): Promise<void> {
    await this.#attempt("loading model status", async () => this.#setModel(await ipc.modelStatus()));
  }

  async addRoot(): Promise<void> {
    await this.#attempt("adding a folder", async () => {
      const added = await ipc.addRootDialog();
      if (added !== null) await this.refreshRoots();
    });
  }

  async removeRoot(path: PathJson): Promise<void> {
    await this.#attempt("removing a folder", async () => {
      await ipc.removeRoot(path);
      await this.refreshRoots();
    });
  }

  async pause(): Promise<void> {
    await this.#attempt("pausing indexing", async () => {
      await ipc.pauseIndexing();
      await this.refreshStatus();
    });
  }

  async resume(): Promise<void> {
    await this.#attempt("resuming indexing", async () => {
      await ipc.resumeIndexing();
      await this.refreshStatus();
    });
  }

  async downloadModel(): Promise<void> {
    this.downloadError = null;
    try {
      await ipc.downloadModel();
    } catch (error) {
      console.error("downloading the model", error);
      this.downloadError = ipc.asIpcError(error).message;
      return;
    }
    await this.refreshModel();
  }

  #setStatus(status: IndexStatus): void {
    this.status = status;
    if (status.failures === 0 && this.failures.shown) this.failures.hide();
  }

  #setModel(model: ModelInfo): void {
    this.model = model;
    if (model.state !== "downloading") this.download = null;
  }

  async #attempt(what: string, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.#alerts.report(what, error);
    }
  }
}
