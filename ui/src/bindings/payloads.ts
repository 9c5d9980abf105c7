// Generated from the Rust types by src-tauri/bindings.rs (ts-rs). Do not edit: change the Rust
// types, then run `PHOTOFIND_WRITE_BINDINGS=1 cargo test -p photofind-desktop bindings`.

/**
 * A file's path as Rust sends it: a string when the name is UTF-8, else its exact bytes
 * (standard base64) with a form to show, where the bytes that are not UTF-8 are U+FFFD (Linux
 * names are any bytes: Latin-1 archives, Shift-JIS cameras). Whatever Rust sent is sent back
 * as it came, so the file is found byte for byte. `lib/paths.ts` shows and compares them.
 */
export type PathJson = string | { bytes: string; lossy: string };

/**
 * What the page shows about the running app.
 */
export type AppInfo = {
/**
 * Product name from `tauri.conf.json`.
 */
name: string,
/**
 * Version of the package that was built.
 */
version: string, };

/**
 * What a command failed with, for the page: a stable `kind` to branch on and a `message` that
 * names the file or value and says what to do.
 */
export type CommandError = {
/**
 * What failed, to branch on.
 */
kind: ErrorKind,
/**
 * For a person.
 */
message: string, };

/**
 * What kind of failure a [`CommandError`] is: what the page may branch on.
 */
export type ErrorKind = "no_model" | "not_allowed" | "not_found" | "library" | "search" | "model" | "io" | "app";

/**
 * A query from the search box.
 */
export type SearchRequest = {
/**
 * What was typed (may be empty when images are given).
 */
text: string,
/**
 * Images to search by.
 */
images: Array<ImageRef>,
/**
 * At most this many results.
 */
limit: number,
/**
 * The filters set in the window.
 */
filter: FilterRequest, };

/**
 * The filters set in the window: the CLI's `--folder`, `--after`, `--before` and `--type`.
 */
export type FilterRequest = {
/**
 * Only photos inside one of these folders.
 */
folders: PathJson[],
/**
 * Taken on or after this day (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
 */
after: string | null,
/**
 * Taken before this day.
 */
before: string | null,
/**
 * Only these formats (`jpeg`, `png`, `heif`, `raw`, ...).
 */
types: Array<string>, };

/**
 * What a search found, and how its words were read.
 */
export type Answer = {
/**
 * The words read for filters: the chips the window shows, and the text the model got.
 */
parsed: Parsed,
/**
 * The hits; `None` when the query is only filters (nothing to describe): the window
 * shows the timeline they keep.
 */
results: Results | null,
/**
 * The multilingual text model that read the words, when one did (else CLIP's own tower).
 */
read_by: ReadBy | null, };

/**
 * A query read for filters.
 */
export type Parsed = {
/**
 * What is left for the model, words in their order, single-spaced ("" if nothing).
 */
text: string,
/**
 * Negative terms: `-word` or `-"a phrase"`.
 */
minus: Array<string>,
/**
 * Recognised filters, in the order they appear.
 */
chips: Array<Chip>, };

/**
 * One recognised filter, shown as a removable chip.
 */
export type Chip = {
/**
 * What the chip shows: "2019", "January 2021", "before 2015", "2019–2021", "folder Trips", "type RAW", "not cat".
 */
label: string,
/**
 * The query with this chip's words taken out (whitespace normalised), so
 * removing the chip in the window = replacing the box's text with this.
 */
without: string,
/**
 * What the chip keeps.
 */
filter: ChipFilter, };

/**
 * What a chip keeps.
 */
export type ChipFilter = { "kind": "dates",
/**
 * The first day kept.
 */
after: string | null,
/**
 * The first day no longer kept.
 */
before: string | null, } | { "kind": "folder",
/**
 * The folder's name, as written on disk.
 */
name: string,
/**
 * Every known folder with that name.
 */
paths: PathJson[], } | { "kind": "type",
/**
 * The format; `raw` stands for every RAW format.
 */
format: string, } | { "kind": "minus",
/**
 * The term, without its `-` and quotes.
 */
text: string, };

/**
 * A page of the timeline: the photos the filters keep, newest first.
 */
export type TimelineRequest = {
/**
 * The search box's words: filters written in them apply (the rest is ignored).
 */
words: string,
/**
 * The filters set in the window.
 */
filter: FilterRequest,
/**
 * The first photo wanted, counted from the newest.
 */
offset: number,
/**
 * At most this many (Rust sends 1000 at most).
 */
limit: number, };

/**
 * One page of the timeline.
 */
