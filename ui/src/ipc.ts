// The only module that talks to the Rust side: every `invoke`, `listen`, `convertFileSrc` and
// webview drag-drop call lives here, typed after the commands in src-tauri. Everything else in
// the page imports these functions, so a change to the contract is a change to this file.
import { convertFileSrc, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";

/** What every command rejects with; the page shows `message` and may branch on `kind`. */
export interface IpcError {
  kind: string;
  message: string;
}

/** What `app_info` returns. */
export interface AppInfo {
  name: string;
  version: string;
}

/** One photo found by a search. `paths` lists every copy of the same bytes. */
export interface Hit {
  path: string;
  score: number;
  z: number | null;
  good: boolean | null;
  paths: string[];
  offline: boolean;
  captured: string | null;
  format: string;
  width: number;
  height: number;
  size: number;
  id: number;
}

/** A search's answer. `good_match` is null when there was nothing to judge against. */
export interface Results {
  hits: Hit[];
  good_match: boolean | null;
  threshold_z: number;
  candidates: number;
}

/** An image in a query: a file Rust can read, or bytes staged earlier with `stageImage`. */
export type ImageRef = { kind: "path"; path: string } | { kind: "bytes"; token: string };

export interface SearchRequest {
  text: string;
  images: ImageRef[];
  limit: number;
}

/** A watched folder. `offline` means its disk is not mounted; its photos stay in the index. */
export interface RootInfo {
  path: string;
  photos: number;
  state: "watching" | "scanning" | "offline";
}

export interface IndexStatus {
  state: "idle" | "scanning" | "indexing" | "paused";
  done: number;
  total: number;
  per_second: number;
  eta_seconds: number | null;
  failed: number;
  embedded: number;
  current: string | null;
  /** A model switch under way: the next model's index fills while search keeps the current one. */
  switching: Switching | null;
}

export interface Switching {
  model: string;
  vectors: number;
  photos: number;
}

export interface FailureInfo {
  path: string;
  reason: string;
}

/** The embedding model. `message` carries why a download failed and what to do about it. */
export interface ModelInfo {
  id: string;
  name: string;
  size: number;
  license: string;
  state: "ready" | "missing" | "downloading";
  message: string | null;
}

export interface ModelProgress {
  file: string;
  done: number;
  total: number;
  rate: number;
  eta_seconds: number | null;
}

/** A native file drag over the window; `over` is folded into `enter`. */
export type FileDrag = { type: "enter" } | { type: "leave" } | { type: "drop"; paths: string[] };

/** Stops a subscription. */
export type Unsubscribe = () => void;

export function appInfo(): Promise<AppInfo> {
  return call("app_info");
}

export function search(request: SearchRequest): Promise<Results> {
  return call("search", { request });
}

/** Hands picked or pasted image bytes to Rust; search with `{ kind: "bytes", token }` after. */
export function stageImage(bytes: Uint8Array): Promise<{ token: string }> {
  return call("stage_image", bytes);
}

export function roots(): Promise<RootInfo[]> {
  return call("roots");
}

/** Opens the native folder dialog; null when the user cancelled it. */
export function addRootDialog(): Promise<RootInfo | null> {
  return call("add_root_dialog");
}

/** Forgets a folder and its photos (the files stay on disk); the number of paths removed. */
export function removeRoot(path: string): Promise<number> {
  return call("remove_root", { path });
}

export function indexStatus(): Promise<IndexStatus> {
  return call("index_status");
}

export function pauseIndexing(): Promise<void> {
  return call("pause_indexing");
}

export function resumeIndexing(): Promise<void> {
  return call("resume_indexing");
}

export function failures(): Promise<FailureInfo[]> {
  return call("failures");
}

export function modelStatus(): Promise<ModelInfo> {
  return call("model_status");
}

/** Starts the download and returns; progress comes as `model-progress` events. */
export function downloadModel(): Promise<void> {
  return call("download_model");
}

/** Opens the photo in the system's default viewer. */
export function openPath(path: string): Promise<void> {
  return call("open_path", { path });
}

/** Shows the photo in the system's file manager. */
export function revealPath(path: string): Promise<void> {
  return call("reveal_path", { path });
}

/** The URL of a photo's small cached thumbnail, served by the `thumb` protocol. */
export function thumbSrc(path: string): string {
  return convertFileSrc(path, "thumb");
}

/** The URL of the photo file itself, for the larger preview. */
export function photoSrc(path: string): string {
  return convertFileSrc(path);
}

export function onIndexStatus(handler: (status: IndexStatus) => void): Promise<Unsubscribe> {
  return listen<IndexStatus>("index-status", (event) => handler(event.payload));
}

/** Folders or photos changed: roots need refreshing and the current search re-running. */
export function onLibraryChanged(handler: () => void): Promise<Unsubscribe> {
  return listen("library-changed", () => handler());
}

export function onModelProgress(handler: (progress: ModelProgress) => void): Promise<Unsubscribe> {
  return listen<ModelProgress>("model-progress", (event) => handler(event.payload));
}

export function onModelStatus(handler: (model: ModelInfo) => void): Promise<Unsubscribe> {
  return listen<ModelInfo>("model-status", (event) => handler(event.payload));
}

/** Files dragged onto the window from the desktop; Tauri gives their paths, not their bytes. */
export function onFileDrag(handler: (drag: FileDrag) => void): Promise<Unsubscribe> {
  return getCurrentWebview().onDragDropEvent((event) => {
    const drag = event.payload;
    if (drag.type === "drop") handler({ type: "drop", paths: drag.paths });
    else if (drag.type === "leave") handler({ type: "leave" });
    else handler({ type: "enter" });
  });
}

/** Makes anything a command rejected with into an `IpcError`. */
export function asIpcError(error: unknown): IpcError {
  if (isIpcError(error)) return error;
  // Tauri itself rejects with a plain string (e.g. an unknown command) before Rust's code runs.
  if (typeof error === "string") return { kind: "ipc", message: error };
  if (error instanceof Error) return { kind: "ipc", message: error.message };
  return { kind: "ipc", message: String(error) };
}

function isIpcError(error: unknown): error is IpcError {
  if (typeof error !== "object" || error === null) return false;
  const { kind, message } = error as Record<string, unknown>;
  return typeof kind === "string" && typeof message === "string";
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw asIpcError(error);
  }
}
