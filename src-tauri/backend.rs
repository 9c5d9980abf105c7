//! The app's state: the library (shared with the CLI through the data dir), the model, the
//! background indexing and watching service, and what the page is told about them.
//!
//! Long work never runs in a command: the service has its own thread from launch (or from the
//! moment a first-run download installs the model); its events update [`IndexStatus`] and a
//! ticker sends the page at most a few `index-status` / `library-changed` events a second.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use photofind_clip::Clip;
use photofind_core::service::{RootState, ServiceState, WriterLock};
use photofind_core::{Embedder, Library, index, watch};
use photofind_models::{Manifest, Models};
use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::error::{CommandError, CommandResult};

/// How often the page hears about progress, at most.
const TICK: Duration = Duration::from_millis(300);

/// Where indexing stands, as the page's `IndexStatus`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IndexStatus {
    /// `idle`, `scanning`, `indexing` or `paused`.
    pub state: &'static str,
    /// Files finished in the current run.
    pub done: u64,
    /// Files the current run has to do (grows while scanning).
    pub total: u64,
    /// Files per second.
    pub per_second: f64,
    /// Seconds left, when known.
    pub eta_seconds: Option<f64>,
    /// Files that failed, in the current run.
    pub failed: u64,
    /// Photos embedded in the current run.
    pub embedded: u64,
    /// The file most recently finished.
    pub current: Option<PathBuf>,
    /// A model switch under way: the next model's index fills while search keeps the current one.
    pub switching: Option<Switching>,
}

/// A model switch, as the page's `Switching`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Switching {
    /// The model being switched to.
    pub model: String,
    /// Photos it has embedded.
    pub vectors: u64,
    /// Photos in the library.
    pub photos: u64,
}

/// The model, as the page's `ModelInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// Model id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Download size in bytes.
    pub size: u64,
    /// License.
    pub license: String,
    /// `ready`, `missing` or `downloading`.
    pub state: &'static str,
    /// What went wrong, or what to do.
    pub message: Option<String>,
}

/// Everything the commands share.
pub struct Backend {
    library: Arc<Library>,
    /// The model searches use; replaced when a model switch completes.
    clip: Arc<RwLock<Option<Arc<Clip>>>>,
    control: Mutex<Option<watch::Control>>,
    status: Arc<Mutex<IndexStatus>>,
    downloading: AtomicBool,
    model_message: Mutex<Option<String>>,
    staged: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    next_token: AtomicU64,
    dropped: Mutex<HashSet<PathBuf>>,
    changed: Arc<AtomicBool>,
    status_changed: Arc<AtomicBool>,
    writer: Mutex<Option<WriterLock>>,
}

