//! The indexing pipeline:
//!
//! ```text
//! scan roots ─▶ read + hash + decode + prepare (N workers) ─▶ embed (1 owner) ─▶ write (1 owner)
//!      │ skip unchanged          │ known content, failures ──────────────────────▲
//! ```
//!
//! Stages talk through bounded channels, so memory does not grow with the
//! library. The writer is the caller's thread: it owns the only write
//! transaction, commits every few hundred photos (or seconds), and reports
//! progress. Cancelled or killed, a run loses at most the uncommitted batch;
//! the next run skips what was committed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use serde::{Deserialize, Serialize};

use crate::photo;
use crate::scan::{self, Found, Skipped, Walked};
use crate::store::{Change, Embedded, Failure, ModelKey, Store};
use crate::{EmbedError, Embedder, ImageInput};

/// How a run is paced.
#[derive(Debug, Clone)]
pub struct Options {
    /// Photos per write transaction (each commit rebuilds the ANN index).
    pub commit_every: usize,
    /// Longest time between commits while photos are waiting.
    pub commit_interval: Duration,
    /// Images per model call.
    pub batch_size: usize,
    /// Threads that read, decode and prepare photos.
    pub workers: usize,
    /// Seed for the ANN index's random splits.
    pub seed: u64,
    /// How long a photo whose files are all gone keeps its vector (so the
    /// same bytes coming back need no model call).
    pub orphan_ttl: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            commit_every: 256,
            commit_interval: Duration::from_secs(5),
            batch_size: 16,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            seed: 0x9e37_79b9,
            orphan_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// What a run reports as it goes.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Counts so far (at most every few hundred milliseconds).
    Progress(Progress),
    /// A file could not be indexed; it is recorded and tried again when it changes.
    Failed(Failure),
    /// These paths are now in the index, durably.
    Committed {
        /// The files.
        paths: Vec<PathBuf>,
    },
    /// A root is not there, or every photo in it is gone at once (an
    /// unplugged drive, an unmounted mount point?): its photos are kept.
    RootMissing {
        /// The root.
        root: PathBuf,
    },
    /// Paths gone from a present root left the index (their photos' vectors
    /// are kept a while, in case the bytes come back).
    Removed {
        /// The files.
        paths: Vec<PathBuf>,
    },
}

/// Where a run stands.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Still walking the roots: `total` may grow.
    pub scanning: bool,
    /// Files that need work (new or changed), found so far.
    pub total: u64,
    /// Of those, how many are finished (embedded, reused or failed).
    pub done: u64,
    /// Files skipped because they have not changed since they were indexed (or failed).
    pub unchanged: u64,
    /// Photos embedded by the model.
    pub embedded: u64,
    /// Photos whose content was already indexed (copies, moves, renames, touched files).
    pub reused: u64,
    /// Files that failed.
    pub failed: u64,
    /// Finished files per second, over the run.
    pub per_second: f64,
    /// Seconds left at that rate, once the total is known.
    pub eta_seconds: Option<f64>,
    /// The file most recently finished.
    pub current: Option<PathBuf>,
}

/// How a run ended.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// The last counts.
    pub progress: Progress,
    /// Paths that left the index because their files are gone.
    pub removed: u64,
    /// Roots that were not there.
    pub missing_roots: Vec<PathBuf>,
    /// The run was cancelled; what was committed stays.
    pub cancelled: bool,
    /// Wall time.
    pub seconds: f64,
}

/// Why a run stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The index could not be read or written.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// The model failed (not one photo's fault, so the run stops).
    #[error(transparent)]
    Model(#[from] EmbedError),
}

/// A photo prepared for the model.
struct Prepared {
    found: Found,
    hash: [u8; 32],
    dimensions: (u32, u32),
    format: String,
    captured: Option<String>,
    input: ImageInput,
}

/// What reaches the writer.
enum Msg {
    Change(Change),
    RootMissing(PathBuf),
    Fatal(EmbedError),
    /// The index could not be read (not one file's fault, so the run stops).
    Broken(crate::store::Error),
}

/// What a run looks at.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every file under these roots; after a complete run, what is gone
    /// from them leaves the index.
    Roots(&'a [PathBuf]),
    /// Just these files or folders (present: indexed; gone: removed),
    /// each inside one of `roots` (others are ignored). What a watcher
    /// hands over.
    Paths {
        /// The library's roots.
        roots: &'a [PathBuf],
        /// The files and folders that changed.
        paths: &'a [PathBuf],
    },
}

