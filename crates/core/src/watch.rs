//! The live library: index every root, then keep the index in step with
//! the folders as they change.
//!
//! ```text
//! notify (debounced) ─▶ dirty paths ─▶ settled? ─▶ index::run_scope(Paths) ─▶ store
//!        │ lost events, errors ─▶ rescan of the root ──▶ index::run(Roots)  ─▲
//! root checks: gone ─▶ offline (photos kept) ; back ─▶ watched + rescanned
//! ```
//!
//! - A path is handed to the pipeline only once its size and mtime have
//!   held still for [`Options::settle`]: a half-written file is not embedded.
//!   A new folder (moved or copied in) is listed and each file settles.
//! - Renames and moves need no model call: the pipeline finds the bytes'
//!   vector by content hash, and a photo whose last path went keeps its
//!   vector (see [`crate::store::Store::purge_orphans`]), so a delete seen
//!   before the create of a move costs nothing either.
//! - A root that disappears is offline, not deleted: its photos stay. It is
//!   watched and rescanned when it comes back.
//! - Lost events (the kernel queue overflowed) and watcher errors trigger a
//!   rescan of the root; a root the OS cannot watch (inotify's limit) is
//!   rescanned periodically, and the user is told the sysctl to raise.
//! - A model switch: given a `next` model, the service also fills that
//!   model's index (every change goes to both; the backlog is embedded in
//!   between, yielding to changes and commands), while searches keep using
//!   the current model's index. Once the next index covers the library the
//!   service returns [`Ended::Covered`], and the caller switches.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender, select, unbounded};
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer_opt};
use serde::Serialize;

use crate::index::{self, Scope};
use crate::scan::{self, Walked};
use crate::service::{RootState, RootStatus, ServiceState};
use crate::store::{ModelKey, Store};
use crate::{Embedder, index::Progress};

/// How the service is paced.
#[derive(Debug, Clone)]
pub struct Options {
    /// How each indexing run is paced.
    pub index: index::Options,
    /// How long notify gathers events for a path before reporting it.
    pub debounce: Duration,
    /// How long a changed file's size and mtime must hold still before it
    /// is read (a file being written is not embedded half-done).
    pub settle: Duration,
    /// How often roots are checked for being there (unplugged drives).
    pub root_check: Duration,
    /// How often a root that cannot be watched is rescanned.
    pub poll_every: Duration,
    /// Where to publish the service's state for other processes
    /// (`service.json` in the data dir), if anywhere.
    pub data_dir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            index: index::Options { commit_interval: Duration::from_secs(2), ..index::Options::default() },
            debounce: Duration::from_millis(200),
            settle: Duration::from_millis(750),
            root_check: Duration::from_secs(1),
            poll_every: Duration::from_secs(300),
            data_dir: None,
        }
    }
}

/// What the service reports, besides the index runs' own events.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A root changed state.
    Root(RootStatus),
    /// Everything seen so far is in the index; waiting for changes.
    Idle,
    /// Something the user should act on.
    Warning {
        /// What, and what to do.
        message: String,
    },
    /// The next model's index is filling (during a model switch).
    Switching {
        /// The next model.
        model: String,
        /// Photos it has embedded.
        vectors: u64,
        /// Photos in the library.
        photos: u64,
    },
    /// An indexing run's event (serialized as it is).
    #[serde(untagged)]
    Index(index::Event),
}

/// How the service ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// It was told to stop.
    Stopped,
    /// The next model's index covers the library: switch to it (and run
    /// the service again with it as the current model).
    Covered {
        /// The next model's id.
        model: String,
    },
}

/// Why the service stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Indexing failed (the index or the model).
    #[error(transparent)]
    Index(#[from] index::Error),
    /// The OS watcher could not be started at all.
    #[error("cannot watch folders: {0}")]
    Watcher(#[from] notify::Error),
}

/// What the service can be told while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Stop,
    Pause,
    Resume,
    Rescan,
    RootsChanged,
}

/// A handle to a running service, for any thread: cheap to clone.
#[derive(Debug, Clone)]
pub struct Control {
    commands: Sender<Command>,
    interrupt: Arc<AtomicBool>,
    stopping: Arc<AtomicBool>,
}

