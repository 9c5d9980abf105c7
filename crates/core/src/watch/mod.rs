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
//! - Idle means idle: between changes the service reads nothing from the
//!   store and walks nothing; roots added by another process are noticed
//!   by the store's transaction id moving, not by reading the roots.
//! - A model switch: given a `next` model, the service also fills that
//!   model's index (every change goes to both; the backlog is embedded in
//!   between, yielding to changes and commands), while searches keep using
//!   the current model's index. Once the next index covers the library the
//!   service returns [`Ended::Covered`], and the caller switches.

mod backfill;
mod control;
mod pending;
mod publish;
mod roots;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{select, unbounded};
use notify_debouncer_full::DebounceEventResult;
use serde::Serialize;

use self::backfill::Filled;
use self::control::Command;
pub use self::control::{Commands, Control, control};
use self::pending::{Pending, Stat};
use self::publish::Publisher;
use self::roots::{Presence, Roots};
use crate::Embedder;
use crate::index::{self, Progress, Scope};
use crate::scan::{self, Walked};
use crate::service::{Phase, RootState, RootStatus};
use crate::store::Store;

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
    Idle {
        /// Photos in the library.
        photos: u64,
    },
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
    /// The next model covered the library and is the model in use now
    /// (sent by [`crate::live::Live::watch`], which goes on with it).
    Switched {
        /// The model searches use from now on.
        model: String,
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
    let mut service = Service {
        store,
        embedder,
        next,
        backfill: next.is_some(),
        options,
        commands,
        roots: Roots::new(options.debounce, options.poll_every, fs_tx)?,
        pending: Pending::default(),
        rescans: BTreeSet::new(),
        paused: false,
        idle: false,
        publisher: Publisher::new(options.data_dir.clone()),
        last_check: Instant::now(),
        roots_seen: None,
    };
    service.sync_roots(on_event)?;
    service.publisher.publish();
    let mut ended = Ended::Stopped;
    while !commands.stopping() {
        select! {
            recv(commands.commands) -> command => match command {
                Ok(Command::Stop) | Err(_) => break,
                Ok(command) => service.command(command, on_event)?,
            },
            recv(fs_rx) -> events => if let Ok(events) = events { service.fs_events(events, on_event) },
            default(service.wait()) => {}
        }
        service.step(on_event)?;
        if service.backfill && service.idle() {
            let interrupt = &commands.interrupt;
            let yield_now = || !fs_rx.is_empty() || commands.waiting() || interrupt.load(Ordering::Relaxed);
            if let Some(model) = service.fill_next(&yield_now, on_event)? {
                ended = Ended::Covered { model };
                break;
            }
        }
    }
    service.stopped();
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
    commands: &'a Commands,
    roots: Roots,
    pending: Pending,
    rescans: BTreeSet<PathBuf>,
    paused: bool,
    idle: bool,
    publisher: Publisher,
    last_check: Instant,
    /// The store's transaction id when the roots were last read.
    roots_seen: Option<usize>,
}

