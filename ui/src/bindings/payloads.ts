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
