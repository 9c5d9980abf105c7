//! The background indexing and watching service as the app runs it, and what the page is told.
//!
//! One thread supervises the service (`Library::watch`, as `photofind watch` runs it). It holds
//! the library's writer lock while the service runs. When the service fails (a full disk, an
//! index error) the status goes to `error` with the message, the lock is released (so the CLI
//! may index meanwhile), and the service starts again after a [`Backoff`]. Events fold into
//! one [`IndexStatus`]; a ticker sends it to the page at most every [`TICK`], with the
//! count of recorded failures read from the index.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use photofind_clip::Clip;
use photofind_core::live::{Live, ModelChoice};
use photofind_core::service::{Phase, ServiceState, WriterLock};
use photofind_core::{Library, index, watch};
use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::restart::{Backoff, Stop};

/// How often the page hears about progress, at most.
const TICK: Duration = Duration::from_millis(300);
/// The warnings kept (the most recent), so a flapping one cannot grow the status.
const MAX_WARNINGS: usize = 8;
/// Who holds the writer lock, as `photofind status` and a refused `photofind watch` say.
pub const WRITER: &str = "photofind desktop app";

/// What the service is doing, as the page's `IndexState`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum IndexState {
    /// Everything seen is in the index ("Up to date · N photos").
    #[default]
    Idle,
    /// Walking folders to find what changed.
    Scanning,
    /// Reading and embedding what the scan found.
    Indexing,
    /// Paused by the user.
    Paused,
    /// The service stopped; it restarts in `retry_seconds`.
    Error,
}

/// Where indexing stands, as the page's `IndexStatus`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct IndexStatus {
    /// What the service is doing.
    pub state: IndexState,
    /// Photos in the library, as of the last time the service caught up.
    pub photos: u64,
    /// Files already in the index that the current run found unchanged.
    pub unchanged: u64,
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
    /// Failures the index holds, from every run: what the failures panel lists.
    pub failures: u64,
    /// Photos embedded in the current run.
    pub embedded: u64,
    /// The file most recently finished.
    #[serde(with = "photofind_core::paths::serde_opt")]
    #[cfg_attr(test, ts(type = "PathJson | null"))]
    pub current: Option<PathBuf>,
    /// A model switch under way: the next model's index fills while search keeps the current one.
    pub switching: Option<Switching>,
    /// Why the service last stopped; kept after a restart until it has caught up again.
    pub error: Option<String>,
    /// In `error`: seconds until the service starts again.
    pub retry_seconds: Option<u64>,
    /// What the service asks the user to act on (e.g. a folder polled because the OS watch
    /// limit is reached), oldest first.
    pub warnings: Vec<String>,
}

/// The status of a service another process runs (`photofind watch`), from what it publishes.
pub fn published_status(published: &ServiceState) -> IndexStatus {
    let progress = published.progress.clone().unwrap_or_default();
    let state = match published.phase {
        Phase::UpToDate => IndexState::Idle,
        Phase::Paused => IndexState::Paused,
        Phase::Indexing => IndexState::Indexing,
        Phase::Starting | Phase::Scanning => IndexState::Scanning,
    };
    IndexStatus {
        state,
        photos: published.photos,
        unchanged: progress.unchanged,
        done: progress.done,
        total: progress.total,
        per_second: progress.per_second,
        eta_seconds: progress.eta_seconds,
        failed: progress.failed,
        embedded: progress.embedded,
        warnings: published.warnings.clone(),
        ..IndexStatus::default()
    }
}

/// A model switch, as the page's `Switching`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Switching {
    /// The model being switched to.
    pub model: String,
    /// Photos it has embedded.
    pub vectors: u64,
    /// Photos in the library.
    pub photos: u64,
}

/// What the service tells the page: the status, and whether it or the library changed since
/// the ticker last looked.
#[derive(Debug, Default)]
pub struct PageFeed {
    status: Mutex<IndexStatus>,
    changed: AtomicBool,
    status_changed: AtomicBool,
}

impl PageFeed {
    /// A feed whose status starts `idle`.
    pub fn new() -> Self {
        Self { status: Mutex::new(IndexStatus::default()), ..Self::default() }
    }

    /// The status, to read or change (then call [`PageFeed::status_changed`]).
    pub fn status(&self) -> MutexGuard<'_, IndexStatus> {
        self.status.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The status changed: send it with the next tick.
    pub fn status_changed(&self) {
        self.status_changed.store(true, Ordering::Relaxed);
    }

