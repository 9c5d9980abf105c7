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
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use photofind_clip::Clip;
use photofind_core::service::WriterLock;
use photofind_core::{Embedder, Library, index, watch};
use photofind_models::Models;
use serde::Serialize;
use tauri::{AppHandle, Emitter};

/// How often the page hears about progress, at most.
const TICK: Duration = Duration::from_millis(300);
/// The warnings kept (the most recent), so a flapping one cannot grow the status.
const MAX_WARNINGS: usize = 8;
/// Who holds the writer lock, as `photofind status` and a refused `photofind watch` say.
pub const WRITER: &str = "photofind desktop app";

/// Where indexing stands, as the page's `IndexStatus`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IndexStatus {
    /// `idle`, `scanning`, `indexing`, `paused` or `error` (the service stopped and restarts
    /// in `retry_seconds`).
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
    /// Failures the index holds, from every run: what the failures panel lists.
    pub failures: u64,
    /// Photos embedded in the current run.
    pub embedded: u64,
    /// The file most recently finished.
    #[serde(with = "photofind_core::paths::serde_opt")]
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
        Self {
            status: Mutex::new(IndexStatus { state: "idle", ..IndexStatus::default() }),
            ..Self::default()
        }
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
            | watch::Event::Root(_) => self.library_changed(),
            watch::Event::Idle => {
                if status.state != "paused" {
                    status.state = "idle";
                }
                status.error = None; // caught up again since the last failure
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
        status.state = if paused { "paused" } else { "scanning" };
        status.retry_seconds = None;
        status.warnings.clear();
        drop(status);
        self.status_changed();
    }

    /// The service stopped with `message`; it starts again in `retry`.
    fn failed(&self, message: &str, retry: Duration) {
        let mut status = self.status();
        status.state = "error";
        status.error = Some(message.to_owned());
        status.retry_seconds = Some(retry.as_secs().max(1));
        status.current = None;
        drop(status);
        self.status_changed();
    }
}

/// When a failed service starts again: after 1 s, 2 s, 4 s … up to `cap`; after a run that
/// lasted `healthy`, from 1 s again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    healthy: Duration,
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(300), Duration::from_secs(600))
    }
}

impl Backoff {
    /// Doubles from `base` up to `cap`; resets after a run of `healthy`.
    pub fn new(base: Duration, cap: Duration, healthy: Duration) -> Self {
        Self { base, cap, healthy, next: base }
    }

    /// How long to wait after a run that failed once it had run for `ran_for`.
    pub fn after_failure(&mut self, ran_for: Duration) -> Duration {
        if ran_for >= self.healthy {
            self.next = self.base;
        }
        let delay = self.next;
        self.next = (self.next * 2).min(self.cap);
        delay
    }
}

/// A stop that also ends a wait between runs.
#[derive(Debug, Default)]
struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    fn set(&self) {
        *self.stopped.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        self.wake.notify_all();
    }

    fn is_set(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits `delay` unless stopped first; whether it was stopped.
    fn wait(&self, delay: Duration) -> bool {
        let stopped = self.stopped.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (stopped, _) = self
            .wake
            .wait_timeout_while(stopped, delay, |stopped| !*stopped)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *stopped
    }
}

/// A running service, for the commands: pause, resume, new roots, stop.
#[derive(Debug, Clone)]
pub struct Handle {
    control: watch::Control,
    stop: Arc<Stop>,
    paused: Arc<AtomicBool>,
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

    /// Tells the service the roots changed.
    pub fn roots_changed(&self) {
        self.control.roots_changed();
    }
}

/// What the service thread holds.
pub struct Service {
    /// The library it indexes.
    pub library: Arc<Library>,
    /// Where models are installed (a model switch finishes there).
    pub models: Models,
    /// The model searches use; the service indexes with it and replaces it after a switch.
    pub searching: Arc<RwLock<Option<Arc<Clip>>>>,
    /// What the page is told.
    pub feed: Arc<PageFeed>,
}

