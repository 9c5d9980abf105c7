//! The app's state: the library (shared with the CLI through the data dir), the model, the
//! background indexing and watching service, the thumbnail cache, and what the page is told.
//!
//! Long work never runs in a command: the service has its own thread from launch (or from the
//! moment a first-run download installs the model), see [`crate::service`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use photofind_clip::Clip;
use photofind_core::live::ModelChoice;
use photofind_core::service::ServiceState;
use photofind_core::{Embedder, Library};
use photofind_models::{Manifest, Models};
use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::access::{self, Inside};
use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::service::{self, IndexState, IndexStatus, PageFeed, Service};
use crate::thumbs::Thumbs;

/// Whether the model can be used, as the page's `ModelState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ModelState {
    /// Loaded: searches and indexing use it.
    Ready,
    /// Not on disk (or it failed to load): the page offers the download.
    Missing,
    /// Being downloaded; `model-progress` events tell how far.
    Downloading,
}

/// The model, as the page's `ModelInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ModelInfo {
    /// Model id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Download size in bytes.
    pub size: u64,
    /// License.
    pub license: String,
    /// Whether it can be used.
    pub state: ModelState,
    /// What went wrong, or what to do.
    pub message: Option<String>,
}

/// How far a model download is, as the page's `ModelProgress` (the `model-progress` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ModelProgress {
    /// The file being downloaded.
    pub file: String,
    /// Bytes of the model on disk, including bytes resumed from an earlier run.
    pub done: u64,
    /// Bytes of the whole model, as far as they are known.
    pub total: u64,
    /// Bytes per second received in this run.
    pub rate: u64,
    /// Seconds left at the current rate, once there is a rate.
    pub eta_seconds: Option<u64>,
}

impl From<&photofind_models::Progress> for ModelProgress {
    fn from(p: &photofind_models::Progress) -> Self {
        Self { file: p.file.clone(), done: p.done, total: p.total, rate: p.rate, eta_seconds: p.eta_secs }
    }
}

/// Everything the commands share.
pub struct Backend {
    library: Arc<Library>,
    /// Which model (core's rule: `PHOTOFIND_MODEL`, else the installed one in use).
    choice: ModelChoice,
    /// The model searches use; replaced when a model switch completes.
    clip: Arc<RwLock<Option<Arc<Clip>>>>,
    service: Mutex<Option<service::Handle>>,
    feed: Arc<PageFeed>,
    thumbs: Thumbs,
    downloading: AtomicBool,
    model_message: Mutex<Option<String>>,
    staged: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    dropped: Mutex<HashSet<PathBuf>>,
    /// Near duplicates stack into one tile (`PHOTOFIND_STACKS=off` turns it off).
    stacking: bool,
    /// Who reads a search's words (a multilingual text model, loaded once).
    words: crate::words::Words,
}

