//! The commands the page may invoke: each hands its work to `photofind-core` (through
//! [`Backend`]), runs anything slow off the main thread, and rejects with a typed
//! [`CommandError`]. Each must also be allowed in `src-tauri/permissions/` and granted in
//! `src-tauri/capabilities/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use photofind_core::paths::JsonPath;
use photofind_core::query::Parsed;
use photofind_core::search::{Day, Filter, Results, Term};
use photofind_core::timeline::TimelinePage;
use photofind_core::{Ask, WithTexts};
use serde::{Deserialize, Serialize};
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::backend::{Backend, ModelInfo, RootInfo};
use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::service::IndexStatus;
use crate::words::ReadBy;

/// What the page shows about the running app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppInfo {
    /// Product name from `tauri.conf.json`.
    pub name: String,
    /// Version of the package that was built.
    pub version: String,
}

impl AppInfo {
    fn from_package(package: &tauri::PackageInfo) -> Self {
        Self { name: package.name.clone(), version: package.version.to_string() }
    }
}

/// Returns the app's name and version, so the page shows what was really built.
#[tauri::command]
pub fn app_info(app: AppHandle) -> AppInfo {
    AppInfo::from_package(app.package_info())
}

/// An image in a query: a file (in a root, or dropped on the window) or staged bytes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImageRef {
    /// A file.
    Path {
        /// Its absolute path, in either of its JSON forms.
        #[serde(with = "photofind_core::paths::serde")]
        #[cfg_attr(test, ts(type = "PathJson"))]
        path: PathBuf,
    },
    /// Bytes handed over by `stage_image`.
    Bytes {
        /// The token `stage_image` returned.
        token: String,
    },
}

/// A query from the search box.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SearchRequest {
    /// What was typed (may be empty when images are given).
    pub text: String,
    /// Images to search by.
    pub images: Vec<ImageRef>,
    /// At most this many results.
    pub limit: usize,
    /// The filters set in the window.
    pub filter: FilterRequest,
}

/// The filters set in the window: the CLI's `--folder`, `--after`, `--before` and `--type`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FilterRequest {
    /// Only photos inside one of these folders.
    #[serde(with = "photofind_core::paths::serde_vec")]
    #[cfg_attr(test, ts(type = "PathJson[]"))]
    pub folders: Vec<PathBuf>,
    /// Taken on or after this day (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    pub after: Option<String>,
    /// Taken before this day.
    pub before: Option<String>,
    /// Only these formats (`jpeg`, `png`, `heif`, `raw`, ...).
    pub types: Vec<String>,
}

impl FilterRequest {
    /// Core's filter; a date that cannot be read is named in the error.
    fn to_filter(&self) -> CommandResult<Filter> {
        let day = |value: &Option<String>| -> CommandResult<Option<Day>> {
            let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
            value
                .map(|v| v.parse::<Day>().map_err(|e| CommandError::new(ErrorKind::Search, e.to_string())))
                .transpose()
        };
        let (after, before) = (day(&self.after)?, day(&self.before)?);
        Ok(Filter { folders: self.folders.clone(), after, before, formats: self.types.clone() })
    }
}

/// What a search found, and how its words were read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Answer {
    /// The words read for filters: the chips the window shows, and the text the model got.
    pub parsed: Parsed,
    /// The hits; `None` when the query is only filters (nothing to describe): the window
    /// shows the timeline they keep.
    pub results: Option<Results>,
    /// The multilingual text model that read the words, when one did (else CLIP's own tower).
    pub read_by: Option<ReadBy>,
}

type Shared<'a> = State<'a, Arc<Backend>>;