/// The service's end of [`Control`].
#[derive(Debug)]
pub struct Commands {
    commands: Receiver<Command>,
    interrupt: Arc<AtomicBool>,
    stopping: Arc<AtomicBool>,
}

/// A control and the commands it sends.
pub fn control() -> (Control, Commands) {
    let (tx, rx) = unbounded();
    let (interrupt, stopping) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let commands = Commands { commands: rx, interrupt: interrupt.clone(), stopping: stopping.clone() };
    (Control { commands: tx, interrupt, stopping }, commands)
}

impl Control {
    /// Stops the service after the current batch commits.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.interrupt.store(true, Ordering::SeqCst);
        let _ = self.commands.send(Command::Stop);
    }

    /// Pauses indexing (changes are still noted) after the current batch.
    pub fn pause(&self) {
        self.interrupt.store(true, Ordering::SeqCst);
        let _ = self.commands.send(Command::Pause);
    }

    /// Resumes indexing, catching up on what changed meanwhile.
    pub fn resume(&self) {
        let _ = self.commands.send(Command::Resume);
    }

    /// Rescans every root.
    pub fn rescan(&self) {
        let _ = self.commands.send(Command::Rescan);
    }

    /// Re-reads the library's roots (after one was added or removed).
    pub fn roots_changed(&self) {
        let _ = self.commands.send(Command::RootsChanged);
    }
}

/// A path that changed, waiting for its size and mtime to hold still.
#[derive(Debug)]
struct Pending {
    stat: Option<(u64, SystemTime)>,
    since: Instant,
}

/// One root as the service sees it.
#[derive(Debug)]
struct RootWatch {
    state: RootState,
    watched: bool,
    next_poll: Option<Instant>,
}

/// The watching service for one library: the only writer of its store
/// while it runs. Runs on the caller's thread until stopped, or, given a
/// `next` model, until that model's index covers the library.
pub fn run(
    store: &Store,
    embedder: &dyn Embedder,
    next: Option<&dyn Embedder>,
    options: &Options,
    commands: &Commands,
    on_event: &mut dyn FnMut(Event),
) -> Result<Ended, Error> {
    let (fs_tx, fs_rx) = unbounded::<DebounceEventResult>();
    // Links are not followed: a link under a root that leads out of every
    // root must not pull `/` (or `/proc`) into the watch (see `scan`).
    let config = notify::Config::default().with_follow_symlinks(false);
    let debouncer = new_debouncer_opt::<_, notify::RecommendedWatcher, RecommendedCache>(
        options.debounce,
        None,
        fs_tx,
        RecommendedCache::new(),
        config,
    )?;
    let mut service = Service {
        store,
        embedder,
        next,
        backfill: next.is_some(),
        options,
        interrupt: &commands.interrupt,
        stopping: &commands.stopping,
        debouncer,
        roots: BTreeMap::new(),
        dirty: HashMap::new(),
        rescans: BTreeSet::new(),
        paused: false,
        idle: false,
        state: ServiceState {
            pid: std::process::id(),
            started: Some(SystemTime::now()),
            ..ServiceState::default()
        },
        last_check: Instant::now(),
    };
    service.sync_roots(on_event)?;
    service.publish();
    let tick = (options.settle / 3).clamp(Duration::from_millis(50), Duration::from_millis(250));
    let mut ended = Ended::Stopped;
    while !commands.stopping.load(Ordering::SeqCst) {
        select! {
            recv(commands.commands) -> command => match command {
                Ok(Command::Stop) | Err(_) => break,
                Ok(command) => service.command(command, on_event)?,
            },
            recv(fs_rx) -> events => if let Ok(events) = events { service.fs_events(events, on_event) },
            default(tick) => {}
        }
        service.step(on_event)?;
        if service.backfill && service.idle() {
            let waiting = || !fs_rx.is_empty() || !commands.commands.is_empty();
            if let Some(model) = service.fill_next(&waiting, on_event)? {
                ended = Ended::Covered { model };
                break;
            }
        }
    }
    service.state.roots.iter_mut().for_each(|r| r.state = RootState::Idle);
    service.publish();
    Ok(ended)
}

