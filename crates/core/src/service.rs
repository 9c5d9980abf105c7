//! One indexing service per library, and what it tells other processes.
//!
//! The process that writes a library (`photofind index`, `photofind watch`,
//! the desktop app's background service) holds an exclusive lock on
//! `DATA_DIR/writer.lock` for as long as it runs; a second writer is told
//! who holds it instead of starting. Readers (search, status) never take
//! it: LMDB lets any number of processes read while one writes.
//!
//! A watching service also keeps `DATA_DIR/service.json` up to date (per
//! root state, progress), written atomically, so `photofind status` in
//! another process can show it. The file is only believed while the lock
//! is held: a service that was killed leaves a stale file and a free lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::index::Progress;

const LOCK_FILE: &str = "writer.lock";
const STATE_FILE: &str = "service.json";

/// Why the writer lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process indexes this library.
    #[error(
        "{} is being indexed by another photofind process{}: it picks up changes itself; \
         stop it first to run this here",
        data_dir.display(),
        holder.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
    )]
    Busy {
        /// The library's data directory.
        data_dir: PathBuf,
        /// What the holder wrote about itself (`pid 123: photofind watch`).
        holder: Option<String>,
    },
    /// The lock file could not be opened or locked.
    #[error("{}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// The exclusive right to write a library; released when dropped (or when
/// the process dies, however it dies).
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
    data_dir: PathBuf,
}

impl WriterLock {
    /// Whether this is the lock of the library in `data_dir`.
    pub fn holds(&self, data_dir: &Path) -> bool {
        self.data_dir == data_dir
    }
}

/// Takes the writer lock of the library in `data_dir`, recording `what`
/// (e.g. `photofind watch`) for whoever is refused.
pub fn lock_writer(data_dir: &Path, what: &str) -> Result<WriterLock, LockError> {
    let path = data_dir.join(LOCK_FILE);
    let io = |source| LockError::Io { path: path.clone(), source };
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let mut file =
        OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = Some(holder.trim().to_owned()).filter(|h| !h.is_empty());
            return Err(LockError::Busy { data_dir: data_dir.to_owned(), holder });
        }
        Err(TryLockError::Error(source)) => return Err(io(source)),
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    write!(file, "pid {}: {what}", std::process::id()).map_err(io)?;
    Ok(WriterLock { _file: file, data_dir: data_dir.to_owned() })
}

/// Whether some process holds the writer lock of the library in `data_dir`.
pub fn writer_running(data_dir: &Path) -> bool {
    let Ok(file) = File::open(data_dir.join(LOCK_FILE)) else { return false };
    matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
}

/// What a watching service is doing with a root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootState {
    /// Indexed, and changes are picked up as they happen.
    Watching,
    /// Being walked (first index, a rescan after lost events, a drive
    /// that came back).
    Scanning,
    /// Not there (unplugged drive, unmounted share): its photos stay in the
    /// index, shown as offline.
    Offline,
    /// Cannot be watched (the OS's watch limit): rescanned periodically.
    Polling,
    /// No service runs; the root is there.
    Idle,
}

/// One root's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootStatus {
    /// The root.
    #[serde(with = "crate::paths::serde")]
    pub path: PathBuf,
    /// Its state.
    pub state: RootState,
}

/// What a watching service is doing as a whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Started; its start-up pass has not begun.
    #[default]
    Starting,
    /// Walking folders to find what changed (progress counts what it found).
    Scanning,
    /// Reading and embedding what the scan found (progress has the total).
    Indexing,
    /// Everything seen is in the index; waiting for changes.
    UpToDate,
    /// Told to pause: changes are noted, none indexed.
    Paused,
}