/// The app's data dir: `PHOTOFIND_DATA_DIR`, else the platform default (the CLI's too).
pub fn data_dir() -> CommandResult<PathBuf> {
    std::env::var_os("PHOTOFIND_DATA_DIR")
        .map(PathBuf::from)
        .or_else(photofind_core::default_data_dir)
        .ok_or_else(|| CommandError::new(ErrorKind::Io, "no data directory: set PHOTOFIND_DATA_DIR"))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Backend {
    /// Opens the library in `data_dir`, with the model when one is there (`PHOTOFIND_MODEL`, else
    /// the installed model in use).
    pub fn open(data_dir: &Path) -> CommandResult<Self> {
        let library = Arc::new(Library::open(data_dir, None)?);
        let backend = Self {
            choice: ModelChoice::new(data_dir, None),
            library,
            clip: Arc::new(RwLock::new(None)),
            service: Mutex::new(None),
            feed: Arc::new(PageFeed::new()),
            thumbs: Thumbs::new(data_dir.join("thumbs")),
            downloading: AtomicBool::new(false),
            model_message: Mutex::new(None),
            staged: Mutex::new(HashMap::new()),
            dropped: Mutex::new(HashSet::new()),
            stacking: std::env::var_os("PHOTOFIND_STACKS").is_none_or(|v| v != "off"),
            words: crate::words::Words::default(),
        };
        if let Some(dir) = backend.model_dir()
            && let Err(err) = backend.load_model(&dir)
        {
            *lock(&backend.model_message) = Some(err.message);
        }
        Ok(backend)
    }

    /// The library.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The near-duplicate groups searches and the timeline stack, as last brought up to date
    /// (see [`crate::stacker`]); `None` before the first grouping, without a model, or when
    /// stacking is off.
    pub fn stacks(&self) -> Option<Arc<photofind_core::duplicates::Stacks>> {
        let clip = self.loaded().filter(|_| self.stacking)?;
        self.library.stacks(&photofind_core::store::ModelKey::of(clip.as_ref()))
    }

    /// The text model for `words` (see [`crate::words`]), if one reads them rather than CLIP.
    pub fn text_reader(
        &self,
        clip: &Clip,
        words: &str,
    ) -> CommandResult<Option<(Arc<photofind_clip::TextModel>, crate::words::ReadBy)>> {
        self.words.reader(self.choice.models(), self.library.data_dir(), clip, words)
    }

    /// Who reads a search's words.
    pub fn words(&self) -> &crate::words::Words {
        &self.words
    }

    /// Whether near duplicates stack into one tile.
    pub fn stacking(&self) -> bool {
        self.stacking
    }

    fn models(&self) -> Models {
        self.choice.models().clone()
    }

    /// Which model the library uses (core's rule).
    pub fn choice(&self) -> &ModelChoice {
        &self.choice
    }

    /// Whether indexing is paused here.
    pub fn paused(&self) -> bool {
        self.feed.status().state == IndexState::Paused
    }

    /// Starts the service's run anew, so it reads the model choice again (a switch started).
    pub fn restart_service(&self) {
        if let Some(service) = lock(&self.service).as_ref() {
            service.restart();
        }
    }

    /// Whether this app runs the indexing service (and so holds the writer lock).
    pub fn indexes_here(&self) -> bool {
        lock(&self.service).is_some()
    }

    /// Whether this app's service holds the library's writer lock at this moment (not while it
    /// waits out a failure, when `photofind index` may have taken it).
    pub fn holds_writer(&self) -> bool {
        lock(&self.service).as_ref().is_some_and(service::Handle::holds_writer)
    }

    fn model_dir(&self) -> Option<PathBuf> {
        self.choice.current_dir().ok()
    }

    pub(crate) fn load_model(&self, dir: &Path) -> CommandResult<()> {
        let clip = load_clip(dir)?;
        self.library.register_model(&photofind_core::store::ModelKey::of(&clip))?;
        *self.clip.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(clip));
        Ok(())
    }

    /// The id of the model searches use now, if one is loaded.
    pub fn model_in_use(&self) -> Option<String> {
        self.loaded().map(|clip| clip.model_id().to_owned())
    }

    fn loaded(&self) -> Option<Arc<Clip>> {
        self.clip.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The model searches use now, or what to do without one. A search holds it for its whole
    /// run, so it answers from one model's index even while a switch completes.
    pub fn clip(&self) -> CommandResult<Arc<Clip>> {
        self.loaded().ok_or_else(|| CommandError::new(ErrorKind::NoModel, self.missing_message()))
    }

    fn manifest(&self) -> Option<Manifest> {
        self.choice.manifest()
    }

    fn missing_message(&self) -> String {
        self.choice.missing_message()
    }

    /// Starts the service when there is a model and no other process indexes this library.
    pub fn start_service(&self, app: &AppHandle) {
        if self.loaded().is_none() {
            return;
        }
        let mut running = lock(&self.service);
        if running.is_some() {
            return;
        }
        let writer = match self.library.lock_writer(service::WRITER) {
            Ok(writer) => writer,
            Err(err) => {
                // `photofind watch` runs: it keeps the index up to date; searches still work.
                eprintln!("photofind: not indexing here: {err}");
                return;
            }
        };
        let service = Service {
            library: self.library.clone(),
            choice: self.choice.clone(),
            searching: self.clip.clone(),
            feed: self.feed.clone(),
        };
        *running = Some(service.start(writer, app));
    }

    /// Stops the service after its current batch commits.
    pub fn stop_service(&self) {
        if let Some(service) = lock(&self.service).as_ref() {
            service.stop();
        }
    }

    /// Where indexing stands, with the count of recorded failures as the index has it now.
    pub fn index_status(&self) -> IndexStatus {
        let failures = self.library.failures(0, 0).map(|page| page.total);
        let mut status =
            if lock(&self.service).is_some() { self.feed.status().clone() } else { self.elsewhere_status() };
        if let Ok(failures) = failures {
            status.failures = failures;
        }
        status
    }

    /// Where indexing stands when this app does not index: what `photofind watch` publishes,
    /// else up to date with the photos the index holds.
    fn elsewhere_status(&self) -> IndexStatus {
        match photofind_core::service::running_state(self.library.data_dir()) {
            Some(published) => service::published_status(&published),
            None => {
                let photos = self.library.stats().map_or(0, |stats| stats.photos);
                IndexStatus { photos, ..IndexStatus::default() }
            }
        }
    }

    /// Pauses or resumes the service.
    pub fn set_paused(&self, paused: bool) {
        let service = lock(&self.service);
        let Some(service) = service.as_ref() else { return };
        service.set_paused(paused);
        let mut status = self.feed.status();
        if status.state != IndexState::Error {
            status.state = if paused { IndexState::Paused } else { IndexState::Scanning };
        }
        drop(status);
        self.feed.status_changed();
    }

    /// Tells the service the roots changed, and the page that the library did.
    pub fn roots_changed(&self) {
        if let Some(service) = lock(&self.service).as_ref() {
            service.roots_changed();
        }
        self.feed.library_changed();
    }

    /// Forgets a root and the photos only it held, and deletes their thumbnails.
    pub fn remove_root(&self, path: &Path) -> CommandResult<usize> {
        let removed = self.library.remove_root(path)?;
        self.roots_changed();
        self.prune_thumbnails();
        Ok(removed)
    }

    /// Deletes cached thumbnails of folders no longer in the library (also ones the CLI removed).
    pub fn prune_thumbnails(&self) {
        if let Ok(roots) = self.library.roots() {
            self.thumbs.prune(&roots);
        }
    }

    /// Keeps image bytes for a search; returns their token, named by their content: the same
    /// image picked twice gets the same token, so the page shows it as one chip.
    pub fn stage(&self, bytes: Vec<u8>) -> String {
        let token = token_of(&bytes);
        let mut staged = lock(&self.staged);
        if staged.len() >= 8 {
            staged.clear(); // a few queries' worth is plenty; old tokens just expire
        }
        staged.insert(token.clone(), Arc::new(bytes));
        token
    }

    /// Staged bytes by token.
    pub fn staged(&self, token: &str) -> CommandResult<Arc<Vec<u8>>> {
        lock(&self.staged).get(token).cloned().ok_or_else(|| {
            CommandError::new(ErrorKind::NotFound, format!("image {token} expired: pick it again"))
        })
    }

    /// Remembers files the user dropped on the window: they may be searched by path.
    pub fn allow_dropped(&self, paths: &[PathBuf]) {
        lock(&self.dropped).extend(paths.iter().cloned());
    }

    /// What may be read for the page at `path`: a file the user dropped on the window as it
    /// is, else its canonical path when that lies inside a root.
    pub fn readable(&self, path: &Path) -> CommandResult<Option<PathBuf>> {
        if lock(&self.dropped).contains(path) {
            return Ok(Some(path.to_owned()));
        }
        Ok(self.root_of(path)?.map(|inside| inside.canonical))
    }

    /// The root holding `path`, comparing canonical paths (see [`access::root_of`]).
    pub fn root_of(&self, path: &Path) -> CommandResult<Option<Inside>> {
        Ok(access::root_of(path, &self.library.roots()?))
    }

    /// What `open_path` and `reveal_path` may hand to the desktop (see [`access::openable`]).
    pub fn openable(&self, path: &Path) -> CommandResult<PathBuf> {
        let roots = self.library.roots()?;
        access::openable(path, &roots, |path| Ok(self.library.holds(path)?))
    }

    /// Answers a `thumb:` request (see [`crate::thumbs`]); blocks on the file system.
    pub fn thumbnail(&self, uri_path: &str, reply: crate::thumbs::Reply) {
        use tauri::http::StatusCode;
        let Some(path) = crate::thumbs::path_of(uri_path) else {
            return reply(crate::thumbs::status(StatusCode::BAD_REQUEST, "not a photo path"));
        };
        match self.root_of(&path) {
            Ok(Some(inside)) => self.thumbs.serve(&path, &inside, reply),
            _ => reply(crate::thumbs::status(StatusCode::FORBIDDEN, "not inside a photo folder")),
        }
    }

    /// Answers a `view:` request (see [`crate::thumbs::view`]): the photo itself for the
    /// preview, at the width `?w=` asks for, only for a photo the index holds (the rule of
    /// [`access::openable`]). `uri` is the request's path and query; blocks on the file system.
    pub fn view(&self, uri: &str, reply: crate::thumbs::Reply) {
        use crate::thumbs::{status, view::Size};
        use tauri::http::StatusCode;
        let (uri_path, query) = uri.split_once('?').map_or((uri, None), |(path, query)| (path, Some(query)));
        let Some(path) = crate::thumbs::path_of(uri_path) else {
            return reply(status(StatusCode::BAD_REQUEST, "not a photo path"));
        };
        let Some(size) = Size::from_query(query) else {
            return reply(status(StatusCode::BAD_REQUEST, "w is a width in pixels, or full"));
        };
        let roots = self.library.roots().unwrap_or_default();
        let held = access::openable(&path, &roots, |path| Ok(self.library.holds(path)?));
        let Some(inside) = held.ok().and_then(|canonical| access::root_of(&canonical, &roots)) else {
            return reply(status(StatusCode::FORBIDDEN, "not a photo in the library"));
        };
        self.thumbs.view(&path, &inside, size, reply);
    }

    /// The model as the page shows it.
    pub fn model_info(&self) -> ModelInfo {
        let loaded = self.loaded().map(|clip| clip.model_id().to_owned());
        // The manifest describes the loaded model only when it is that model (PHOTOFIND_MODEL may
        // point anywhere); without a model it describes the one to download.
        let manifest = self.manifest().filter(|m| loaded.as_ref().is_none_or(|id| *id == m.id));
        let state = match () {
            _ if loaded.is_some() => ModelState::Ready,
            _ if self.downloading.load(Ordering::Relaxed) => ModelState::Downloading,
            _ => ModelState::Missing,
        };
        // Only a failed download or load has something to say; a first run just offers the download.
        let message = if state == ModelState::Missing { lock(&self.model_message).clone() } else { None };
        match manifest {
            Some(m) => {
                ModelInfo { size: m.total_size(), id: m.id, name: m.name, license: m.license, state, message }
            }
            None => {
                let id = loaded.unwrap_or_default();
                ModelInfo { name: id.clone(), id, size: 0, license: String::new(), state, message }
            }
        }
    }

    /// Downloads the model in use in the background, then loads it and starts the service.
    pub fn download_model(self: &Arc<Self>, app: &AppHandle) -> CommandResult<()> {
        if self.loaded().is_some() {
            return Ok(());
        }
        let manifest = self
            .manifest()
            .ok_or_else(|| CommandError::new(ErrorKind::Model, "no built-in model is chosen to download"))?;
        if self.downloading.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let (backend, app) = (self.clone(), app.clone());
        std::thread::spawn(move || {
            let cancel = AtomicBool::new(false);
            let options = photofind_models::FetchOptions::default();
            let result = photofind_models::fetch(&manifest, &backend.models(), &options, &cancel, &mut |p| {
                let _ = app.emit("model-progress", ModelProgress::from(p));
            });
            let outcome = result
                .map_err(|e| {
                    CommandError::new(ErrorKind::Model, format!("{e}\n{}", backend.missing_message()))
                })
                .and_then(|dir| backend.load_model(&dir));
            backend.downloading.store(false, Ordering::SeqCst);
            match outcome {
                Ok(()) => {
                    *lock(&backend.model_message) = None;
                    backend.start_service(&app);
                }
                Err(err) => *lock(&backend.model_message) = Some(err.message),
            }
            let _ = app.emit("model-status", backend.model_info());
        });
        Ok(())
    }

    /// Each root with its photo count and state.
    pub fn roots(&self) -> CommandResult<Vec<RootInfo>> {
        let published = photofind_core::service::running_state(self.library.data_dir());
        let folders = self.library.folders()?;
        Ok(folders
            .into_iter()
            .map(|root| {
                let state = ServiceState::root_state(published.as_ref(), &root.path);
                RootInfo { photos: root.files.unwrap_or(0), path: root.path, state: root_state(state) }
            })
            .collect())
    }
}

/// The token of staged image bytes: named by their content.
fn token_of(bytes: &[u8]) -> String {
    format!("img-{}", &blake3::hash(bytes).to_hex()[..32])
}

/// Loads the CLIP model in `dir`.
pub fn load_clip(dir: &Path) -> CommandResult<Clip> {
    Clip::load(dir).map_err(|e| {
        CommandError::new(ErrorKind::Model, format!("cannot load the model in {}: {e}", dir.display()))
    })
}

/// A folder, as the page's `RootInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RootInfo {
    /// The folder, as the library stores it (the page sends it back to remove it).
    #[serde(with = "photofind_core::paths::serde")]
    #[cfg_attr(test, ts(type = "PathJson"))]
    pub path: PathBuf,
    /// Indexed photo files in it (a counter kept with each commit).
    pub photos: u64,
    /// What the service does with it.
    pub state: RootState,
}