/// The store, and the model whose index a run fills.
#[derive(Clone, Copy)]
struct Target<'a> {
    store: &'a Store,
    model: &'a ModelKey,
}

/// Counters the scanner keeps and the writer reads.
#[derive(Default)]
struct ScanCounts {
    total: AtomicU64,
    unchanged: AtomicU64,
    done: AtomicBool,
}

/// Indexes `roots` into `store` with `embedder`: new and changed photos are
/// embedded, moved and copied ones reuse their vector, failures are
/// recorded, and paths gone from a present root leave the index. Calls
/// `on_event` on this thread. Setting `cancel` stops the run after
/// committing what was embedded.
pub fn run(
    store: &Store,
    embedder: &dyn Embedder,
    roots: &[PathBuf],
    options: &Options,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
) -> Result<Summary, Error> {
    run_scope(store, embedder, Scope::Roots(roots), options, cancel, on_event)
}

/// Like [`run`], over any [`Scope`].
pub fn run_scope(
    store: &Store,
    embedder: &dyn Embedder,
    scope: Scope<'_>,
    options: &Options,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
) -> Result<Summary, Error> {
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let halted = || stop.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed);
    let counts = ScanCounts::default();
    let (work_tx, work_rx) = bounded::<Found>(256);
    let (prep_tx, prep_rx) = bounded::<Prepared>(options.batch_size.max(1) * 2);
    let (msg_tx, msg_rx) = bounded::<Msg>(1024);
    let model = ModelKey::of(embedder);
    let target = Target { store, model: &model };
    let mut writer = Writer::new(store, options, started, &counts);
    let outcome = std::thread::scope(|s| {
        let msgs = msg_tx.clone();
        s.spawn(|| scan(target, scope, &counts, &halted, work_tx, msgs));
        for _ in 0..options.workers.max(1) {
            let (work, prep, msgs) = (work_rx.clone(), prep_tx.clone(), msg_tx.clone());
            s.spawn(|| prepare_photos(target, embedder, &halted, work, prep, msgs));
        }
        drop((work_rx, prep_tx));
        let msgs = msg_tx.clone();
        s.spawn(|| embed_batches(embedder, options.batch_size.max(1), &halted, prep_rx, msgs));
        drop(msg_tx);
        let outcome = writer.drain(&msg_rx, on_event);
        if outcome.is_err() {
            stop.store(true, Ordering::Relaxed);
            msg_rx.iter().for_each(drop);
        }
        outcome
    });
    outcome?;
    let cancelled = cancel.load(Ordering::Relaxed);
    let mut summary = Summary { cancelled, missing_roots: writer.missing.clone(), ..Summary::default() };
    if let (false, Scope::Roots(roots)) = (cancelled, scope) {
        summary.removed = sweep(store, roots, &mut summary.missing_roots, options.seed, on_event)?;
        store.purge_orphans(options.orphan_ttl)?;
    }
    summary.removed += writer.removed;
    summary.progress = writer.progress(false);
    summary.seconds = started.elapsed().as_secs_f64();
    on_event(Event::Progress(summary.progress.clone()));
    Ok(summary)
}

fn scan(
    target: Target<'_>,
    scope: Scope<'_>,
    counts: &ScanCounts,
    halted: &dyn Fn() -> bool,
    work: Sender<Found>,
    msgs: Sender<Msg>,
) {
    let finished = match scope {
        Scope::Roots(roots) => scan_roots(target, roots, counts, halted, &work, &msgs),
        Scope::Paths { roots, paths } => scan_paths(target, roots, paths, counts, halted, &work, &msgs),
    };
    if finished {
        counts.done.store(true, Ordering::Relaxed);
    }
}

/// Walks every root; false when the run stopped.
fn scan_roots(
    target: Target<'_>,
    roots: &[PathBuf],
    counts: &ScanCounts,
    halted: &dyn Fn() -> bool,
    work: &Sender<Found>,
    msgs: &Sender<Msg>,
) -> bool {
    for root in roots {
        if !root.is_dir() {
            let _ = msgs.send(Msg::RootMissing(root.clone()));
            continue;
        }
        if !scan_tree(target, root, counts, halted, work, msgs) {
            return false;
        }
    }
    true
}

