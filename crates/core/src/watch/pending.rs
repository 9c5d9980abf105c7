//! Changed paths waiting for their size and mtime to hold still: a file
//! being written is not read half done. Pure: time and the file system's
//! answers are passed in, so the rules are tested as tables.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// A path's size and mtime, or `None` when it is not there.
pub(super) type Stat = Option<(u64, SystemTime)>;

/// The paths waiting to settle.
#[derive(Debug, Default)]
pub(super) struct Pending {
    paths: HashMap<PathBuf, Waiting>,
}

#[derive(Debug, Clone, Copy)]
struct Waiting {
    stat: Stat,
    since: Instant,
    /// Found by listing a folder that had held still: it goes as soon as
    /// one more look finds its stat unchanged (no second settle period:
    /// a photo copied into a new folder waited for both, twice as long).
    listed: bool,
}

/// What held still long enough.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Settled {
    /// Files (and links, and paths now gone) to hand to the pipeline, sorted.
    pub files: Vec<PathBuf>,
    /// Folders to list: each file in them settles on its own.
    pub folders: Vec<PathBuf>,
}

impl Pending {
    /// `path` changed (as `stat` now): it settles again from `now`.
    pub fn changed(&mut self, path: PathBuf, stat: Stat, now: Instant) {
        self.paths.insert(path, Waiting { stat, since: now, listed: false });
    }

    /// `path` is to be looked at; one already waiting keeps its clock.
    pub fn add(&mut self, path: PathBuf, stat: Stat, now: Instant) {
        self.paths.entry(path).or_insert(Waiting { stat, since: now, listed: false });
    }

    /// `path` was found listing a settled folder: it goes at the next look
    /// that finds its stat unchanged. One already waiting keeps its clock.
    pub fn listed(&mut self, path: PathBuf, stat: Stat, now: Instant) {
        self.paths.entry(path).or_insert(Waiting { stat, since: now, listed: true });
    }

    /// Forgets every path inside `folder` (a root gone or removed).
    pub fn forget_under(&mut self, folder: &Path) {
        self.paths.retain(|path, _| !path.starts_with(folder));
    }