struct Service<'a> {
    store: &'a Store,
    embedder: &'a dyn Embedder,
    /// The model being switched to, if any: it gets every change too.
    next: Option<&'a dyn Embedder>,
    /// The next model's backlog may not be embedded yet.
    backfill: bool,
    options: &'a Options,
    interrupt: &'a AtomicBool,
    stopping: &'a AtomicBool,
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    roots: BTreeMap<PathBuf, RootWatch>,
    dirty: HashMap<PathBuf, Pending>,
    rescans: BTreeSet<PathBuf>,
    paused: bool,
    idle: bool,
    state: ServiceState,
    last_check: Instant,
}

impl Service<'_> {
    fn command(&mut self, command: Command, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        match command {
            Command::Pause => self.paused = true,
            Command::Resume => {
                self.paused = false;
                // A run cut short by the pause left work behind: catch up.
                self.rescan_all();
            }
            Command::Rescan => self.rescan_all(),
            Command::RootsChanged => self.sync_roots(on_event)?,
            Command::Stop => {}
        }
        if !self.stopping.load(Ordering::SeqCst) {
            self.interrupt.store(false, Ordering::SeqCst);
        }
        self.state.paused = self.paused;
        self.publish();
        Ok(())
    }

    fn rescan_all(&mut self) {
        let present = self.roots.iter().filter(|(_, r)| r.state != RootState::Offline);
        self.rescans.extend(present.map(|(p, _)| p.clone()));
    }

    /// Brings the watched set in line with the store's roots: new ones are
    /// watched and scanned, removed ones dropped.
    fn sync_roots(&mut self, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let wanted: BTreeSet<PathBuf> =
            self.store.roots().map_err(index::Error::from)?.into_iter().map(|r| r.path).collect();
        let gone: Vec<PathBuf> = self.roots.keys().filter(|p| !wanted.contains(*p)).cloned().collect();
        // A removed root may be all that kept the next model short.
        self.backfill |= self.next.is_some() && !gone.is_empty();
        for path in gone {
            if self.roots.remove(&path).is_some_and(|r| r.watched) {
                let _ = self.debouncer.unwatch(&path);
            }
            self.dirty.retain(|p, _| !p.starts_with(&path));
            self.rescans.remove(&path);
        }
        for path in wanted {
            if !self.roots.contains_key(&path) {
                let root = RootWatch { state: RootState::Offline, watched: false, next_poll: None };
                self.roots.insert(path.clone(), root);
                self.check_root(&path, on_event);
                if !path.is_dir() {
                    on_event(Event::Root(RootStatus { path: path.clone(), state: RootState::Offline }));
                }
            }
        }
        self.refresh_state();
        Ok(())
    }

    /// Notes whether a root is there, and acts on a change: an offline
    /// root is unwatched (its photos stay); a root that is back is watched
    /// and rescanned.
    fn check_root(&mut self, path: &Path, on_event: &mut dyn FnMut(Event)) {
        let Some(root) = self.roots.get(path) else { return };
        let present = path.is_dir();
        let was_offline = root.state == RootState::Offline;
        if present != was_offline {
            return;
        }
        if present {
            let state = self.watch_root(path, on_event);
            self.set_state(path, state, on_event);
            self.rescans.insert(path.to_owned());
        } else {
            if self.roots.get(path).is_some_and(|r| r.watched) {
                let _ = self.debouncer.unwatch(path);
            }
            if let Some(root) = self.roots.get_mut(path) {
                root.watched = false;
            }
            self.dirty.retain(|p, _| !p.starts_with(path));
            self.rescans.remove(path);
            self.set_state(path, RootState::Offline, on_event);
        }
    }

    /// Starts watching a root; on the OS's watch limit, falls back to
    /// periodic rescans and says how to raise the limit.
    fn watch_root(&mut self, path: &Path, on_event: &mut dyn FnMut(Event)) -> RootState {
        let result = self.debouncer.watch(path, RecursiveMode::Recursive);
        let Some(root) = self.roots.get_mut(path) else { return RootState::Offline };
        match result {
            Ok(()) => {
                root.watched = true;
                root.next_poll = None;
                RootState::Watching
            }
            Err(err) => {
                root.watched = false;
                root.next_poll = Some(Instant::now() + self.options.poll_every);
                let message = watch_failure(path, &err, self.options.poll_every);
                self.state.warnings.push(message.clone());
                on_event(Event::Warning { message });
                RootState::Polling
            }
        }
    }

    fn set_state(&mut self, path: &Path, state: RootState, on_event: &mut dyn FnMut(Event)) {
        let Some(root) = self.roots.get_mut(path) else { return };
        if root.state != state {
            root.state = state;
            on_event(Event::Root(RootStatus { path: path.to_owned(), state }));
            self.refresh_state();
            self.publish();
        }
    }

    fn refresh_state(&mut self) {
        self.state.roots =
            self.roots.iter().map(|(path, r)| RootStatus { path: path.clone(), state: r.state }).collect();
    }

    fn publish(&self) {
        if let Some(dir) = &self.options.data_dir {
            let _ = crate::service::publish(dir, &self.state);
        }
    }

    /// Turns notify's events into dirty paths or rescans.
    fn fs_events(&mut self, events: DebounceEventResult, on_event: &mut dyn FnMut(Event)) {
        match events {
            Ok(events) => {
                for event in events {
                    if event.need_rescan() {
                        self.rescan_roots_of(&event.paths);
                        continue;
                    }
                    if is_read_only_access(&event.kind) {
                        continue;
                    }
                    for path in &event.paths {
                        self.mark_dirty(path);
                    }
                }
            }
            Err(errors) => {
                for error in errors {
                    let message = format!("watching failed ({error}); rescanning to catch up");
                    on_event(Event::Warning { message });
                    self.rescan_roots_of(&error.paths);
                }
            }
        }
    }

    /// Rescans the roots holding `paths`, or every root when none is named.
    fn rescan_roots_of(&mut self, paths: &[PathBuf]) {
        let roots: Vec<PathBuf> = self
            .roots
            .keys()
            .filter(|root| {
                paths.is_empty() || paths.iter().any(|p| p.starts_with(root) || root.starts_with(p))
            })
            .cloned()
            .collect();
        self.rescans.extend(roots);
    }

    fn mark_dirty(&mut self, path: &Path) {
        let Some(root) = self.roots.keys().find(|root| path.starts_with(root)) else { return };
        if scan::hidden_below(root, path) {
            return;
        }
        if path == root {
            // The root itself was deleted, moved or unmounted: the root check
            // decides; nothing under it is removed on this event's word.
            return;
        }
        self.idle = false;
        self.dirty.insert(path.to_owned(), Pending { stat: stat(path), since: Instant::now() });
    }

    /// One turn of the loop: root checks, polls, rescans, settled paths.
    fn step(&mut self, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        if self.last_check.elapsed() >= self.options.root_check {
            self.last_check = Instant::now();
            // Roots added or removed by another process (`photofind roots`).
            self.sync_roots(on_event)?;
            let paths: Vec<PathBuf> = self.roots.keys().cloned().collect();
            for path in &paths {
                self.check_root(path, on_event);
                let due = self.roots.get(path).and_then(|r| r.next_poll).is_some_and(|t| t <= Instant::now());
                if due {
                    self.rescans.insert(path.clone());
                    if let Some(root) = self.roots.get_mut(path) {
                        root.next_poll = Some(Instant::now() + self.options.poll_every);
                    }
                }
            }
        }
        if self.paused {
            return Ok(());
        }
        if !self.rescans.is_empty() {
            return self.rescan(on_event);
        }
        let ready = self.settled();
        if !ready.is_empty() {
            return self.index_paths(&ready, on_event);
        }
        if self.dirty.is_empty() && !self.idle {
            self.idle = true;
            on_event(Event::Idle);
        }
        Ok(())
    }

    /// Walks the roots waiting for a rescan.
    fn rescan(&mut self, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let roots: Vec<PathBuf> = std::mem::take(&mut self.rescans).into_iter().collect();
        self.idle = false;
        for root in &roots {
            self.set_state(root, RootState::Scanning, on_event);
        }
        let summary = self.run_index(Scope::Roots(&roots), on_event)?;
        for root in &roots {
            let watched = self.roots.get(root).is_some_and(|r| r.watched);
            let state = match () {
                _ if summary.missing_roots.contains(root) && !root.is_dir() => RootState::Offline,
                _ if watched => RootState::Watching,
                _ => RootState::Polling,
            };
            self.set_state(root, state, on_event);
        }
        if summary.cancelled {
            // Paused or stopped mid-walk: the rest is picked up on resume.
            self.rescans.extend(roots);
        }
        Ok(())
    }

    /// The dirty paths whose size and mtime held still long enough; a new
    /// folder is listed, so each file in it settles on its own.
    fn settled(&mut self) -> Vec<PathBuf> {
        let now = Instant::now();
        let mut ready = Vec::new();
        let mut folders = Vec::new();
        self.dirty.retain(|path, pending| {
            let current = stat(path);
            if current != pending.stat {
                *pending = Pending { stat: current, since: now };
                return true;
            }
            if now.duration_since(pending.since) < self.options.settle {
                return true;
            }
            // A link to a folder is one path to index (and report), never a
            // folder to list: listing it would walk wherever it leads.
            if path.is_dir() && !path.is_symlink() {
                folders.push(path.clone());
            } else {
                ready.push(path.clone());
            }
            false
        });
        let roots: Vec<PathBuf> = self.roots.keys().cloned().collect();
        for folder in folders {
            for walked in scan::walk(&folder, &roots) {
                let path = match walked {
                    Walked::Photo(found) => found.path,
                    Walked::Skipped(skipped) => skipped.path().to_owned(),
                };
                self.dirty.entry(path.clone()).or_insert(Pending { stat: stat(&path), since: now });
            }
        }
        ready.sort();
        ready
    }

    fn index_paths(&mut self, paths: &[PathBuf], on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let roots: Vec<PathBuf> = self.roots.keys().cloned().collect();
        let summary = self.run_index(Scope::Paths { roots: &roots, paths }, on_event)?;
        if summary.cancelled {
            // Paused or stopped: look at them again later.
            let now = Instant::now();
            for path in paths {
                self.dirty.entry(path.clone()).or_insert(Pending { stat: stat(path), since: now });
            }
        }
        Ok(())
    }

    fn run_index(
        &mut self,
        scope: Scope<'_>,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<index::Summary, Error> {
        let mut last_publish = Instant::now();
        let (store, embedder, options, interrupt) = (self.store, self.embedder, self.options, self.interrupt);
        let state = &mut self.state;
        let mut forward = |event: index::Event| {
            if let index::Event::Progress(progress) = &event {
                state.progress = Some(progress.clone());
                if last_publish.elapsed() >= Duration::from_secs(1) {
                    last_publish = Instant::now();
                    if let Some(dir) = &options.data_dir {
                        let _ = crate::service::publish(dir, state);
                    }
                }
            }
            on_event(Event::Index(event));
        };
        let summary = index::run_scope(store, embedder, scope, &options.index, interrupt, &mut forward)?;
        self.state.progress = Some(finished(summary.progress.clone()));
        self.publish();
        if let (Some(next), false) = (self.next, summary.cancelled) {
            // The same changes into the next model's index; a rescan's
            // backlog is left to `fill_next`, which yields to changes.
            match scope {
                Scope::Roots(_) => self.backfill = true,
                Scope::Paths { .. } => {
                    index::run_scope(store, next, scope, &options.index, interrupt, &mut |_| {})?;
                }
            }
        }
        Ok(summary)
    }

    /// Nothing waits: no rescan, no unsettled path, not paused.
    fn idle(&self) -> bool {
        !self.paused && self.rescans.is_empty() && self.dirty.is_empty()
    }

    /// Embeds the next model's backlog over every present root, stopping
    /// (after committing) as soon as `waiting` says changes or commands
    /// arrived. Returns the next model's id once its index covers the
    /// library.
    fn fill_next(
        &mut self,
        waiting: &(dyn Fn() -> bool + Sync),
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Option<String>, Error> {
        let Some(next) = self.next else { return Ok(None) };
        let key = ModelKey::of(next);
        let roots: Vec<PathBuf> = self
            .roots
            .iter()
            .filter(|(_, r)| r.state != RootState::Offline)
            .map(|(p, _)| p.clone())
            .collect();
        let (cut, done) = (AtomicBool::new(false), AtomicBool::new(false));
        let (store, options, interrupt) = (self.store, self.options, self.interrupt);
        let photos = |store: &Store| store.coverage(&key).map_err(index::Error::from);
        let summary = std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) && !cut.load(Ordering::Relaxed) {
                    if waiting() || interrupt.load(Ordering::Relaxed) {
                        cut.store(true, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
            let mut last = Instant::now();
            let mut report = |event: index::Event| {
                if matches!(event, index::Event::Committed { .. }) || last.elapsed() >= Duration::from_secs(1)
                {
                    last = Instant::now();
                    if let Ok(c) = photos(store) {
                        on_event(Event::Switching {
                            model: key.id.clone(),
                            vectors: c.vectors,
                            photos: c.photos,
                        });
                    }
                }
            };
            let summary =
                index::run_scope(store, next, Scope::Roots(&roots), &options.index, &cut, &mut report);
            done.store(true, Ordering::Relaxed);
            summary
        })?;
        let coverage = photos(store)?;
        on_event(Event::Switching {
            model: key.id.clone(),
            vectors: coverage.vectors,
            photos: coverage.photos,
        });
        if summary.cancelled {
            return Ok(None);
        }
        self.backfill = false;
        Ok(coverage.complete().then_some(key.id))
    }
}