/// What the service does with a folder, as the page's `RootState`: core's states, as few as the
/// page tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RootState {
    /// Its changes are followed (by events, or by polling where the OS cannot watch it).
    Watching,
    /// Being walked to find what changed.
    Scanning,
    /// Not there: its disk is not mounted; its photos stay in the index.
    Offline,
}

fn root_state(state: photofind_core::service::RootState) -> RootState {
    use photofind_core::service::RootState as Service;
    match state {
        Service::Offline => RootState::Offline,
        Service::Scanning => RootState::Scanning,
        Service::Watching | Service::Polling | Service::Idle => RootState::Watching,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use photofind_core::service::RootState as Service;

    #[test]
    fn the_same_image_picked_twice_gets_the_same_token_so_one_chip() {
        assert_eq!(token_of(b"the same bytes"), token_of(b"the same bytes"));
        assert_ne!(token_of(b"the same bytes"), token_of(b"other bytes"));
    }

    #[test]
    fn model_progress_serializes_as_the_pages_model_progress() {
        let progress = photofind_models::Progress {
            file: "model.safetensors".into(),
            done: 10,
            total: 40,
            rate: 5,
            eta_secs: Some(6),
        };
        let json = serde_json::to_value(ModelProgress::from(&progress)).expect("serializes");
        let expected = serde_json::json!({
            "file": "model.safetensors", "done": 10, "total": 40, "rate": 5, "eta_seconds": 6,
        });
        assert_eq!(json, expected);
    }

    #[test]
    fn states_serialize_as_the_words_the_page_reads() {
        let root = RootInfo { path: "/p".into(), photos: 3, state: root_state(Service::Polling) };
        let json = serde_json::to_value(root).expect("serializes");
        assert_eq!(json, serde_json::json!({ "path": "/p", "photos": 3, "state": "watching" }));
        let states = [ModelState::Ready, ModelState::Missing, ModelState::Downloading];
        let words: Vec<_> = states.iter().map(|s| serde_json::to_value(s).expect("serializes")).collect();
        assert_eq!(words, ["ready", "missing", "downloading"]);
    }
}