impl Service<'_> {
    fn command(&mut self, command: Command, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        match command {
            Command::Pause => self.paused = true,
            Command::Resume => {
                self.paused = false;
                self.idle = false;
                // A run cut short by the pause left work behind: catch up.
                self.rescan_all();
            }
            Command::Rescan => self.rescan_all(),
            Command::RootsChanged => self.sync_roots(on_event)?,
            Command::Stop => {}
        }
        if !self.commands.stopping() {
            self.commands.interrupt.store(false, Ordering::SeqCst);
        }
        let state = self.publisher.state();
        state.paused = self.paused;
        if self.paused {
            state.phase = Phase::Paused;
        } else if state.phase == Phase::Paused {
            state.phase = Phase::Scanning;
        }
        self.publisher.publish();
        Ok(())
    }

    fn rescan_all(&mut self) {
        self.rescans.extend(self.roots.present());
    }

    /// How long the loop may wait for an event: briefly while paths settle
    /// or rescans wait, else until the next root check.
    fn wait(&self) -> Duration {
        if !self.pending.is_empty() || !self.rescans.is_empty() {
            return (self.options.settle / 3).clamp(Duration::from_millis(50), Duration::from_millis(250));
        }
        self.options.root_check.saturating_sub(self.last_check.elapsed()).max(Duration::from_millis(10))
    }

    /// Brings the watched set in line with the store's roots: new ones are
    /// watched and scanned, removed ones dropped.
    fn sync_roots(&mut self, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        self.roots_seen = Some(self.store.generation());
        let wanted: BTreeSet<PathBuf> =
            self.store.roots().map_err(index::Error::from)?.into_iter().map(|r| r.path).collect();
        let (new, gone) = self.roots.sync(&wanted);
        // A removed root may be all that kept the next model short.
        self.backfill |= self.next.is_some() && !gone.is_empty();
        for path in &gone {
            self.pending.forget_under(path);
            self.rescans.remove(path);
        }
        for path in &new {
            self.check_root(path, on_event);
            if !path.is_dir() {
                on_event(Event::Root(RootStatus { path: path.clone(), state: RootState::Offline }));
            }
        }
        self.publisher.state().roots = self.roots.statuses();
        Ok(())
    }

    /// Notes whether a root is there, and acts on a change: an offline
    /// root's pending paths are dropped (its photos stay); a root that is
    /// back is rescanned.
    fn check_root(&mut self, path: &Path, on_event: &mut dyn FnMut(Event)) {
        match self.roots.check(path, Instant::now()) {
            Presence::Same => {}
            Presence::Back { polled, warnings } => {
                for message in warnings {
                    self.publisher.state().warnings.push(message.clone());
                    on_event(Event::Warning { message });
                }
                let state = if polled { RootState::Polling } else { RootState::Watching };
                self.set_state(path, state, on_event);
                self.rescans.insert(path.to_owned());
            }
            Presence::Gone => {
                self.pending.forget_under(path);
                self.rescans.remove(path);
                self.set_state(path, RootState::Offline, on_event);
            }
        }
    }

    fn set_state(&mut self, path: &Path, state: RootState, on_event: &mut dyn FnMut(Event)) {
        if self.roots.set_state(path, state) {
            on_event(Event::Root(RootStatus { path: path.to_owned(), state }));
            self.publisher.state().roots = self.roots.statuses();
            self.publisher.publish();
        }
    }

    /// Turns notify's events into pending paths or rescans.
    fn fs_events(&mut self, events: DebounceEventResult, on_event: &mut dyn FnMut(Event)) {
        match events {
            Ok(events) => {
                for event in events {
                    if event.need_rescan() {
                        self.rescans.extend(self.roots.around(&event.paths));
                    } else if !is_read_only_access(&event.kind) {
                        event.paths.iter().for_each(|path| self.mark_changed(path));
                    }
                }
            }
            Err(errors) => {
                for error in errors {
                    let message = format!("watching failed ({error}); rescanning to catch up");
                    on_event(Event::Warning { message });
                    self.rescans.extend(self.roots.around(&error.paths));
                }
            }
        }
    }

    fn mark_changed(&mut self, path: &Path) {
        let Some(root) = self.roots.root_of(path) else { return };
        // The root itself deleted, moved or unmounted: the root check
        // decides; nothing under it is removed on this event's word.
        if scan::hidden_below(root, path) || path == root {
            return;
        }
        self.idle = false;
        self.pending.changed(path.to_owned(), stat(path), Instant::now());
    }

    /// One turn of the loop: root checks, polls, rescans, settled paths.
    fn step(&mut self, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        if self.last_check.elapsed() >= self.options.root_check {
            self.check_roots(on_event)?;
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
        if self.pending.is_empty() && !self.idle {
            self.went_idle(on_event)?;
        }
        Ok(())
    }

    /// Roots added or removed by another process (`photofind roots`), roots
    /// unplugged or back, polls due. Reads the roots only when the store
    /// changed since they were last read.
    fn check_roots(&mut self, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        self.last_check = Instant::now();
        if self.roots_seen != Some(self.store.generation()) {
            self.sync_roots(on_event)?;
        }
        for path in self.roots.paths() {
            self.check_root(&path, on_event);
        }
        self.rescans.extend(self.roots.due_polls(Instant::now()));
        Ok(())
    }

    /// Everything seen is in: say so, with the library's size.
    fn went_idle(&mut self, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        self.idle = true;
        let photos = self.store.photo_count().map_err(index::Error::from)?;
        let state = self.publisher.state();
        (state.phase, state.photos) = (Phase::UpToDate, photos);
        self.publisher.publish();
        on_event(Event::Idle { photos });
        Ok(())
    }

    /// Walks the roots waiting for a rescan.
    fn rescan(&mut self, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let roots: Vec<PathBuf> = std::mem::take(&mut self.rescans).into_iter().collect();
        self.idle = false;
        self.publisher.state().phase = Phase::Scanning;
        for root in &roots {
            self.set_state(root, RootState::Scanning, on_event);
        }
        let summary = self.run_index(Scope::Roots(&roots), on_event)?;
        for root in &roots {
            let state = if summary.missing_roots.contains(root) && !root.is_dir() {
                RootState::Offline
            } else {
                self.roots.resting_state(root)
            };
            self.set_state(root, state, on_event);
        }
        if summary.cancelled {
            // Paused or stopped mid-walk: the rest is picked up on resume.
            self.rescans.extend(roots);
        }
        Ok(())
    }

    /// The pending paths that settled; a settled folder is listed, so each
    /// file in it settles on its own.
    fn settled(&mut self) -> Vec<PathBuf> {
        let now = Instant::now();
        let settled = self
            .pending
            .take_settled(now, self.options.settle, stat, |path| path.is_dir() && !path.is_symlink());
        let roots = self.roots.paths();
        for folder in settled.folders {
            for walked in scan::walk(&folder, &roots) {
                let path = match walked {
                    Walked::Photo(found) => found.path,
                    Walked::Skipped(skipped) => skipped.path().to_owned(),
                };
                let stat = stat(&path);
                self.pending.listed(path, stat, now);
            }
        }
        settled.files
    }

    fn index_paths(&mut self, paths: &[PathBuf], on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        let roots = self.roots.paths();
        let summary = self.run_index(Scope::Paths { roots: &roots, paths }, on_event)?;
        if summary.cancelled {
            // Paused or stopped: look at them again later.
            let now = Instant::now();
            for path in paths {
                self.pending.add(path.clone(), stat(path), now);
            }
        }
        Ok(())
    }

    fn run_index(
        &mut self,
        scope: Scope<'_>,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<index::Summary, Error> {
        let (store, embedder, options) = (self.store, self.embedder, self.options);
        let interrupt = &self.commands.interrupt;
        let cancel = || interrupt.load(Ordering::Relaxed);
        let publisher = &mut self.publisher;
        let mut forward = |event: index::Event| {
            if let index::Event::Progress(progress) = &event {
                let state = publisher.state();
                state.phase = if progress.scanning { Phase::Scanning } else { Phase::Indexing };
                state.progress = Some(progress.clone());
                publisher.publish_progress();
            }
            on_event(Event::Index(event));
        };
        let summary = index::run_scope(store, embedder, scope, &options.index, &cancel, &mut forward)?;
        self.publisher.state().progress = Some(finished(summary.progress.clone()));
        self.publisher.publish();
        if let (Some(next), false) = (self.next, summary.cancelled) {
            // The same changes into the next model's index; a rescan's
            // backlog is left to `fill_next`, which yields to changes.
            match scope {
                Scope::Roots(_) => self.backfill = true,
                Scope::Paths { .. } => {
                    index::run_scope(store, next, scope, &options.index, &cancel, &mut |_| {})?;
                }
            }
        }
        Ok(summary)
    }

    /// Nothing waits: no rescan, no unsettled path, not paused.
    fn idle(&self) -> bool {
        !self.paused && self.rescans.is_empty() && self.pending.is_empty()
    }

    /// Embeds the next model's backlog over every present root, yielding as
    /// soon as `yield_now` says changes or commands arrived. Returns the
    /// next model's id once its index covers the library.
    fn fill_next(
        &mut self,
        yield_now: &(dyn Fn() -> bool + Sync),
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Option<String>, Error> {
        let Some(next) = self.next else { return Ok(None) };
        let roots = self.roots.present();
        match backfill::fill(self.store, next, &roots, &self.options.index, yield_now, on_event)? {
            Filled::Cut => Ok(None),
            Filled::Short => {
                self.backfill = false;
                Ok(None)
            }
            Filled::Covered(model) => {
                self.backfill = false;
                Ok(Some(model))
            }
        }
    }

    /// The service ends: no root is watched any more.
    fn stopped(&mut self) {
        let state = self.publisher.state();
        state.roots.iter_mut().for_each(|r| r.state = RootState::Idle);
        self.publisher.publish();
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
fn stat(path: &Path) -> Stat {
    let meta = std::fs::metadata(path).ok()?;
    Some((if meta.is_dir() { 0 } else { meta.len() }, meta.modified().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_changing_size_is_a_new_stat() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("a.jpg");
        std::fs::write(&file, b"12").expect("writes");
        let first = stat(&file);
        std::fs::write(&file, b"1234").expect("writes");
        assert_ne!(first, stat(&file), "a grown file is a new stat");
        assert_eq!(stat(&dir.path().join("gone.jpg")), None);
    }

    #[test]
    fn opening_or_reading_is_not_a_change_but_closing_after_a_write_is() {
        use notify::EventKind;
        use notify::event::{AccessKind, AccessMode, CreateKind};
        let cases = [
            (EventKind::Access(AccessKind::Open(AccessMode::Any)), true),
            (EventKind::Access(AccessKind::Close(AccessMode::Read)), true),
            (EventKind::Access(AccessKind::Read), true),
            (EventKind::Access(AccessKind::Close(AccessMode::Write)), false),
            (EventKind::Create(CreateKind::File), false),
        ];
        for (kind, read_only) in cases {
            assert_eq!(is_read_only_access(&kind), read_only, "{kind:?}");
        }
    }
}
