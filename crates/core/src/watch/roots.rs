//! The roots as the service sees them: there or not (unplugged drives),
//! watched by the OS or polled (the OS's watch limit), and when a polled
//! root is due for its rescan.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer_opt};

use crate::service::{RootState, RootStatus};

type Watcher = Debouncer<notify::RecommendedWatcher, RecommendedCache>;

/// One root.
#[derive(Debug)]
struct Root {
    state: RootState,
    watched: bool,
    next_poll: Option<Instant>,
}

/// What a presence check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Presence {
    /// No change.
    Same,
    /// It is there (again): watched, or polled when the OS refused; with
    /// what the user should hear (the watch limit, a folder it cannot read).
    Back {
        /// The OS does not watch it: it is rescanned periodically.
        polled: bool,
        /// Messages for the user.
        warnings: Vec<String>,
    },
    /// It went away: unwatched; its photos stay.
    Gone,
}

/// Every root of the library and the OS watcher over them.
pub(super) struct Roots {
    roots: BTreeMap<PathBuf, Root>,
    watcher: Watcher,
    poll_every: Duration,
}

impl Roots {
    /// No roots yet; notify's events go to `events`, gathered for `debounce`.
    pub fn new(
        debounce: Duration,
        poll_every: Duration,
        events: crossbeam_channel::Sender<DebounceEventResult>,
    ) -> Result<Self, notify::Error> {
        // Links are not followed: a link under a root that leads out of every
        // root must not pull `/` (or `/proc`) into the watch (see `scan`).
        let config = notify::Config::default().with_follow_symlinks(false);
        let watcher = new_debouncer_opt::<_, notify::RecommendedWatcher, RecommendedCache>(
            debounce,
            None,
            events,
            RecommendedCache::new(),
            config,
        )?;
        Ok(Self { roots: BTreeMap::new(), watcher, poll_every })
    }