impl Service {
    /// Starts the service's thread, holding `writer` for its first run, and the ticker.
    pub fn start(self, writer: WriterLock, app: &AppHandle) -> Handle {
        let (control, commands) = watch::control();
        let handle = Handle { control, stop: Arc::default(), paused: Arc::default() };
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
            let started = Instant::now();
            let outcome = match writer.take().map_or_else(|| self.library.lock_writer(WRITER), Ok) {
                Ok(lock) => {
                    let paused = handle.paused.load(Ordering::SeqCst);
                    if paused {
                        handle.control.pause();
                    }
                    self.feed.starting(paused);
                    let outcome = self.run(commands);
                    drop(lock); // released while waiting, so `photofind index` may run meanwhile
                    outcome
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

    /// Watches with the model searches use (filling the next model's index too, when a switch
    /// is under way) until stopped; when the next model covers the library, searches switch to
    /// it and the service goes on with it.
    fn run(&self, commands: &watch::Commands) -> Result<(), String> {
        let mut clip = self.current().ok_or("no model is loaded")?;
        let mut next = match next_model_dir(&self.models) {
            Some(dir) => Some(Arc::new(crate::backend::load_clip(&dir).map_err(|e| e.message)?)),
            None => None,
        };
        let options = watch::Options::default();
        loop {
            let mut on_event = |event: watch::Event| self.feed.note(&event);
            let next_model = next.as_deref().map(|n| n as &dyn Embedder);
            match self.library.watch(clip.as_ref(), next_model, &options, commands, &mut on_event) {
                Ok(watch::Ended::Stopped) => return Ok(()),
                Ok(watch::Ended::Covered { model }) => {
                    self.models.finish_switch(&model).map_err(|e| e.to_string())?;
                    clip = next.take().ok_or("the next model vanished")?;
                    *self.searching.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some(clip.clone());
                    self.feed.status().switching = None;
                    self.feed.status_changed();
                    self.feed.library_changed();
                }
                Err(err) => return Err(err.to_string()),
            }
        }
    }

    fn current(&self) -> Option<Arc<Clip>> {
        self.searching.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// The model a switch is under way to (`photofind model use`), unless `PHOTOFIND_MODEL` pins
/// the model.
pub fn next_model_dir(models: &Models) -> Option<PathBuf> {
    if std::env::var_os("PHOTOFIND_MODEL").is_some() {
        return None;
    }
    models.pending_switch().ok()?.map(|(_, dir)| dir)
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

    #[test]
    fn restarts_back_off_doubling_up_to_the_cap() {
        let mut backoff = Backoff::new(secs(1), secs(30), secs(600));
        let delays: Vec<u64> = (0..8).map(|_| backoff.after_failure(secs(2)).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn a_healthy_run_starts_the_backoff_over() {
        let mut backoff = Backoff::new(secs(1), secs(300), secs(600));
        for _ in 0..5 {
            backoff.after_failure(secs(1));
        }
        assert_eq!(backoff.after_failure(secs(601)), secs(1));
        assert_eq!(backoff.after_failure(secs(3)), secs(2));
    }

    #[test]
    fn the_default_backoff_waits_a_second_first_and_a_few_minutes_at_most() {
        let mut backoff = Backoff::default();
        assert_eq!(backoff.after_failure(Duration::ZERO), secs(1));
        let last = (0..20).map(|_| backoff.after_failure(Duration::ZERO)).last();
        assert_eq!(last, Some(secs(300)));
    }

    #[test]
    fn a_stop_ends_the_wait_between_runs() {
        let stop = Arc::new(Stop::default());
        let waiting = Arc::clone(&stop);
        let started = Instant::now();
        let waiter = std::thread::spawn(move || waiting.wait(secs(60)));
        std::thread::sleep(Duration::from_millis(50));
        stop.set();
        assert!(waiter.join().expect("joins"));
        assert!(started.elapsed() < secs(10));
        assert!(!Stop::default().wait(Duration::from_millis(10)), "no stop: the wait runs out");
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
    fn fold(state: &'static str, events: &[watch::Event]) -> (IndexStatus, bool) {
        let feed = PageFeed::new();
        feed.status().state = state;
        events.iter().for_each(|event| feed.note(event));
        let changed = feed.changed.load(Ordering::Relaxed);
        (feed.status().clone(), changed)
    }

    #[test]
    fn events_fold_into_the_status() {
        let idle = watch::Event::Idle;
        let committed = watch::Event::Index(index::Event::Committed { paths: vec![] });
        let root = watch::Event::Root(RootStatus { path: "/p".into(), state: RootState::Watching });
        // (start state, events, expected state, expected done, library changed)
        let cases: &[(&str, Vec<watch::Event>, &str, u64, bool)] = &[
            ("idle", vec![progress(true, 0, 10)], "scanning", 0, false),
            ("scanning", vec![progress(false, 4, 10)], "indexing", 4, false),
            ("paused", vec![progress(false, 5, 10)], "paused", 5, false),
            ("indexing", vec![progress(false, 10, 10), idle.clone()], "idle", 10, false),
            ("paused", vec![idle], "paused", 0, false),
            ("idle", vec![committed], "idle", 0, true),
            ("idle", vec![root], "idle", 0, true),
        ];
        for (start, events, state, done, changed) in cases {
            let (status, library_changed) = fold(start, events);
            assert_eq!(
                (status.state, status.done, library_changed),
                (*state, *done, *changed),
                "{start} {events:?}"
            );
        }
    }

    #[test]
    fn warnings_are_kept_once_each_newest_last_and_bounded() {
        let (status, _) =
            fold("idle", &[warning("inotify limit"), warning("other"), warning("inotify limit")]);
        assert_eq!(status.warnings, ["other", "inotify limit"]);
        let many: Vec<_> = (0..20).map(|i| warning(&format!("w{i}"))).collect();
        let (status, _) = fold("idle", &many);
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
            ("error", Some("No space left on device"), Some(4))
        );
        feed.starting(false);
        let status = feed.status().clone();
        assert_eq!((status.state, status.retry_seconds), ("scanning", None));
        assert_eq!(status.error.as_deref(), Some("No space left on device"), "kept while catching up");
        assert!(status.warnings.is_empty(), "the new run warns for itself");
        feed.note(&watch::Event::Idle);
        assert_eq!(feed.status().error, None);
        feed.starting(true);
        assert_eq!(feed.status().state, "paused", "a restart keeps a pause");
    }

    #[test]
    fn the_status_serializes_as_the_pages_index_status() {
        let (status, _) = fold("idle", &[progress(false, 1, 2), warning("w")]);
        let json = serde_json::to_value(status).expect("serializes");
        assert_eq!(json["state"], "indexing");
        assert_eq!(json["current"], "/p/a.jpg");
        assert_eq!(json["warnings"], serde_json::json!(["w"]));
        assert_eq!(json["error"], serde_json::Value::Null);
        assert_eq!(json["failures"], 0);
    }
}