/// Runs a query (text, images, or both, with filters) on a worker thread.
#[tauri::command]
pub async fn search(backend: Shared<'_>, request: SearchRequest) -> CommandResult<Answer> {
    let backend = Arc::clone(&backend);
    blocking(move || {
        let ask = ask(&backend, request)?;
        let (query, parsed) = backend.library().query(ask)?;
        if query.positive.is_empty() && !query.negative.is_empty() {
            // A timeline cannot subtract a description: say so rather than show every photo.
            return Err(CommandError::new(
                ErrorKind::Search,
                "a -word subtracts from a search: add what to look for too (words or an image)",
            ));
        }
        if query.positive.is_empty() {
            return Ok(Answer { parsed, results: None, read_by: None });
        }
        let clip = backend.clip()?;
        let library = backend.library();
        let words = format!("{} {}", parsed.text, parsed.minus.join(" "));
        let reader = backend.text_reader(&clip, words.trim())?;
        let mut results = match &reader {
            Some((texts, _)) => {
                let paired = WithTexts::new(clip.as_ref(), texts.as_ref())
                    .map_err(|e| CommandError::new(ErrorKind::Model, e.to_string()))?;
                library.search(&paired, &query)?
            }
            None => library.search(clip.as_ref(), &query)?,
        };
        if let Some(stacks) = backend.stacks() {
            results.hits = stacks.stack_hits(library.store(), results.hits)?;
        }
        Ok(Answer { parsed, results: Some(results), read_by: reader.map(|(_, read)| read) })
    })
    .await
}

fn ask(backend: &Backend, request: SearchRequest) -> CommandResult<Ask> {
    let mut images = Vec::new();
    for image in request.images {
        images.push(match image {
            // Read by core (a regular file only, capped, never waiting on a FIFO).
            ImageRef::Path { path } => Term::Image(readable(backend, &path)?),
            ImageRef::Bytes { token } => {
                Term::ImageBytes { name: "the picked image".into(), bytes: backend.staged(&token)? }
            }
        });
    }
    let filter = request.filter.to_filter()?;
    Ok(Ask { words: request.text, images, filter, limit: request.limit.clamp(1, 5000), ..Ask::default() })
}

/// A page of the timeline: the photos the filters keep, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TimelineRequest {
    /// The search box's words: filters written in them apply (the rest is ignored).
    pub words: String,
    /// The filters set in the window.
    pub filter: FilterRequest,
    /// The first photo wanted, counted from the newest.
    pub offset: u64,
    /// At most this many (Rust sends 1000 at most).
    pub limit: usize,
}

/// The library's photos, newest first, a page at a time, with every month's count.
#[tauri::command]
pub async fn timeline(backend: Shared<'_>, request: TimelineRequest) -> CommandResult<TimelinePage> {
    let backend = Arc::clone(&backend);
    blocking(move || {
        let filter = request.filter.to_filter()?;
        let library = backend.library();
        let (words, offset, limit) = (&request.words, request.offset, request.limit);
        // Near-duplicate groups as one tile, once the background grouping has them.
        let stacks = backend.stacks();
        Ok(match stacks {
            Some(stacks) => library.stacked_timeline(words, filter, &stacks, offset, limit)?.0,
            None => library.timeline(words, filter, offset, limit)?.0,
        })
    })
    .await
}

/// Image bytes kept for a search, as the page's `StagedImage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StagedImage {
    /// What a query's `{ kind: "bytes", token }` names them by.
    pub token: String,
}

/// Keeps picked or pasted image bytes (the raw request body) for a search; returns a token.
#[tauri::command]
pub fn stage_image(backend: Shared<'_>, request: Request<'_>) -> CommandResult<StagedImage> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::new(
            ErrorKind::Search,
            "stage_image takes the image's bytes as the request body",
        ));
    };
    if bytes.is_empty() {
        return Err(CommandError::new(ErrorKind::Search, "the image is empty"));
    }
    Ok(StagedImage { token: backend.stage(bytes.clone()) })
}

/// The folders, with photo counts and states.
#[tauri::command]
pub async fn roots(backend: Shared<'_>) -> CommandResult<Vec<RootInfo>> {
    let backend = Arc::clone(&backend);
    blocking(move || backend.roots()).await
}