    /// Folders or photos changed: tell the page with the next tick.
    pub fn library_changed(&self) {
        self.changed.store(true, Ordering::Relaxed);
    }

    /// Folds a service event into the status.
    pub fn note(&self, event: &watch::Event) {
        let mut status = self.status();
        match event {
            watch::Event::Index(index::Event::Progress(p)) => {
                if status.state != IndexState::Paused {
                    status.state = if p.scanning { IndexState::Scanning } else { IndexState::Indexing };
                }
                status.done = p.done;
                status.unchanged = p.unchanged;
                status.total = p.total;
                status.per_second = p.per_second;
                status.eta_seconds = p.eta_seconds;
                status.failed = p.failed;
                status.embedded = p.embedded;
                status.current = p.current.clone();
            }
            watch::Event::Index(index::Event::Committed { .. } | index::Event::Removed { .. })
            | watch::Event::Root(_) => self.library_changed(),
            watch::Event::Idle { photos } => {
                if status.state != IndexState::Paused {
                    status.state = IndexState::Idle;
                }
                status.photos = *photos;
                status.error = None; // caught up again since the last failure
            }
            watch::Event::Switched { .. } => {
                status.switching = None;
                self.library_changed();
            }
            watch::Event::Warning { message } => {
                status.warnings.retain(|known| known != message);
                status.warnings.push(message.clone());
                let excess = status.warnings.len().saturating_sub(MAX_WARNINGS);
                status.warnings.drain(..excess);
            }
            watch::Event::Switching { model, vectors, photos } => {
                status.switching =
                    Some(Switching { model: model.clone(), vectors: *vectors, photos: *photos });
            }
            _ => {}
        }
        drop(status);
        self.status_changed();
    }

    /// A run starts: what the last one warned about is its own (this one warns again).
    fn starting(&self, paused: bool) {
        let mut status = self.status();
        status.state = if paused { IndexState::Paused } else { IndexState::Scanning };
        status.retry_seconds = None;
        status.warnings.clear();
        drop(status);
        self.status_changed();
    }

    /// The service stopped with `message`; it starts again in `retry`.
    fn failed(&self, message: &str, retry: Duration) {
        let mut status = self.status();
        status.state = IndexState::Error;
        status.error = Some(message.to_owned());
        status.retry_seconds = Some(retry.as_secs().max(1));
        status.current = None;
        drop(status);
        self.status_changed();
    }
}

/// A running service, for the commands: pause, resume, new roots, stop.
#[derive(Debug, Clone)]
pub struct Handle {
    control: watch::Control,
    stop: Arc<Stop>,
    paused: Arc<AtomicBool>,
    restart: Arc<AtomicBool>,
    /// The service holds the library's writer lock now (not while it waits out a failure).
    holds: Arc<AtomicBool>,
}

impl Handle {
    /// Stops the service after its current batch commits (or ends its wait to restart).
    pub fn stop(&self) {
        self.stop.set();
        self.control.stop();
    }

    /// Pauses or resumes indexing; a restarted service keeps the choice.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        if paused { self.control.pause() } else { self.control.resume() }
    }

    /// Ends the current run after its batch and starts another, which reads the model choice
    /// anew (a switch started from the settings).
    pub fn restart(&self) {
        self.restart.store(true, Ordering::SeqCst);
        self.control.stop();
        self.stop.poke(); // a run waiting out a failure starts now
    }

    /// Whether the service holds the library's writer lock now.
    pub fn holds_writer(&self) -> bool {
        self.holds.load(Ordering::SeqCst)
    }

    /// Tells the service the roots changed.
    pub fn roots_changed(&self) {
        self.control.roots_changed();
    }
}

/// What the service thread holds.
pub struct Service {
    /// The library it indexes.
    pub library: Arc<Library>,
    /// Which model (a model switch finishes there).
    pub choice: ModelChoice,
    /// The model searches use; the service indexes with it and replaces it after a switch.
    pub searching: Arc<RwLock<Option<Arc<Clip>>>>,
    /// What the page is told.
    pub feed: Arc<PageFeed>,
}