/// What a running service publishes in `service.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ServiceState {
    /// The service's process.
    pub pid: u32,
    /// When it started.
    pub started: Option<SystemTime>,
    /// What it is doing.
    #[serde(default)]
    pub phase: Phase,
    /// Photos in the library (distinct contents), as of the last pass.
    #[serde(default)]
    pub photos: u64,
    /// Indexing is paused.
    pub paused: bool,
    /// Each root's state.
    pub roots: Vec<RootStatus>,
    /// The current (or last) indexing run's counts.
    pub progress: Option<Progress>,
    /// Anything the user should act on (e.g. the OS's watch limit).
    pub warnings: Vec<String>,
}

/// Publishes `state` for other processes (atomically: a reader never sees
/// half a file).
pub fn publish(data_dir: &Path, state: &ServiceState) -> std::io::Result<()> {
    let tmp = data_dir.join(format!("{STATE_FILE}.tmp"));
    let json = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, data_dir.join(STATE_FILE))
}

/// The running service's state, or `None` when no writer runs (a stale
/// file from a killed service is ignored).
pub fn running_state(data_dir: &Path) -> Option<ServiceState> {
    if !writer_running(data_dir) {
        return None;
    }
    let bytes = std::fs::read(data_dir.join(STATE_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl ServiceState {
    /// Where indexing stands, in one line for a person: `Up to date · 1200
    /// photos`, `Indexing · 40 / 300 photos`, `Scanning · 5000 checked`.
    pub fn headline(&self) -> String {
        let progress = self.progress.clone().unwrap_or_default();
        match self.phase {
            Phase::Starting => "Starting".into(),
            Phase::UpToDate => format!("Up to date · {} photos", self.photos),
            Phase::Paused => "Paused".into(),
            Phase::Scanning => format!("Scanning · {} checked", progress.done + progress.unchanged),
            Phase::Indexing => format!("Indexing · {} / {} photos", progress.done, progress.total),
        }
    }

    /// The state of `root`: what the service published, else `Idle` when the
    /// folder is there and `Offline` when it is not (no service runs, or the
    /// root is newer than the last publication).
    pub fn root_state(state: Option<&ServiceState>, root: &Path) -> RootState {
        let published = state.and_then(|s| s.roots.iter().find(|r| r.path == root));
        match published {
            Some(status) => status.state,
            None if root.is_dir() => RootState::Idle,
            None => RootState::Offline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_and_told_who_holds_the_lock() {
        let dir = tempfile::tempdir().expect("tmp");
        let held = lock_writer(dir.path(), "photofind watch").expect("first lock");
        assert!(writer_running(dir.path()));
        let err = lock_writer(dir.path(), "photofind index").expect_err("second lock");
        let text = err.to_string();
        assert!(text.contains(&format!("pid {}: photofind watch", std::process::id())), "{text}");
        drop(held);
        assert!(!writer_running(dir.path()));
        lock_writer(dir.path(), "photofind index").expect("free again");
    }

    #[test]
    fn a_stale_state_file_is_not_believed() {
        let dir = tempfile::tempdir().expect("tmp");
        let state = ServiceState { pid: 1, ..ServiceState::default() };
        publish(dir.path(), &state).expect("publishes");
        assert!(running_state(dir.path()).is_none(), "no lock held");
        let _lock = lock_writer(dir.path(), "test").expect("locks");
        assert_eq!(running_state(dir.path()).map(|s| s.pid), Some(1));
    }

    #[test]
    fn a_root_state_is_the_published_one_else_idle_or_offline_by_presence() {
        let dir = tempfile::tempdir().expect("tmp");
        let (here, gone) = (dir.path().to_owned(), dir.path().join("unplugged"));
        assert_eq!(ServiceState::root_state(None, &here), RootState::Idle);
        assert_eq!(ServiceState::root_state(None, &gone), RootState::Offline);
        let state = ServiceState {
            roots: vec![RootStatus { path: here.clone(), state: RootState::Scanning }],
            ..ServiceState::default()
        };
        assert_eq!(ServiceState::root_state(Some(&state), &here), RootState::Scanning);
        assert_eq!(ServiceState::root_state(Some(&state), &gone), RootState::Offline);
    }
}