/// Asks for a folder with the native dialog and adds it; `None` when cancelled.
#[tauri::command]
pub async fn add_root_dialog(app: AppHandle, backend: Shared<'_>) -> CommandResult<Option<RootInfo>> {
    let (tx, rx) = std::sync::mpsc::channel();
    app.dialog().file().set_title("Add a photo folder").pick_folder(move |folder| {
        let _ = tx.send(folder);
    });
    let backend = Arc::clone(&backend);
    blocking(move || {
        let Some(folder) = rx.recv().ok().flatten() else { return Ok(None) };
        let folder = folder.into_path().map_err(|e| {
            CommandError::new(ErrorKind::NotFound, format!("the dialog gave no local folder: {e}"))
        })?;
        let (root, _) = backend.library().add_root(&folder)?;
        backend.roots_changed();
        Ok(backend.roots()?.into_iter().find(|r| r.path == root))
    })
    .await
}

/// Forgets a folder and the photos only it held (the files stay on disk).
#[tauri::command]
pub async fn remove_root(backend: Shared<'_>, path: JsonPath) -> CommandResult<usize> {
    let backend = Arc::clone(&backend);
    blocking(move || backend.remove_root(&path.0)).await
}

/// Where indexing stands.
#[tauri::command]
pub fn index_status(backend: Shared<'_>) -> IndexStatus {
    backend.index_status()
}

/// Pauses indexing after the current batch.
#[tauri::command]
pub fn pause_indexing(backend: Shared<'_>) {
    backend.set_paused(true);
}

/// Resumes indexing, catching up on what changed meanwhile.
#[tauri::command]
pub fn resume_indexing(backend: Shared<'_>) {
    backend.set_paused(false);
}

/// A file that could not be indexed, as the page's `FailureInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FailureInfo {
    /// The file.
    #[serde(with = "photofind_core::paths::serde")]
    #[cfg_attr(test, ts(type = "PathJson"))]
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// A page of failures, as the page's `FailurePage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FailurePage {
    /// Failures the index holds in all.
    pub total: u64,
    /// This page's, in path order.
    pub failures: Vec<FailureInfo>,
}

/// The most failures one call returns.
pub const MAX_FAILURE_PAGE: usize = 500;

/// `limit` files that could not be indexed, from the `offset`-th on (in path order), with the
/// total: a library of a million broken files is paged, never sent whole.
#[tauri::command]
pub async fn failures(backend: Shared<'_>, offset: u64, limit: usize) -> CommandResult<FailurePage> {
    let backend = Arc::clone(&backend);
    blocking(move || {
        let page = backend.library().failures(offset, limit.clamp(1, MAX_FAILURE_PAGE))?;
        let failures =
            page.failures.into_iter().map(|f| FailureInfo { path: f.path, reason: f.reason }).collect();
        Ok(FailurePage { total: page.total, failures })
    })
    .await
}

/// The model: ready, missing (with what to do) or downloading.
#[tauri::command]
pub fn model_status(backend: Shared<'_>) -> ModelInfo {
    backend.model_info()
}

/// Starts downloading the model in use; progress comes as `model-progress` events.
#[tauri::command]
pub fn download_model(app: AppHandle, backend: Shared<'_>) -> CommandResult<()> {
    backend.download_model(&app)
}

/// Opens an indexed photo in the default viewer: only a photo the index holds, by its
/// canonical path inside a root, with an image extension (see [`crate::access::openable`]).
#[tauri::command]
pub async fn open_path(backend: Shared<'_>, path: JsonPath) -> CommandResult<()> {
    let backend = Arc::clone(&backend);
    blocking(move || {
        let file = backend.openable(&path.0)?;
        tauri_plugin_opener::open_path(&file, None::<&str>)
            .map_err(|e| CommandError::new(ErrorKind::Io, format!("cannot open {}: {e}", path.0.display())))
    })
    .await
}

/// Shows an indexed photo in the file manager, under the same rules as [`open_path`].
#[tauri::command]
pub async fn reveal_path(backend: Shared<'_>, path: JsonPath) -> CommandResult<()> {
    let backend = Arc::clone(&backend);
    blocking(move || {
        let file = backend.openable(&path.0)?;
        tauri_plugin_opener::reveal_item_in_dir(&file)
            .map_err(|e| CommandError::new(ErrorKind::Io, format!("cannot show {}: {e}", path.0.display())))
    })
    .await
}