/// Looks at each changed path: what is there is walked, what is gone from
/// a present root is removed; false when the run stopped.
fn scan_paths(
    target: Target<'_>,
    roots: &[PathBuf],
    paths: &[PathBuf],
    counts: &ScanCounts,
    halted: &dyn Fn() -> bool,
    work: &Sender<Found>,
    msgs: &Sender<Msg>,
) -> bool {
    let mut missing: Vec<&PathBuf> = Vec::new();
    for path in paths {
        let Some(root) = roots.iter().find(|root| path.starts_with(root)) else { continue };
        if scan::hidden_below(root, path) || missing.contains(&root) {
            continue;
        }
        if !root.is_dir() {
            missing.push(root);
            let _ = msgs.send(Msg::RootMissing(root.clone()));
            continue;
        }
        let going_on = if is_gone(path) {
            match gone_changes(target.store, path) {
                Ok(changes) => changes.into_iter().all(|change| msgs.send(Msg::Change(change)).is_ok()),
                Err(err) => {
                    let _ = msgs.send(Msg::Broken(err));
                    false
                }
            }
        } else {
            scan_tree(target, path, counts, halted, work, msgs)
        };
        if !going_on || halted() {
            return false;
        }
    }
    true
}

/// Removals for a gone file or folder: its paths and failures in the index.
fn gone_changes(store: &Store, path: &Path) -> crate::store::Result<Vec<Change>> {
    let mut gone = Vec::new();
    if store.path_entry(path)?.is_some() || store.failure(path)?.is_some() {
        gone.push(path.to_owned());
    }
    store.for_each_path_in::<crate::store::Error>(path, |p, _| {
        gone.push(p.to_owned());
        Ok(())
    })?;
    gone.extend(store.failures_in(path)?.into_iter().map(|f| f.path));
    Ok(gone.into_iter().map(Change::Removed).collect())
}

/// Walks one folder (or file); false when the run stopped.
fn scan_tree(
    target: Target<'_>,
    tree: &Path,
    counts: &ScanCounts,
    halted: &dyn Fn() -> bool,
    work: &Sender<Found>,
    msgs: &Sender<Msg>,
) -> bool {
    {
        for walked in scan::walk(tree) {
            if halted() {
                return false;
            }
            let sent = match walked {
                Walked::Photo(found) => match is_unchanged(target, &found) {
                    Ok(true) => {
                        counts.unchanged.fetch_add(1, Ordering::Relaxed);
                        true
                    }
                    Ok(false) => {
                        counts.total.fetch_add(1, Ordering::Relaxed);
                        work.send(found).is_ok()
                    }
                    Err(err) => msgs.send(Msg::Change(failed(&found, err.to_string()))).is_ok(),
                },
                Walked::Skipped(skipped) => match skipped_change(target.store, skipped) {
                    Some(change) => msgs.send(Msg::Change(change)).is_ok(),
                    None => true,
                },
            };
            if !sent {
                return false;
            }
        }
    }
    true
}

/// A file is skipped when it was indexed, or failed, with this size and mtime.
fn is_unchanged(target: Target<'_>, found: &Found) -> crate::store::Result<bool> {
    if target.store.unchanged(target.model, &found.path, found.size, found.modified)? {
        return Ok(true);
    }
    Ok(target
        .store
        .failure(&found.path)?
        .is_some_and(|f| f.size == Some(found.size) && f.modified == Some(found.modified)))
}

/// A walk skip becomes a failure record, unless the same one is recorded.
fn skipped_change(store: &Store, skipped: Skipped) -> Option<Change> {
    let (path, reason) = match skipped {
        Skipped::Unsupported { path, reason } => (path, reason.to_owned()),
        Skipped::Unreadable { path, reason } => (path, format!("cannot read: {reason}")),
    };
    if store.failure(&path).ok().flatten().is_some_and(|f| f.reason == reason) {
        return None;
    }
    Some(Change::Failed(Failure { path, size: None, modified: None, reason }))
}

fn failed(found: &Found, reason: String) -> Change {
    Change::Failed(Failure {
        path: found.path.clone(),
        size: Some(found.size),
        modified: Some(found.modified),
        reason,
    })
}

fn prepare_photos(
    target: Target<'_>,
    embedder: &dyn Embedder,
    halted: &dyn Fn() -> bool,
    work: Receiver<Found>,
    prep: Sender<Prepared>,
    msgs: Sender<Msg>,
) {
    for found in work {
        if halted() {
            continue; // drain, so the scanner never blocks
        }
        let sent = match prepare(target, embedder, found) {
            Ok(Ready::Prepared(p)) => prep.send(*p).is_ok(),
            Ok(Ready::Change(change)) => msgs.send(Msg::Change(change)).is_ok(),
            Err(err) => msgs.send(Msg::Change(Change::Failed(*err))).is_ok(),
        };
        if !sent {
            return;
        }
    }
}

enum Ready {
    Prepared(Box<Prepared>),
    Change(Change),
}