export type TimelinePage = {
/**
 * Photos the timeline holds in all (after filters).
 */
total: number,
/**
 * Every month's count, newest first; they sum to `total`.
 */
months: Array<MonthCount>,
/**
 * `photos[0]` is the `offset`-th photo, newest first.
 */
offset: number,
/**
 * At most [`MAX_PAGE`] photos.
 */
photos: Array<Photo>, };

/**
 * Photos in one month, newest month first.
 */
export type MonthCount = {
/**
 * `YYYY-MM`.
 */
month: string,
/**
 * Photos taken in it.
 */
count: number, };

/**
 * A photo as the window lists it.
 */
export type Photo = {
/**
 * The photo's path (the first one that is there now).
 */
path: PathJson,
/**
 * Every path with these bytes.
 */
paths: PathJson[],
/**
 * None of the paths is there now (an unplugged drive?).
 */
offline: boolean,
/**
 * EXIF capture time, `YYYY-MM-DDTHH:MM:SS`.
 */
captured: string | null,
/**
 * When it was taken: `captured`, else the file's time (local time, as EXIF's is).
 */
taken: string,
/**
 * Image format.
 */
format: string,
/**
 * Width in pixels.
 */
width: number,
/**
 * Height in pixels.
 */
height: number,
/**
 * File size in bytes.
 */
size: number,
/**
 * The photo's id in this library.
 */
id: number,
/**
 * The other photos of its near-duplicate group, in a stacked list (see
 * [`crate::duplicates::Stacks`]); empty otherwise.
 */
also?: Array<Photo>, };

/**
 * An image in a query: a file (in a root, or dropped on the window) or staged bytes.
 */
export type ImageRef = { "kind": "path",
/**
 * Its absolute path, in either of its JSON forms.
 */
path: PathJson, } | { "kind": "bytes",
/**
 * The token `stage_image` returned.
 */
token: string, };

/**
 * Image bytes kept for a search, as the page's `StagedImage`.
 */
export type StagedImage = {
/**
 * What a query's `{ kind: "bytes", token }` names them by.
 */
token: string, };

/**
 * The answer to a query.
 */
export type Results = {
/**
 * Best first.
 */
hits: Array<Hit>,
/**
 * `Some(false)`: no hit is a good match. `None`: too few photos to judge.
 */
good_match: boolean | null,
/**
 * The z-score a good match needs for this many candidates.
 */
threshold_z: number,
/**
 * Photos the search could return (after filters).
 */
candidates: number,
/**
 * The model whose index answered (the embedder's): every score is
 * from this one model.
 */
model: string, };

/**
 * One result: the photo as the window lists it, with how well it matches.
 */
export type Hit = {
/**
 * Cosine similarity between the query and the photo.
 */
score: number,
/**
 * Robust z-score against the library's background (see the module docs).
 */
z: number | null,
/**
 * Whether this hit is a good match; `None` when the library is too small to judge.
 */
good: boolean | null,
/**
 * The photo's path (the first one that is there now).
 */
path: PathJson,
/**
 * Every path with these bytes.
 */
paths: PathJson[],
/**
 * None of the paths is there now (an unplugged drive?).
 */
offline: boolean,
/**
 * EXIF capture time, `YYYY-MM-DDTHH:MM:SS`.
 */
captured: string | null,
/**
 * When it was taken: `captured`, else the file's time (local time, as EXIF's is).
 */
taken: string,
/**
 * Image format.
 */
format: string,
/**
 * Width in pixels.
 */
width: number,
/**
 * Height in pixels.
 */
height: number,
/**
 * File size in bytes.
 */
size: number,
/**
 * The photo's id in this library.
 */
id: number,
/**
 * The other photos of its near-duplicate group, in a stacked list (see
 * [`crate::duplicates::Stacks`]); empty otherwise.
 */
also?: Array<Photo>, };

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
 * What the preview shows beyond a photo's listing, as the page's `PhotoDetails`.
 */
export type PhotoDetails = {
/**
 * EXIF make and model as one name, e.g. `Apple iPhone 12`.
 */
camera: string | null,
/**
 * EXIF lens model.
 */
lens: string | null,
/**
 * The folder holding the file, as the index names it.
 */
folder: PathJson, };

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

/**
 * Which model read a search's words, and why: the page says so above the results.
 */
export type ReadBy = {
/**
 * The text model's id.
 */
model: string,
/**
 * Why it, in words.
 */
reason: string, };

/**
 * When queries in words go through a text-only model instead of the image
 * model's own text tower.
 */
export type TextMode = "auto" | "always" | "off";