    /// Every root, by path.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.roots.keys().cloned().collect()
    }

    /// The roots that are there.
    pub fn present(&self) -> Vec<PathBuf> {
        self.roots.iter().filter(|(_, r)| r.state != RootState::Offline).map(|(p, _)| p.clone()).collect()
    }

    /// The root holding `path`.
    pub fn root_of(&self, path: &Path) -> Option<&Path> {
        self.roots.keys().find(|root| path.starts_with(root)).map(PathBuf::as_path)
    }

    /// The roots holding or held by any of `paths`; all of them when none is named.
    pub fn around(&self, paths: &[PathBuf]) -> Vec<PathBuf> {
        let touches = |root: &PathBuf| {
            paths.is_empty() || paths.iter().any(|p| p.starts_with(root) || root.starts_with(p))
        };
        self.roots.keys().filter(|root| touches(root)).cloned().collect()
    }

    /// Whether the OS watches `root`.
    pub fn is_watched(&self, root: &Path) -> bool {
        self.roots.get(root).is_some_and(|r| r.watched)
    }

    /// Each root's state.
    pub fn statuses(&self) -> Vec<RootStatus> {
        self.roots.iter().map(|(path, r)| RootStatus { path: path.clone(), state: r.state }).collect()
    }

    /// Brings the set in line with `wanted`: new roots start offline (a
    /// presence check brings them in); returns the roots dropped.
    pub fn sync(&mut self, wanted: &BTreeSet<PathBuf>) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let gone: Vec<PathBuf> = self.roots.keys().filter(|p| !wanted.contains(*p)).cloned().collect();
        for path in &gone {
            if self.roots.remove(path).is_some_and(|r| r.watched) {
                let _ = self.watcher.unwatch(path);
            }
        }
        let new: Vec<PathBuf> = wanted.iter().filter(|p| !self.roots.contains_key(*p)).cloned().collect();
        for path in &new {
            let root = Root { state: RootState::Offline, watched: false, next_poll: None };
            self.roots.insert(path.clone(), root);
        }
        (new, gone)
    }

    /// Notes whether `path` is there: a root that went is unwatched, one
    /// that is back is watched (or polled when the OS refuses).
    pub fn check(&mut self, path: &Path, now: Instant) -> Presence {
        let Some(root) = self.roots.get(path) else { return Presence::Same };
        let present = path.is_dir();
        if present != (root.state == RootState::Offline) {
            return Presence::Same;
        }
        if !present {
            if root.watched {
                let _ = self.watcher.unwatch(path);
            }
            self.set_watched(path, false, None);
            return Presence::Gone;
        }
        let mut warnings = Vec::new();
        if let Err(err) = std::fs::read_dir(path) {
            warnings.push(format!(
                "{}: cannot read this folder ({err}); its photos stay in the index as they were",
                path.display()
            ));
        }
        let polled = match self.watcher.watch(path, RecursiveMode::Recursive) {
            Ok(()) => {
                self.set_watched(path, true, None);
                false
            }
            Err(err) => {
                self.set_watched(path, false, Some(now + self.poll_every));
                warnings.push(watch_failure(path, &err, self.poll_every));
                true
            }
        };
        Presence::Back { polled, warnings }
    }

    fn set_watched(&mut self, path: &Path, watched: bool, next_poll: Option<Instant>) {
        if let Some(root) = self.roots.get_mut(path) {
            (root.watched, root.next_poll) = (watched, next_poll);
        }
    }

    /// Sets `path`'s state; whether it changed.
    pub fn set_state(&mut self, path: &Path, state: RootState) -> bool {
        let Some(root) = self.roots.get_mut(path) else { return false };
        let changed = root.state != state;
        root.state = state;
        changed
    }

    /// The state a root goes back to after a scan.
    pub fn resting_state(&self, path: &Path) -> RootState {
        if self.is_watched(path) { RootState::Watching } else { RootState::Polling }
    }

    /// The polled roots whose rescan is due at `now` (each then waits
    /// another period).
    pub fn due_polls(&mut self, now: Instant) -> Vec<PathBuf> {
        let mut due = Vec::new();
        for (path, root) in &mut self.roots {
            if root.next_poll.is_some_and(|t| t <= now) {
                root.next_poll = Some(now + self.poll_every);
                due.push(path.clone());
            }
        }
        due
    }
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
    fn a_root_is_offline_until_checked_then_watched_and_offline_again_when_gone() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("drive");
        std::fs::create_dir(&root).expect("mkdir");
        let (tx, _rx) = crossbeam_channel::unbounded();
        let mut roots = Roots::new(Duration::from_millis(50), Duration::from_secs(300), tx).expect("watcher");
        let (new, gone) = roots.sync(&BTreeSet::from([root.clone()]));
        assert_eq!((new, gone), (vec![root.clone()], vec![]));
        assert!(roots.present().is_empty(), "not checked yet");
        let now = Instant::now();
        assert_eq!(roots.check(&root, now), Presence::Back { polled: false, warnings: vec![] });
        roots.set_state(&root, RootState::Watching);
        assert_eq!(roots.check(&root, now), Presence::Same);
        assert!(roots.is_watched(&root));
        std::fs::remove_dir(&root).expect("unplug");
        assert_eq!(roots.check(&root, now), Presence::Gone);
        assert!(!roots.is_watched(&root));
        assert_eq!(roots.due_polls(now + Duration::from_secs(600)), Vec::<PathBuf>::new());
    }

    #[test]
    fn a_root_that_cannot_be_read_is_watched_and_said_so() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("locked");
        std::fs::create_dir(&root).expect("mkdir");
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if std::fs::read_dir(&root).is_ok() {
            return; // root reads anything: nothing to see here
        }
        let (tx, _rx) = crossbeam_channel::unbounded();
        let mut roots = Roots::new(Duration::from_millis(50), Duration::from_secs(300), tx).expect("watcher");
        roots.sync(&BTreeSet::from([root.clone()]));
        let Presence::Back { warnings, .. } = roots.check(&root, Instant::now()) else { panic!("there") };
        assert!(warnings.iter().any(|w| w.contains("cannot read this folder")), "{warnings:?}");
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    }
}