fn readable(backend: &Backend, path: &Path) -> CommandResult<PathBuf> {
    backend.readable(path)?.ok_or_else(|| not_allowed(path))
}

fn not_allowed(path: &Path) -> CommandError {
    CommandError::new(
        ErrorKind::NotAllowed,
        format!(
            "{} is not in one of your photo folders (add the folder, or drop the file on the window)",
            path.display()
        ),
    )
}

/// Runs `work` on the blocking pool, so the page's IPC never waits on disk or the model.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| CommandError::new(ErrorKind::App, e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_info_serializes_with_the_field_names_the_page_reads() {
        let info = AppInfo { name: "photofind".into(), version: "1.2.3".into() };
        let json = serde_json::to_value(info).expect("AppInfo serializes");
        assert_eq!(json, serde_json::json!({ "name": "photofind", "version": "1.2.3" }));
    }

    #[test]
    fn a_search_request_reads_the_pages_shape() {
        let json = serde_json::json!({
            "text": "cat",
            "images": [{ "kind": "path", "path": "/p/a.jpg" }, { "kind": "bytes", "token": "img-1" }],
            "limit": 1000,
            "filter": { "folders": ["/p/trips"], "after": "2019", "before": null, "types": ["raw"] },
        });
        let request: SearchRequest = serde_json::from_value(json).expect("parses");
        assert_eq!(
            request.images,
            vec![ImageRef::Path { path: "/p/a.jpg".into() }, ImageRef::Bytes { token: "img-1".into() }]
        );
        let filter = request.filter.to_filter().expect("a filter");
        assert_eq!(filter.folders, [PathBuf::from("/p/trips")]);
        assert_eq!(filter.after.as_ref().map(Day::as_str), Some("2019-01-01"));
        assert_eq!((filter.before, filter.formats), (None, vec!["raw".to_owned()]));
    }

    #[test]
    fn a_date_field_the_core_cannot_read_is_named_and_an_empty_one_is_no_bound() {
        let bad = FilterRequest { after: Some("last summer".into()), ..FilterRequest::default() };
        let err = bad.to_filter().expect_err("not a date");
        assert_eq!(err.kind, ErrorKind::Search);
        assert!(err.message.contains("last summer"), "{}", err.message);
        let blank = FilterRequest { before: Some("  ".into()), ..FilterRequest::default() };
        assert!(blank.to_filter().expect("no bound").before.is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_path_that_is_not_utf8_comes_back_byte_for_byte() {
        let path = photofind_core::paths::from_bytes(b"/p/caf\xe9.jpg".to_vec());
        let failure = FailureInfo { path: path.clone(), reason: "empty file".into() };
        let sent =
            serde_json::to_value(FailurePage { total: 1, failures: vec![failure] }).expect("serializes");
        let shown = &sent["failures"][0]["path"];
        assert_eq!(shown["lossy"], "/p/caf\u{fffd}.jpg");
        // The page sends back exactly what it was given.
        let filter = serde_json::json!({ "folders": [], "after": null, "before": null, "types": [] });
        let request = serde_json::json!({
            "text": "", "images": [{ "kind": "path", "path": shown }], "limit": 1, "filter": filter,
        });
        let request: SearchRequest = serde_json::from_value(request).expect("parses");
        assert_eq!(request.images, [ImageRef::Path { path: path.clone() }]);
        let removed: JsonPath = serde_json::from_value(shown.clone()).expect("parses");
        assert_eq!(removed.0, path);
    }

    #[test]
    fn the_page_may_only_call_the_apps_commands_and_listen() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("capabilities/default.json")).expect("capability JSON");
        let granted: Vec<&str> =
            capability["permissions"].as_array().expect("a list").iter().filter_map(|p| p.as_str()).collect();
        // Not `core:event:default`: that also lets the page emit events as if Rust had.
        assert_eq!(
            granted,
            [
                "allow-app-info",
                "allow-library",
                "allow-duplicates",
                "allow-model",
                "core:event:allow-listen",
                "core:event:allow-unlisten"
            ]
        );
    }
}