/// Reads a file once: hashes it, and decodes and prepares it only when its
/// content has no vector yet.
fn prepare(target: Target<'_>, embedder: &dyn Embedder, found: Found) -> Result<Ready, Box<Failure>> {
    let fail = |reason: String| {
        Box::new(Failure {
            path: found.path.clone(),
            size: Some(found.size),
            modified: Some(found.modified),
            reason,
        })
    };
    let bytes = std::fs::read(&found.path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let hash = photo::content_hash(&bytes);
    let Target { store, model } = target;
    let known = store.id_of(&hash).and_then(|id| id.map_or(Ok(false), |id| store.has_vector(model, id)));
    if known.map_err(|e| fail(e.to_string()))? {
        let Found { path, size, modified } = found;
        return Ok(Ready::Change(Change::Known { hash, path, size, modified }));
    }
    let decoded = photo::decode_for_model(&found.path, &bytes, embedder.input_short_side())
        .map_err(|e| fail(photo_reason(&e)))?;
    let input = embedder.prepare_image(&decoded.image).map_err(|e| fail(e.to_string()))?;
    let format = photo::format_name(&bytes).unwrap_or("unknown").to_owned();
    Ok(Ready::Prepared(Box::new(Prepared {
        dimensions: decoded.dimensions,
        captured: photo::capture_time(&bytes),
        format,
        hash,
        input,
        found,
    })))
}

/// A photo error without the path (the failure record carries it).
fn photo_reason(err: &photo::PhotoError) -> String {
    let text = err.to_string();
    match text.split_once(": ") {
        Some((_, reason)) => reason.to_owned(),
        None => text,
    }
}

fn embed_batches(
    embedder: &dyn Embedder,
    batch_size: usize,
    halted: &dyn Fn() -> bool,
    prep: Receiver<Prepared>,
    msgs: Sender<Msg>,
) {
    while let Ok(first) = prep.recv() {
        if halted() {
            continue;
        }
        let mut batch = vec![first];
        while batch.len() < batch_size {
            match prep.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        if !send_embedded(embedder, batch, &msgs) {
            return;
        }
    }
}

/// Embeds one batch and hands the photos to the writer; false when the
/// writer is gone.
fn send_embedded(embedder: &dyn Embedder, batch: Vec<Prepared>, msgs: &Sender<Msg>) -> bool {
    let inputs: Vec<ImageInput> = batch.iter().map(|p| p.input.clone()).collect();
    let vectors = match embedder.embed_images(&inputs) {
        Ok(vectors) => vectors,
        Err(err) => {
            let _ = msgs.send(Msg::Fatal(err));
            return false;
        }
    };
    for (p, vector) in batch.into_iter().zip(vectors) {
        let embedded = Embedded {
            hash: p.hash,
            path: p.found.path,
            size: p.found.size,
            modified: p.found.modified,
            dimensions: p.dimensions,
            format: p.format,
            captured: p.captured,
            model: ModelKey::of(embedder),
            vector: vector.into_vec(),
        };
        if msgs.send(Msg::Change(Change::Embedded(embedded))).is_err() {
            return false;
        }
    }
    true
}

/// The single owner of the write transaction, on the caller's thread.
struct Writer<'a> {
    store: &'a Store,
    options: &'a Options,
    started: Instant,
    counts: &'a ScanCounts,
    pending: Vec<Change>,
    last_commit: Instant,
    last_progress: Instant,
    embedded: u64,
    reused: u64,
    failed: u64,
    removed: u64,
    current: Option<PathBuf>,
    missing: Vec<PathBuf>,
}

const PROGRESS_EVERY: Duration = Duration::from_millis(200);

impl<'a> Writer<'a> {
    fn new(store: &'a Store, options: &'a Options, started: Instant, counts: &'a ScanCounts) -> Self {
        Self {
            store,
            options,
            started,
            counts,
            pending: Vec::new(),
            last_commit: started,
            last_progress: started,
            embedded: 0,
            reused: 0,
            failed: 0,
            removed: 0,
            current: None,
            missing: Vec::new(),
        }
    }

    /// Receives until every stage is done, committing as it goes.
    fn drain(&mut self, msgs: &Receiver<Msg>, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        loop {
            match msgs.recv_timeout(PROGRESS_EVERY) {
                Ok(Msg::Change(change)) => self.take(change, on_event),
                Ok(Msg::RootMissing(root)) => {
                    on_event(Event::RootMissing { root: root.clone() });
                    self.missing.push(root);
                }
                Ok(Msg::Fatal(err)) => {
                    self.commit(on_event)?;
                    return Err(err.into());
                }
                Ok(Msg::Broken(err)) => {
                    self.commit(on_event)?;
                    return Err(err.into());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if self.pending.len() >= self.options.commit_every
                || (!self.pending.is_empty() && self.last_commit.elapsed() >= self.options.commit_interval)
            {
                self.commit(on_event)?;
            }
            if self.last_progress.elapsed() >= PROGRESS_EVERY {
                self.last_progress = Instant::now();
                on_event(Event::Progress(self.progress(true)));
            }
        }
        self.commit(on_event)
    }

    fn take(&mut self, change: Change, on_event: &mut dyn FnMut(Event)) {
        match &change {
            Change::Embedded(e) => {
                self.embedded += 1;
                self.current = Some(e.path.clone());
            }
            Change::Known { path, .. } => {
                self.reused += 1;
                self.current = Some(path.clone());
            }
            Change::Failed(failure) => {
                self.failed += 1;
                on_event(Event::Failed(failure.clone()));
            }
            Change::Removed(_) => self.removed += 1,
        }
        self.pending.push(change);
    }

    fn commit(&mut self, on_event: &mut dyn FnMut(Event)) -> Result<(), Error> {
        self.last_commit = Instant::now();
        if self.pending.is_empty() {
            return Ok(());
        }
        let changes = std::mem::take(&mut self.pending);
        let ids = self.store.commit(&changes, self.options.seed)?;
        let (mut paths, mut removed) = (Vec::new(), Vec::new());
        for (change, id) in changes.into_iter().zip(ids) {
            match change {
                Change::Embedded(e) => paths.push(e.path),
                Change::Known { path, .. } if id.is_some() => paths.push(path),
                Change::Removed(path) => removed.push(path),
                _ => {}
            }
        }
        if !paths.is_empty() {
            on_event(Event::Committed { paths });
        }
        if !removed.is_empty() {
            on_event(Event::Removed { paths: removed });
        }
        Ok(())
    }

    fn progress(&self, scanning: bool) -> Progress {
        let done = self.embedded + self.reused + self.failed;
        let scanning = scanning && !self.counts.done.load(Ordering::Relaxed);
        let total = self.counts.total.load(Ordering::Relaxed).max(done);
        let elapsed = self.started.elapsed().as_secs_f64();
        let per_second = if elapsed > 0.0 { done as f64 / elapsed } else { 0.0 };
        let eta_seconds = (!scanning && per_second > 0.0).then(|| (total - done) as f64 / per_second);
        Progress {
            scanning,
            total,
            done,
            unchanged: self.counts.unchanged.load(Ordering::Relaxed),
            embedded: self.embedded,
            reused: self.reused,
            failed: self.failed,
            per_second,
            eta_seconds,
            current: self.current.clone(),
        }
    }
}

/// Removes from the index the paths under each present root whose files
/// are gone. A root that is missing (or vanishes during the sweep) is left
/// alone: an unplugged drive is not a deletion. Nor is a root where *every*
/// indexed photo is gone at once: that is an empty mount point whose drive
/// is not mounted far more often than a deliberate wipe (remove the root to
/// drop its photos); it is reported as missing.
fn sweep(
    store: &Store,
    roots: &[PathBuf],
    missing: &mut Vec<PathBuf>,
    seed: u64,
    on_event: &mut dyn FnMut(Event),
) -> Result<u64, Error> {
    let mut removed = 0;
    for root in roots {
        if missing.contains(root) {
            continue;
        }
        let (mut held, mut gone) = (0usize, Vec::new());
        store.for_each_path_in::<crate::store::Error>(root, |path, _| {
            held += 1;
            if is_gone(path) {
                gone.push(path.to_owned());
            }
            Ok(())
        })?;
        if held > 0 && gone.len() == held {
            on_event(Event::RootMissing { root: root.clone() });
            missing.push(root.clone());
            continue;
        }
        gone.extend(store.failures_in(root)?.into_iter().map(|f| f.path).filter(|p| is_gone(p)));
        if gone.is_empty() || !root.is_dir() {
            continue;
        }
        for chunk in gone.chunks(1024) {
            let changes: Vec<Change> = chunk.iter().cloned().map(Change::Removed).collect();
            store.commit(&changes, seed)?;
            removed += chunk.len() as u64;
            on_event(Event::Removed { paths: chunk.to_vec() });
        }
    }
    Ok(removed)
}

fn is_gone(path: &Path) -> bool {
    matches!(std::fs::metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}