    /// Nothing waits.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Takes the paths whose stat held still for `settle` up to `now`; a
    /// path whose stat moved starts over. `is_folder` tells which settled
    /// paths are folders to list (a link to a folder is a path, never a
    /// folder: listing it would walk wherever it leads).
    pub fn take_settled(
        &mut self,
        now: Instant,
        settle: Duration,
        stat: impl Fn(&Path) -> Stat,
        is_folder: impl Fn(&Path) -> bool,
    ) -> Settled {
        let mut settled = Settled::default();
        self.paths.retain(|path, waiting| {
            let current = stat(path);
            if current != waiting.stat {
                *waiting = Waiting { stat: current, since: now, listed: false };
                return true;
            }
            let held = now.duration_since(waiting.since);
            if held < settle && !(waiting.listed && held > Duration::ZERO) {
                return true;
            }
            if is_folder(path) { &mut settled.folders } else { &mut settled.files }.push(path.clone());
            false
        });
        settled.files.sort();
        settled.folders.sort();
        settled
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;

    const SETTLE: Duration = Duration::from_millis(750);

    /// One step of a case: at `ms`, a change, a write, or a look.
    #[derive(Debug, Clone, Copy)]
    enum Step {
        /// The watcher reported a change at the path (its size as it is).
        Changed(&'static str),
        /// The service hands a path over again: it is to be looked at.
        Add(&'static str),
        /// The service listed a settled folder and found the path.
        Listed(&'static str),
        /// The file now has this size (written further, or new).
        Write(&'static str, u64),
        /// The file is gone.
        Delete(&'static str),
        /// The service looks: these settled (files, then folders).
        Look(&'static [&'static str], &'static [&'static str]),
    }

    fn run(case: &str, steps: &[(u64, Step)]) {
        let start = Instant::now();
        let epoch = SystemTime::UNIX_EPOCH;
        let disk: RefCell<BTreeMap<PathBuf, u64>> = RefCell::default();
        let stat = |path: &Path| disk.borrow().get(path).map(|&size| (size, epoch));
        let is_folder = |path: &Path| path.extension().is_none();
        let mut pending = Pending::default();
        for &(ms, step) in steps {
            let now = start + Duration::from_millis(ms);
            match step {
                Step::Changed(p) => pending.changed(p.into(), stat(Path::new(p)), now),
                Step::Add(p) => pending.add(p.into(), stat(Path::new(p)), now),
                Step::Listed(p) => pending.listed(p.into(), stat(Path::new(p)), now),
                Step::Write(p, size) => drop(disk.borrow_mut().insert(p.into(), size)),
                Step::Delete(p) => drop(disk.borrow_mut().remove(Path::new(p))),
                Step::Look(files, folders) => {
                    let settled = pending.take_settled(now, SETTLE, stat, is_folder);
                    let want = Settled {
                        files: files.iter().map(PathBuf::from).collect(),
                        folders: folders.iter().map(PathBuf::from).collect(),
                    };
                    assert_eq!(settled, want, "{case}: look at {ms} ms");
                }
            }
        }
    }

    #[test]
    fn paths_settle_once_their_size_and_mtime_hold_still() {
        use Step::*;
        let cases: &[(&str, &[(u64, Step)])] = &[
            (
                "a file written once settles after the settle time",
                &[
                    (0, Write("/r/a.jpg", 10)),
                    (0, Changed("/r/a.jpg")),
                    (500, Look(&[], &[])),
                    (760, Look(&["/r/a.jpg"], &[])),
                    (2000, Look(&[], &[])),
                ],
            ),
            (
                "a file still growing waits until it stops",
                &[
                    (0, Write("/r/big.jpg", 1)),
                    (0, Changed("/r/big.jpg")),
                    (400, Write("/r/big.jpg", 2)),
                    (800, Look(&[], &[])),
                    (1200, Write("/r/big.jpg", 3)),
                    (1400, Look(&[], &[])),
                    (2000, Look(&[], &[])),
                    (2300, Look(&["/r/big.jpg"], &[])),
                ],
            ),
            (
                "a file deleted before it settled is handed over as gone",
                &[
                    (0, Write("/r/tmp.jpg", 5)),
                    (0, Changed("/r/tmp.jpg")),
                    (100, Delete("/r/tmp.jpg")),
                    (200, Look(&[], &[])),
                    (1000, Look(&["/r/tmp.jpg"], &[])),
                ],
            ),
            (
                "a new folder settles as a folder to list",
                &[(0, Write("/r/2024", 0)), (0, Changed("/r/2024")), (800, Look(&[], &["/r/2024"]))],
            ),
            (
                "a file found in a settled folder goes at the next look, not a settle later",
                &[
                    (0, Write("/r/new/a.jpg", 10)),
                    (800, Listed("/r/new/a.jpg")),
                    (800, Look(&[], &[])),
                    (1050, Look(&["/r/new/a.jpg"], &[])),
                ],
            ),
            (
                "a file found in a settled folder that still grows settles like any other",
                &[
                    (0, Write("/r/new/b.jpg", 1)),
                    (800, Listed("/r/new/b.jpg")),
                    (900, Write("/r/new/b.jpg", 2)),
                    (1050, Look(&[], &[])),
                    (1300, Look(&[], &[])),
                    (1850, Look(&["/r/new/b.jpg"], &[])),
                ],
            ),
            (
                "a found file keeps the clock of a change already waiting",
                &[
                    (0, Write("/r/a.jpg", 1)),
                    (0, Changed("/r/a.jpg")),
                    (600, Listed("/r/a.jpg")),
                    (700, Look(&[], &[])),
                    (800, Look(&["/r/a.jpg"], &[])),
                ],
            ),
            (
                "a path handed over again keeps the clock of a change already waiting",
                &[
                    (0, Write("/r/a.jpg", 1)),
                    (0, Changed("/r/a.jpg")),
                    (600, Add("/r/a.jpg")),
                    (800, Look(&["/r/a.jpg"], &[])),
                ],
            ),
            (
                "a second change restarts the clock",
                &[
                    (0, Write("/r/a.jpg", 1)),
                    (0, Changed("/r/a.jpg")),
                    (600, Changed("/r/a.jpg")),
                    (800, Look(&[], &[])),
                    (1400, Look(&["/r/a.jpg"], &[])),
                ],
            ),
            (
                "settled files come out sorted",
                &[
                    (0, Write("/r/b.jpg", 1)),
                    (0, Write("/r/a.jpg", 1)),
                    (0, Changed("/r/b.jpg")),
                    (0, Changed("/r/a.jpg")),
                    (900, Look(&["/r/a.jpg", "/r/b.jpg"], &[])),
                ],
            ),
        ];
        for (case, steps) in cases {
            run(case, steps);
        }
    }

    #[test]
    fn a_forgotten_folder_drops_what_waits_inside_it_only() {
        let now = Instant::now();
        let mut pending = Pending::default();
        pending.changed("/r/a/1.jpg".into(), None, now);
        pending.changed("/r/ab/2.jpg".into(), None, now);
        pending.forget_under(Path::new("/r/a"));
        let settled = pending.take_settled(now + SETTLE, SETTLE, |_| None, |_| false);
        assert_eq!(settled.files, [PathBuf::from("/r/ab/2.jpg")]);
        assert!(pending.is_empty());
    }
}
