//! The single owner of the write transaction: it batches the changes the
//! other stages send, commits them, and reports progress.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::{Error, Event, Msg, Options, Progress, ScanCounts};
use crate::store::{Change, Landed, Store};
use std::sync::atomic::Ordering;

/// The single owner of the write transaction, on the caller's thread.
pub(super) struct Writer<'a> {
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
    pub(super) removed: u64,
    current: Option<PathBuf>,
    pub(super) missing: Vec<PathBuf>,
}

const PROGRESS_EVERY: Duration = Duration::from_millis(200);

impl<'a> Writer<'a> {
    pub(super) fn new(
        store: &'a Store,
        options: &'a Options,
        started: Instant,
        counts: &'a ScanCounts,
    ) -> Self {
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
    pub(super) fn drain(
        &mut self,
        msgs: &Receiver<Msg>,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<(), Error> {
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
        let count = changes.len();
        let landed = self.store.commit(&changes, self.options.seed).map_err(|source| Error::Batch {
            changes: count,
            disk_full: source.is_disk_full(),
            source,
        })?;
        let (mut paths, mut removed) = (Vec::new(), Vec::new());
        for (change, landed) in changes.into_iter().zip(landed) {
            match (change, landed) {
                (change, Landed::Failed(failure)) => {
                    self.unsucceed(&change);
                    self.failed += 1;
                    on_event(Event::Failed(failure));
                }
                (Change::Embedded(e), _) => paths.push(e.path),
                (Change::Known { path, .. }, Landed::Photo(_)) => paths.push(path),
                (Change::Removed(path), _) => removed.push(path),
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

    /// Takes back the count [`Writer::take`] gave a change that then failed to land.
    fn unsucceed(&mut self, change: &Change) {
        match change {
            Change::Embedded(_) => self.embedded = self.embedded.saturating_sub(1),
            Change::Known { .. } => self.reused = self.reused.saturating_sub(1),
            Change::Failed(_) => self.failed = self.failed.saturating_sub(1),
            Change::Removed(_) => self.removed = self.removed.saturating_sub(1),
        }
    }

    pub(super) fn progress(&self, scanning: bool) -> Progress {
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
