// The only module that talks to the Rust side: every `invoke`, `listen`, `convertFileSrc` and
// webview drag-drop call lives here, typed after the commands in src-tauri. Everything else in
// the page imports these functions, so a change to the contract is a change to this file.
import { convertFileSrc, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";

import type {
  Answer,
  AppInfo,
  CommandError,
  ErrorKind,
  PathJson,
  PhotoDetails,
  SearchRequest,
  StagedImage,
  TimelinePage,
  TimelineRequest,
} from "./bindings/payloads";
import type {
  DuplicatesPage,
  FailurePage,
  IndexStatus,
  ModelInfo,
  ModelProgress,
  RootInfo,
  Settings,
  TextMode,
  Trashed,
} from "./bindings/library";

// What Rust sends and takes, generated from its types (src-tauri/bindings.rs): a change there
// regenerates ./bindings/payloads.ts (search, timeline, photos) and ./bindings/library.ts
// (folders, indexing, models, duplicates), and the test command fails until it has.
export type {
  Answer,
  AppInfo,
  Chip,
  ChipFilter,
  ErrorKind,
  FilterRequest,
  Hit,
  ImageRef,
  MonthCount,
  Parsed,
  PathJson,
  Photo,
  PhotoDetails,
  ReadBy,
  Results,
  SearchRequest,
  StagedImage,
  TimelinePage,
  TimelineRequest,
} from "./bindings/payloads";
export type {
  DuplicateGroup,
  DuplicateMember,
  DuplicatesPage,
  FailureInfo,
  FailurePage,
  IndexState,
  IndexStatus,
  ModelEntry,
  ModelInfo,
  ModelProgress,
  ModelState,
  RootInfo,
  RootState,
  Settings,
  Switching,
  TextMode,
  Trashed,
} from "./bindings/library";

export function timeline(request: TimelineRequest): Promise<TimelinePage> {
  return call("timeline", { request });
}

/** Camera, lens and folder of an indexed photo, read from its file. */
export function photoDetails(path: PathJson): Promise<PhotoDetails> {
  return call("photo_details", { path });
}

export function settings(): Promise<Settings> {
  return call("settings");
}

/** Sets when a multilingual text model reads a search's words. */
export function setTextMode(mode: TextMode): Promise<void> {
  return call("set_text_mode", { mode });
}

/** Switches to an installed model (at once, or by a background re-index); says what happened. */
export function useModel(id: string, now: boolean): Promise<string> {
  return call("use_model", { id, now });
}

/** Deletes a model's files and its index (never the model in use). */
export function removeModel(id: string): Promise<void> {
  return call("remove_model", { id });
}

/** Starts downloading a built-in model; `model-progress`, then `models-changed` events. */
export function fetchModel(id: string): Promise<void> {
  return call("fetch_model", { id });
}

/** The duplicate groups, largest first (at most 2000; `total` counts them all), keeper first. */
export function duplicates(): Promise<DuplicatesPage> {
  return call("duplicates");
}

/**
 * Moves each path to the system trash on its own: one answer per path, with why it is still
 * there when it is. The watcher then drops them from the index (`library-changed`).
 */
export function trashPhotos(paths: PathJson[]): Promise<Trashed[]> {
  return call("trash_photos", { paths });
}

/** A download from the settings ended: null when it succeeded, else why it failed. */
export function onModelsChanged(handler: (error: string | null) => void): Promise<Unsubscribe> {
  return listen<string | null>("models-changed", (event) => handler(event.payload));
}


/**
 * What every command rejects with; the page shows `message` and may branch on `kind`. `ipc`:
 * Tauri rejected the call itself, before Rust's code ran (see `asIpcError`).
 */
export interface IpcError extends Omit<CommandError, "kind"> {
  kind: ErrorKind | "ipc";
}

/** A native file drag over the window; `over` is folded into `enter`. */
export type FileDrag = { type: "enter" } | { type: "leave" } | { type: "drop"; paths: PathJson[] };

/** Stops a subscription. */
export type Unsubscribe = () => void;

export function appInfo(): Promise<AppInfo> {
  return call("app_info");
}

export function search(request: SearchRequest): Promise<Answer> {
  return call("search", { request });
}

/** Hands picked or pasted image bytes to Rust; search with `{ kind: "bytes", token }` after. */
export function stageImage(bytes: Uint8Array): Promise<StagedImage> {
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
export function removeRoot(path: PathJson): Promise<number> {
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

/** At most `limit` failures from the `offset`-th on (Rust sends 500 at most). */
export function failures(offset: number, limit: number): Promise<FailurePage> {
  return call("failures", { offset, limit });
}

export function modelStatus(): Promise<ModelInfo> {
  return call("model_status");
}

/** Starts the download and returns; progress comes as `model-progress` events. */
export function downloadModel(): Promise<void> {
  return call("download_model");
}

/** Opens the photo in the system's default viewer (an indexed photo only). */
export function openPath(path: PathJson): Promise<void> {
  return call("open_path", { path });
}

/** Shows the photo in the system's file manager (an indexed photo only). */
export function revealPath(path: PathJson): Promise<void> {
  return call("reveal_path", { path });
}

/**
 * The URL of a photo's small cached thumbnail, served by the `thumb` protocol. The path goes
 * percent-encoded byte for byte. `attempt` > 0 asks again for one Rust dropped (it answers
 * requests the page has likely scrolled past with an error), as a URL the webview has not
 * cached that error for.
 */
export function thumbSrc(path: PathJson, attempt = 0, version?: number): string {
  const url =
    typeof path === "string"
      ? convertFileSrc(path, "thumb")
      : convertFileSrc("", "thumb") + percentEncode(base64Bytes(path.bytes));
  const query = [versionParam(version), attempt > 0 ? `attempt=${attempt}` : ""].filter(Boolean).join("&");
  return query === "" ? url : `${url}?${query}`;
}

/** `v=<photo id>`: the index gives edited bytes a new id, so an edited photo at the same path
 * gets a URL the webview has not cached (it keeps answers for good). Rust ignores it. */
function versionParam(version: number | undefined): string {
  return version === undefined ? "" : `v=${version}`;
}

/**
 * The URL of the photo itself for the preview, served by the `view` protocol (for a photo the
 * index holds): `width` is the longer side the page shows it at, in device pixels (Rust rounds
 * it up to one of the few sizes it caches, and sends the file as it is when it is no larger),
 * or "full" for the photo at full resolution (the 100 % zoom). The path goes percent-encoded
 * byte for byte, as `thumbSrc`'s does.
 */
export function photoSrc(path: PathJson, width: number | "full", version?: number): string {
  const url =
    typeof path === "string"
      ? convertFileSrc(path, "view")
      : convertFileSrc("", "view") + percentEncode(base64Bytes(path.bytes));
  const w = width === "full" ? "full" : String(Number.isFinite(width) ? Math.max(1, Math.ceil(width)) : 1);
  const v = versionParam(version);
  return v === "" ? `${url}?w=${w}` : `${url}?w=${w}&${v}`;
}

function base64Bytes(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

/** Each byte as encodeURIComponent writes it: unreserved ASCII as is, the rest as %XX. */
function percentEncode(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.!~*'()]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
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