impl Service {
    /// Starts the service's thread, holding `writer` for its first run, and the ticker.
    pub fn start(self, writer: WriterLock, app: &AppHandle) -> Handle {
        let (control, commands) = watch::control();
        let handle = Handle {
            control,
            stop: Arc::default(),
            paused: Arc::default(),
            restart: Arc::default(),
            holds: Arc::default(),
        };
        let (library, feed, app) = (Arc::clone(&self.library), Arc::clone(&self.feed), app.clone());
        std::thread::spawn(move || ticker(&app, &library, &feed));
        let supervised = handle.clone();
        std::thread::spawn(move || self.supervise(writer, &commands, &supervised));
        handle
    }

    /// Runs the service until stopped, again after each failure.
    fn supervise(&self, first: WriterLock, commands: &watch::Commands, handle: &Handle) {
        let mut backoff = Backoff::default();
        let mut writer = Some(first);
        while !handle.stop.is_set() {
            if handle.restart.swap(false, Ordering::SeqCst) {
                commands.rearm(); // the stop that ended the last run is not this one's
            }
            let started = Instant::now();
            let outcome = match writer.take().map_or_else(|| self.library.lock_writer(WRITER), Ok) {
                Ok(lock) => {
                    handle.holds.store(true, Ordering::SeqCst);
                    let paused = handle.paused.load(Ordering::SeqCst);
                    if paused {
                        handle.control.pause();
                    }
                    self.feed.starting(paused);
                    match self.run(&lock, commands) {
                        // A restart keeps the lock: nothing else may start writing in between.
                        Ok(()) if handle.restart.load(Ordering::SeqCst) => {
                            writer = Some(lock);
                            continue;
                        }
                        // The lock is released while waiting, so `photofind index` may run.
                        outcome => {
                            handle.holds.store(false, Ordering::SeqCst);
                            outcome
                        }
                    }
                }
                Err(err) => Err(format!("cannot take over indexing: {err}")),
            };
            let Err(message) = outcome else { return };
            let delay = backoff.after_failure(started.elapsed());
            eprintln!("photofind: the indexing service stopped: {message} (restarting in {delay:?})");
            self.feed.failed(&message, delay);
            if handle.stop.wait(delay) {
                return;
            }
        }
    }

    /// Runs the live library (core's loop, as `photofind watch` runs it) with the model searches
    /// use until stopped; when a switch under way completes, searches move to the new model.
    fn run(&self, writer: &WriterLock, commands: &watch::Commands) -> Result<(), String> {
        let clip = self.current().ok_or("no model is loaded")?;
        let load = |dir: &std::path::Path| Clip::load(dir).map_err(|e| e.to_string());
        let live = Live { library: &self.library, writer, choice: &self.choice, load: &load };
        let mut on_event = |event: watch::Event| self.feed.note(&event);
        let mut swapped = |clip: Arc<Clip>| {
            *self.searching.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(clip);
        };
        let options = watch::Options::default();
        live.watch(clip, &options, commands, &mut on_event, &mut swapped).map_err(|e| e.to_string())
    }