/// The app's data dir: `PHOTOFIND_DATA_DIR`, else the platform default (the CLI's too).
pub fn data_dir() -> CommandResult<PathBuf> {
    std::env::var_os("PHOTOFIND_DATA_DIR")
        .map(PathBuf::from)
        .or_else(photofind_core::default_data_dir)
        .ok_or_else(|| CommandError::new("io", "no data directory: set PHOTOFIND_DATA_DIR"))
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
            library,
            clip: Arc::new(RwLock::new(None)),
            control: Mutex::new(None),
            status: Arc::new(Mutex::new(IndexStatus { state: "idle", ..IndexStatus::default() })),
            downloading: AtomicBool::new(false),
            model_message: Mutex::new(None),
            staged: Mutex::new(HashMap::new()),
            next_token: AtomicU64::new(1),
            dropped: Mutex::new(HashSet::new()),
            changed: Arc::new(AtomicBool::new(false)),
            status_changed: Arc::new(AtomicBool::new(false)),
            writer: Mutex::new(None),
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

    fn models(&self) -> Models {
        Models::new(self.library.data_dir())
    }

    fn model_dir(&self) -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("PHOTOFIND_MODEL") {
            return Some(PathBuf::from(dir));
        }
        let models = self.models();
        models.path(&models.current().ok()?)
    }

    fn load_model(&self, dir: &Path) -> CommandResult<()> {
        let clip = load_clip(dir)?;
        self.library.store().register_model(&photofind_core::store::ModelKey::of(&clip))?;
        *self.clip.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(clip));
        Ok(())
    }

    fn loaded(&self) -> Option<Arc<Clip>> {
        self.clip.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The model searches use now, or what to do without one. A search holds it for its whole
    /// run, so it answers from one model's index even while a switch completes.
    pub fn clip(&self) -> CommandResult<Arc<Clip>> {
        self.loaded().ok_or_else(|| CommandError::new("no_model", self.missing_message()))
    }

    /// The model a switch is under way to (`photofind model use`), unless `PHOTOFIND_MODEL`
    /// pins the model.
    fn next_model_dir(&self) -> Option<PathBuf> {
        if std::env::var_os("PHOTOFIND_MODEL").is_some() {
            return None;
        }
        self.models().pending_switch().ok()?.map(|(_, dir)| dir)
    }

    fn manifest(&self) -> Option<Manifest> {
        Manifest::find_builtin(&self.models().current().ok()?)
    }

    fn missing_message(&self) -> String {
        match self.manifest() {
            Some(manifest) => photofind_models::missing_model_message(&manifest, self.models().root()),
            None => "no model: set PHOTOFIND_MODEL to a CLIP checkpoint directory".into(),
        }
    }

    /// Starts the service when there is a model and no other process indexes this library.
    pub fn start_service(&self, app: &AppHandle) {
        let Some(clip) = self.loaded() else { return };
        let mut control = lock(&self.control);
        if control.is_some() {
            return;
        }
        match self.library.lock_writer("photofind desktop app") {
            Ok(writer) => *lock(&self.writer) = Some(writer),
            Err(err) => {
                // `photofind watch` runs: it keeps the index up to date; searches still work.
                *lock(&self.status) = IndexStatus { state: "idle", ..IndexStatus::default() };
                eprintln!("photofind: not indexing here: {err}");
                return;
            }
        }
        let (handle, commands) = watch::control();
        *control = Some(handle);
        let service = Service {
            library: self.library.clone(),
            models: self.models(),
            searching: self.clip.clone(),
            status: self.status.clone(),
            changed: self.changed.clone(),
            status_changed: self.status_changed.clone(),
        };
        let next = self.next_model_dir();
        std::thread::spawn(move || {
            if let Err(err) = service.run(clip, next, &commands) {
                eprintln!("photofind: the indexing service stopped: {err}");
            }
        });
        let (app, status, changed, status_changed) =
            (app.clone(), self.status.clone(), self.changed.clone(), self.status_changed.clone());
        std::thread::spawn(move || ticker(&app, &status, &changed, &status_changed));
    }

    /// Stops the service after its current batch commits.
    pub fn stop_service(&self) {
        if let Some(control) = lock(&self.control).as_ref() {
            control.stop();
        }
    }

    /// Where indexing stands.
    pub fn index_status(&self) -> IndexStatus {
        lock(&self.status).clone()
    }

    /// Pauses or resumes the service.
    pub fn set_paused(&self, paused: bool) {
        let control = lock(&self.control);
        let Some(control) = control.as_ref() else { return };
        if paused {
            control.pause();
            lock(&self.status).state = "paused";
        } else {
            control.resume();
            lock(&self.status).state = "scanning";
        }
        self.status_changed.store(true, Ordering::Relaxed);
    }

    /// Tells the service the roots changed, and the page that the library did.
    pub fn roots_changed(&self) {
        if let Some(control) = lock(&self.control).as_ref() {
            control.roots_changed();
        }
        self.changed.store(true, Ordering::Relaxed);
    }

    /// Keeps image bytes for a search; returns their token.
    pub fn stage(&self, bytes: Vec<u8>) -> String {
        let token = format!("img-{}", self.next_token.fetch_add(1, Ordering::Relaxed));
        let mut staged = lock(&self.staged);
        if staged.len() >= 8 {
            staged.clear(); // a few queries' worth is plenty; old tokens just expire
        }
        staged.insert(token.clone(), Arc::new(bytes));
        token
    }

    /// Staged bytes by token.
    pub fn staged(&self, token: &str) -> CommandResult<Arc<Vec<u8>>> {
        lock(&self.staged)
            .get(token)
            .cloned()
            .ok_or_else(|| CommandError::new("not_found", format!("image {token} expired: pick it again")))
    }

    /// Remembers files the user dropped on the window: they may be searched by path.
    pub fn allow_dropped(&self, paths: &[PathBuf]) {
        lock(&self.dropped).extend(paths.iter().cloned());
    }

    /// Whether a path may be read for the page: inside a root, or dropped by the user.
    pub fn readable(&self, path: &Path) -> CommandResult<bool> {
        if lock(&self.dropped).contains(path) {
            return Ok(true);
        }
        self.inside_root(path)
    }

    /// Whether `path` lies inside one of the library's roots.
    pub fn inside_root(&self, path: &Path) -> CommandResult<bool> {
        let roots = self.library.roots()?;
        Ok(path.is_absolute()
            && !path.components().any(|c| c == std::path::Component::ParentDir)
            && roots.iter().any(|root| path.starts_with(root)))
    }

    /// The model as the page shows it.
    pub fn model_info(&self) -> ModelInfo {
        let loaded = self.loaded().map(|clip| clip.model_id().to_owned());
        // The manifest describes the loaded model only when it is that model (PHOTOFIND_MODEL may
        // point anywhere); without a model it describes the one to download.
        let manifest = self.manifest().filter(|m| loaded.as_ref().is_none_or(|id| *id == m.id));
        let state = match () {
            _ if loaded.is_some() => "ready",
            _ if self.downloading.load(Ordering::Relaxed) => "downloading",
            _ => "missing",
        };
        // Only a failed download or load has something to say; a first run just offers the download.
        let message = if state == "missing" { lock(&self.model_message).clone() } else { None };
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
            .ok_or_else(|| CommandError::new("model", "no built-in model is chosen to download"))?;
        if self.downloading.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let (backend, app) = (self.clone(), app.clone());
        std::thread::spawn(move || {
            let cancel = AtomicBool::new(false);
            let options = photofind_models::FetchOptions::default();
            let result = photofind_models::fetch(&manifest, &backend.models(), &options, &cancel, &mut |p| {
                let progress = serde_json::json!({
                    "file": p.file, "done": p.done, "total": p.total, "rate": p.rate, "eta_seconds": p.eta_secs,
                });
                let _ = app.emit("model-progress", progress);
            });
            let outcome = result
                .map_err(|e| CommandError::new("model", format!("{e}\n{}", backend.missing_message())))
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
        let store = self.library.store();
        let published = photofind_core::service::running_state(self.library.data_dir());
        self.library
            .roots()?
            .into_iter()
            .map(|path| {
                let photos = store.ids_in(&path)?.len();
                let state = ServiceState::root_state(published.as_ref(), &path);
                Ok(RootInfo { path, photos, state: root_state(state) })
            })
            .collect()
    }
}

fn load_clip(dir: &Path) -> CommandResult<Clip> {
    Clip::load(dir)
        .map_err(|e| CommandError::new("model", format!("cannot load the model in {}: {e}", dir.display())))
}

/// What the service thread holds.
struct Service {
    library: Arc<Library>,
    models: Models,
    searching: Arc<RwLock<Option<Arc<Clip>>>>,
    status: Arc<Mutex<IndexStatus>>,
    changed: Arc<AtomicBool>,
    status_changed: Arc<AtomicBool>,
}

impl Service {
    /// Watches with `clip` (filling `next`'s index too, when a switch is under way) until
    /// stopped; when the next model covers the library, searches switch to it and the service
    /// goes on with it.
    fn run(
        &self,
        mut clip: Arc<Clip>,
        next: Option<PathBuf>,
        commands: &watch::Commands,
    ) -> Result<(), String> {
        let mut next = match next {
            Some(dir) => Some(Arc::new(load_clip(&dir).map_err(|e| e.message)?)),
            None => None,
        };
        let options = watch::Options::default();
        loop {
            let mut on_event = |event: watch::Event| {
                note_event(&event, &self.status, &self.changed);
                self.status_changed.store(true, Ordering::Relaxed);
            };
            let next_model = next.as_deref().map(|n| n as &dyn Embedder);
            match self.library.watch(clip.as_ref(), next_model, &options, commands, &mut on_event) {
                Ok(watch::Ended::Stopped) => return Ok(()),
                Ok(watch::Ended::Covered { model }) => {
                    self.models.finish_switch(&model).map_err(|e| e.to_string())?;
                    clip = next.take().ok_or("the next model vanished")?;
                    *self.searching.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some(clip.clone());
                    lock(&self.status).switching = None;
                    self.status_changed.store(true, Ordering::Relaxed);
                    self.changed.store(true, Ordering::Relaxed);
                }
                Err(err) => return Err(err.to_string()),
            }
        }
    }
}

/// A folder, as the page's `RootInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RootInfo {
    /// The folder.
    pub path: PathBuf,
    /// Photos with a file in it.
    pub photos: u64,
    /// `watching`, `scanning` or `offline`.
    pub state: &'static str,
}

fn root_state(state: RootState) -> &'static str {
    match state {
        RootState::Offline => "offline",
        RootState::Scanning => "scanning",
        RootState::Watching | RootState::Polling | RootState::Idle => "watching",
    }
}