fn finished(mut progress: Progress) -> Progress {
    progress.scanning = false;
    progress
}

/// An event that says only that something was opened or read: listing a
/// new folder opens it, and taking that as a change re-listed the folder
/// every second, forever (the service never went idle). A file closed
/// after writing still counts.
fn is_read_only_access(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    matches!(kind, notify::EventKind::Access(access) if *access != AccessKind::Close(AccessMode::Write))
}

/// Size and mtime, or `None` when the path is not there.
fn stat(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((if meta.is_dir() { 0 } else { meta.len() }, meta.modified().ok()?))
}

/// What to tell the user when a root cannot be watched.
fn watch_failure(root: &Path, err: &notify::Error, poll_every: Duration) -> String {
    let minutes = poll_every.as_secs().div_ceil(60);
    match err.kind {
        notify::ErrorKind::MaxFilesWatch => {
            let limit = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches")
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "?".into());
            format!(
                "{}: the system's limit on watched folders is reached (fs.inotify.max_user_watches = {limit}). \
                 Raise it with `sudo sysctl fs.inotify.max_user_watches=1048576` (add \
                 `fs.inotify.max_user_watches=1048576` to /etc/sysctl.d/90-photofind.conf to keep it). \
                 Until then this folder is rescanned every {minutes} min.",
                root.display()
            )
        }
        _ => format!("{}: cannot watch it ({err}); it is rescanned every {minutes} min", root.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_limit_message_names_the_sysctl_and_the_fallback() {
        let err = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        let text = watch_failure(Path::new("/photos"), &err, Duration::from_secs(300));
        for needle in
            ["/photos", "fs.inotify.max_user_watches", "sudo sysctl", "/etc/sysctl.d/", "every 5 min"]
        {
            assert!(text.contains(needle), "{needle:?} missing from {text}");
        }
    }

    #[test]
    fn a_path_changing_size_is_not_settled_until_it_holds_still() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("a.jpg");
        std::fs::write(&file, b"12").expect("writes");
        let first = stat(&file);
        std::fs::write(&file, b"1234").expect("writes");
        assert_ne!(first, stat(&file), "a grown file is a new stat");
        assert_eq!(stat(&dir.path().join("gone.jpg")), None);
    }
}