    fn current(&self) -> Option<Arc<Clip>> {
        self.searching.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// Sends the page the status and the library's changes, at most every [`TICK`].
fn ticker(app: &AppHandle, library: &Library, feed: &PageFeed) {
    loop {
        std::thread::sleep(TICK);
        if feed.status_changed.swap(false, Ordering::Relaxed) {
            let failures = library.failures(0, 0).map(|page| page.total);
            let mut status = feed.status();
            if let Ok(failures) = failures {
                status.failures = failures;
            }
            let _ = app.emit("index-status", status.clone());
        }
        if feed.changed.swap(false, Ordering::Relaxed) {
            let _ = app.emit("library-changed", ());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use photofind_core::service::{RootState, RootStatus};

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn progress(scanning: bool, done: u64, total: u64) -> watch::Event {
        watch::Event::Index(index::Event::Progress(index::Progress {
            scanning,
            done,
            total,
            failed: 1,
            current: Some(PathBuf::from("/p/a.jpg")),
            ..index::Progress::default()
        }))
    }

    fn warning(message: &str) -> watch::Event {
        watch::Event::Warning { message: message.into() }
    }

    /// The status after `events`, from `state`.
    fn fold(state: IndexState, events: &[watch::Event]) -> (IndexStatus, bool) {
        let feed = PageFeed::new();
        feed.status().state = state;
        events.iter().for_each(|event| feed.note(event));
        let changed = feed.changed.load(Ordering::Relaxed);
        (feed.status().clone(), changed)
    }

    #[test]
    fn events_fold_into_the_status() {
        let idle = watch::Event::Idle { photos: 10 };
        let committed = watch::Event::Index(index::Event::Committed { paths: vec![] });
        let root = watch::Event::Root(RootStatus { path: "/p".into(), state: RootState::Watching });
        // (start state, events, expected state, expected done, library changed)
        let cases: &[(IndexState, Vec<watch::Event>, IndexState, u64, bool)] = &[
            (IndexState::Idle, vec![progress(true, 0, 10)], IndexState::Scanning, 0, false),
            (IndexState::Scanning, vec![progress(false, 4, 10)], IndexState::Indexing, 4, false),
            (IndexState::Paused, vec![progress(false, 5, 10)], IndexState::Paused, 5, false),
            (IndexState::Indexing, vec![progress(false, 10, 10), idle.clone()], IndexState::Idle, 10, false),
            (IndexState::Paused, vec![idle], IndexState::Paused, 0, false),
            (IndexState::Idle, vec![committed], IndexState::Idle, 0, true),
            (IndexState::Idle, vec![root], IndexState::Idle, 0, true),
        ];
        for (start, events, state, done, changed) in cases {
            let (status, library_changed) = fold(*start, events);
            assert_eq!(
                (status.state, status.done, library_changed),
                (*state, *done, *changed),
                "{start:?} {events:?}"
            );
        }
    }

    #[test]
    fn warnings_are_kept_once_each_newest_last_and_bounded() {
        let (status, _) =
            fold(IndexState::Idle, &[warning("inotify limit"), warning("other"), warning("inotify limit")]);
        assert_eq!(status.warnings, ["other", "inotify limit"]);
        let many: Vec<_> = (0..20).map(|i| warning(&format!("w{i}"))).collect();
        let (status, _) = fold(IndexState::Idle, &many);
        assert_eq!(status.warnings.len(), MAX_WARNINGS);
        assert_eq!(status.warnings.last().map(String::as_str), Some("w19"));
    }

    #[test]
    fn a_failure_shows_until_the_restarted_service_catches_up() {
        let feed = PageFeed::new();
        feed.note(&warning("polling /p"));
        feed.failed("No space left on device", secs(4));
        let status = feed.status().clone();
        assert_eq!(
            (status.state, status.error.as_deref(), status.retry_seconds),
            (IndexState::Error, Some("No space left on device"), Some(4))
        );
        feed.starting(false);
        let status = feed.status().clone();
        assert_eq!((status.state, status.retry_seconds), (IndexState::Scanning, None));
        assert_eq!(status.error.as_deref(), Some("No space left on device"), "kept while catching up");
        assert!(status.warnings.is_empty(), "the new run warns for itself");
        feed.note(&watch::Event::Idle { photos: 1 });
        assert_eq!(feed.status().error, None);
        feed.starting(true);
        assert_eq!(feed.status().state, IndexState::Paused, "a restart keeps a pause");
    }

    #[test]
    fn another_process_service_reads_as_the_same_status() {
        let cases = [
            (Phase::UpToDate, IndexState::Idle),
            (Phase::Starting, IndexState::Scanning),
            (Phase::Scanning, IndexState::Scanning),
            (Phase::Indexing, IndexState::Indexing),
            (Phase::Paused, IndexState::Paused),
        ];
        for (phase, state) in cases {
            let published = ServiceState { phase, photos: 100_000, ..ServiceState::default() };
            let status = published_status(&published);
            assert_eq!((status.state, status.photos), (state, 100_000), "{phase:?}");
        }
    }

    #[test]
    fn the_status_serializes_as_the_pages_index_status() {
        let (status, _) = fold(IndexState::Idle, &[progress(false, 1, 2), warning("w")]);
        let json = serde_json::to_value(status).expect("serializes");
        assert_eq!(json["state"], "indexing");
        assert_eq!(json["current"], "/p/a.jpg");
        assert_eq!(json["warnings"], serde_json::json!(["w"]));
        assert_eq!(json["error"], serde_json::Value::Null);
        assert_eq!(json["failures"], 0);
        let (status, _) = fold(IndexState::Scanning, &[watch::Event::Idle { photos: 7 }]);
        let json = serde_json::to_value(status).expect("serializes");
        assert_eq!((json["state"].as_str(), json["photos"].as_u64()), (Some("idle"), Some(7)));
    }
}
