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

use crossbeam_channel::{Sender, bounded};
use serde::{Deserialize, Serialize};

use crate::scan::{self, Found, Skipped, Walked};
use crate::store::{Change, Failure, ModelKey, Store};
use crate::{EmbedError, Embedder};

mod prepare;
mod writer;

use prepare::{Reading, embed_batches, prepare_photos};
use writer::Writer;

/// What the decoding workers may hold at once by default: with the model's
/// weights, a run stays under 1.5 GiB whatever the photos.
pub const DECODE_BUDGET: u64 = 512 << 20;

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
    /// Files larger than this are recorded as failed without being read.
    pub max_file_bytes: u64,
    /// Bytes the workers may hold at once for reading and decoding (files
    /// and pixels); a photo larger than all of it is decoded alone.
    pub decode_budget: u64,
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
            max_file_bytes: crate::photo::MAX_FILE_BYTES,
            decode_budget: DECODE_BUDGET,
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
        #[serde(with = "crate::paths::serde_vec")]
        paths: Vec<PathBuf>,
    },
    /// A root is not there, or every photo in it is gone at once (an
    /// unplugged drive, an unmounted mount point?): its photos are kept.
    RootMissing {
        /// The root.
        #[serde(with = "crate::paths::serde")]
        root: PathBuf,
    },
    /// Paths gone from a present root left the index (their photos' vectors
    /// are kept a while, in case the bytes come back).
    Removed {
        /// The files.
        #[serde(with = "crate::paths::serde_vec")]
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
    #[serde(with = "crate::paths::serde_opt")]
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
    #[serde(with = "crate::paths::serde_vec")]
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
    /// A batch could not be committed (a full disk, say): it is lost, what
    /// was committed before stays, and the index opens as it was.
    #[error(
        "{source}{}; the last {changes} changes were not saved (what was saved before is intact; \
         run photofind again once fixed)",
        if *disk_full { " (is the disk full?)" } else { "" }
    )]
    Batch {
        /// Changes in the lost batch.
        changes: usize,
        /// Whether the disk (or the index's map) is full.
        disk_full: bool,
        /// What the store said.
        source: crate::store::Error,
    },
    /// The model failed (not one photo's fault, so the run stops).
    #[error(transparent)]
    Model(#[from] EmbedError),
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
    let cancelled = || cancel.load(Ordering::Relaxed);
    run_scope(store, embedder, Scope::Roots(roots), options, &cancelled, on_event)
}

/// Like [`run`], over any [`Scope`]; the run stops (after committing what
/// was embedded) once `cancel` says so.
pub fn run_scope(
    store: &Store,
    embedder: &dyn Embedder,
    scope: Scope<'_>,
    options: &Options,
    cancel: &(dyn Fn() -> bool + Sync),
    on_event: &mut dyn FnMut(Event),
) -> Result<Summary, Error> {
    let started = Instant::now();
    let (stop, cut) = (AtomicBool::new(false), AtomicBool::new(false));
    // Once cut, always cut: `cancel` may be a condition that passes (a
    // change waiting that the caller then handles).
    let halted = || {
        if stop.load(Ordering::Relaxed) || cut.load(Ordering::Relaxed) {
            return true;
        }
        let now = cancel();
        cut.fetch_or(now, Ordering::Relaxed);
        now
    };
    let counts = ScanCounts::default();
    let (work_tx, work_rx) = bounded::<Found>(256);
    let (prep_tx, prep_rx) = bounded::<prepare::Prepared>(options.batch_size.max(1) * 2);
    let (msg_tx, msg_rx) = bounded::<Msg>(1024);
    let model = ModelKey::of(embedder);
    let target = Target { store, model: &model };
    let mut writer = Writer::new(store, options, started, &counts);
    let budget = crate::photo::DecodeBudget::new(options.decode_budget);
    let outcome = std::thread::scope(|s| {
        let msgs = msg_tx.clone();
        s.spawn(|| scan(target, scope, &counts, &halted, work_tx, msgs));
        let reading = Reading { target, embedder, max_file_bytes: options.max_file_bytes, budget: &budget };
        for _ in 0..options.workers.max(1) {
            let (work, prep, msgs) = (work_rx.clone(), prep_tx.clone(), msg_tx.clone());
            s.spawn(move || prepare_photos(reading, &halted, work, prep, msgs));
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
    let cancelled = cut.load(Ordering::Relaxed);
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
        if !scan_tree(target, root, roots, counts, halted, work, msgs) {
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
            scan_tree(target, path, roots, counts, halted, work, msgs)
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
    roots: &[PathBuf],
    counts: &ScanCounts,
    halted: &dyn Fn() -> bool,
    work: &Sender<Found>,
    msgs: &Sender<Msg>,
) -> bool {
    {
        for walked in scan::walk(tree, roots) {
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
    let reason = skipped.reason();
    let path = skipped.path().to_owned();
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