/// Folds a service event into the status the page reads.
fn note_event(event: &watch::Event, status: &Mutex<IndexStatus>, changed: &AtomicBool) {
    let mut status = lock(status);
    match event {
        watch::Event::Index(index::Event::Progress(p)) => {
            if status.state != "paused" {
                status.state = if p.scanning { "scanning" } else { "indexing" };
            }
            status.done = p.done;
            status.total = p.total;
            status.per_second = p.per_second;
            status.eta_seconds = p.eta_seconds;
            status.failed = p.failed;
            status.embedded = p.embedded;
            status.current = p.current.clone();
        }
        watch::Event::Index(index::Event::Committed { .. } | index::Event::Removed { .. })
        | watch::Event::Root(_) => changed.store(true, Ordering::Relaxed),
        watch::Event::Idle if status.state != "paused" => status.state = "idle",
        watch::Event::Switching { model, vectors, photos } => {
            status.switching = Some(Switching { model: model.clone(), vectors: *vectors, photos: *photos });
        }
        _ => {}
    }
}

/// Sends the page the status and the library's changes, at most every [`TICK`].
fn ticker(app: &AppHandle, status: &Mutex<IndexStatus>, changed: &AtomicBool, status_changed: &AtomicBool) {
    loop {
        std::thread::sleep(TICK);
        if status_changed.swap(false, Ordering::Relaxed) {
            let _ = app.emit("index-status", lock(status).clone());
        }
        if changed.swap(false, Ordering::Relaxed) {
            let _ = app.emit("library-changed", ());
        }
    }
}
