// Generated from the Rust types by src-tauri/bindings.rs (ts-rs). Do not edit: change the Rust
// types, then run `PHOTOFIND_WRITE_BINDINGS=1 cargo test -p photofind-desktop bindings`.

import type { PathJson } from "./payloads";

/**
 * A folder, as the page's `RootInfo`.
 */
export type RootInfo = {
/**
 * The folder, as the library stores it (the page sends it back to remove it).
 */
path: PathJson,
/**
 * Indexed photo files in it (a counter kept with each commit).
 */
photos: number,
/**
 * What the service does with it.
 */
state: RootState, };

/**
 * What the service does with a folder, as the page's `RootState`: core's states, as few as the
 * page tells apart.
 */
export type RootState = "watching" | "scanning" | "offline";

/**
 * Where indexing stands, as the page's `IndexStatus`.
 */
export type IndexStatus = {
/**
 * What the service is doing.
 */
state: IndexState,
/**
 * Photos in the library, as of the last time the service caught up.
 */
photos: number,
/**
 * Files already in the index that the current run found unchanged.
 */
unchanged: number,
/**
 * Files finished in the current run.
 */
done: number,
/**
 * Files the current run has to do (grows while scanning).
 */
total: number,
/**
 * Files per second.
 */
per_second: number,
/**
 * Seconds left, when known.
 */
eta_seconds: number | null,
/**
 * Files that failed, in the current run.
 */
failed: number,
/**
 * Failures the index holds, from every run: what the failures panel lists.
 */
failures: number,
/**
 * Photos embedded in the current run.
 */
embedded: number,
/**
 * The file most recently finished.
 */
current: PathJson | null,
/**
 * A model switch under way: the next model's index fills while search keeps the current one.
 */
switching: Switching | null,
/**
 * Why the service last stopped; kept after a restart until it has caught up again.
 */
error: string | null,
/**
 * In `error`: seconds until the service starts again.
 */
retry_seconds: number | null,
/**
 * What the service asks the user to act on (e.g. a folder polled because the OS watch
 * limit is reached), oldest first.
 */
warnings: Array<string>, };

/**
 * What the service is doing, as the page's `IndexState`.
 */
export type IndexState = "idle" | "scanning" | "indexing" | "paused" | "error";

/**
 * A model switch, as the page's `Switching`.
 */
export type Switching = {
/**
 * The model being switched to.
 */
model: string,
/**
 * Photos it has embedded.
 */
vectors: number,
/**
 * Photos in the library.
 */
photos: number, };

/**
 * A page of failures, as the page's `FailurePage`.
 */
export type FailurePage = {
/**
 * Failures the index holds in all.
 */
total: number,
/**
 * This page's, in path order.
 */
failures: Array<FailureInfo>, };

/**
 * A file that could not be indexed, as the page's `FailureInfo`.
 */
export type FailureInfo = {
/**
 * The file.
 */
path: PathJson,
/**
 * Why.
 */
reason: string, };

/**
 * The model, as the page's `ModelInfo`.
 */
export type ModelInfo = {
/**
 * Model id.
 */
id: string,
/**
 * Display name.
 */
name: string,
/**
 * Download size in bytes.
 */
size: number,
/**
 * License.
 */
license: string,
/**
 * Whether it can be used.
 */
state: ModelState,
/**
 * What went wrong, or what to do.
 */
message: string | null, };

/**
 * Whether the model can be used, as the page's `ModelState`.
 */
export type ModelState = "ready" | "missing" | "downloading";

/**
 * How far a model download is, as the page's `ModelProgress` (the `model-progress` event).
 */
export type ModelProgress = {
/**
 * The file being downloaded.
 */
file: string,
/**
 * Bytes of the model on disk, including bytes resumed from an earlier run.
 */
done: number,
/**
 * Bytes of the whole model, as far as they are known.
 */
total: number,
/**
 * Bytes per second received in this run.
 */
rate: number,
/**
 * Seconds left at the current rate, once there is a rate.
 */
eta_seconds: number | null, };

/**
 * What the settings view shows.
 */
export type Settings = {
/**
 * Every model photofind knows, with its state.
 */
models: Array<ModelEntry>,
/**
 * Where the index, the models and the thumbnails live.
 */
data_dir: PathJson,
/**
 * The model searches use now (its id), when one is loaded: under `PHOTOFIND_MODEL` it may be
 * none of `models`.
 */
in_use: string | null,
/**
 * `PHOTOFIND_MODEL` pins a model: switching is off.
 */
pinned: boolean,
/**
 * Indexing is paused.
 */
paused: boolean,
/**
 * This app indexes the library (else `photofind watch` does, or nothing).
 */
indexing_here: boolean,
/**
 * When a multilingual text model reads a search's words.
 */
text_mode: TextMode, };

/**
 * A model photofind knows: built in, or installed from a manifest.
 */
export type ModelEntry = {
/**
 * Its id.
 */
id: string,
/**
 * Display name.
 */
name: string,
/**
 * What it is good at.
 */
description: string,
/**
 * Download size in bytes.
 */
size: number,
/**
 * Every file's size is published (else `size` is a lower bound).
 */
size_known: boolean,
/**
 * Vector length.
 */
dims: number,
/**
 * Licence.
 */
license: string,
/**
 * Where it is installed, if it is.
 */
installed: PathJson | null,
/**
 * Search uses it.
 */
current: boolean,
/**
 * A switch to it is under way.
 */
next: boolean,
/**
 * A text-only model: the image model whose photos it finds with words in
 * other languages (it is never the model that indexes). `None` for a CLIP model.
 */
reads_for: string | null, };

/**
 * When queries in words go through a text-only model instead of the image
 * model's own text tower.
 */
export type TextMode = "auto" | "always" | "off";

/**
 * The duplicate groups, largest first.
 */
export type DuplicatesPage = {
/**
 * Groups in all.
 */
total: number,
/**
 * Paths in all the groups.
 */
photos: number,
/**
 * Bytes that keeping only each group's keeper would free.
 */
freed: number,
/**
 * At most [`MAX_GROUPS`], each keeper first.
 */
groups: Array<DuplicateGroup>, };

/**
 * Photos that are duplicates of each other, the one to keep first.
 */
export type DuplicateGroup = {
/**
 * One entry per path; only the first has `keep`.
 */
photos: Array<DuplicateMember>, };

/**
 * One path of a group.
 */
export type DuplicateMember = {
/**
 * Where the file is.
 */
path: PathJson,
/**
 * Width after EXIF orientation.
 */
width: number,
/**
 * Height after EXIF orientation.
 */
height: number,
/**
 * File size in bytes.
 */
size: number,
/**
 * EXIF capture time, `YYYY-MM-DDTHH:MM:SS`, if any.
 */
captured: string | null,
/**
 * The suggested keeper (the group's first member).
 */
keep: boolean,
/**
 * The photo (paths with the same bytes share it).
 */
id: number, };

/**
 * What happened to one path.
 */
export type Trashed = {
/**
 * The path asked for.
 */
path: PathJson,
/**
 * Why it is still there; `None` once it is in the trash.
 */
error: string | null, };
