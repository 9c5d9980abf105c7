//! The live library, with a stand-in model that counts its calls: changes
//! on disk reach the index as they happen, moves and renames cost no
//! embedding, an unplugged root keeps its photos, a slowly written file is
//! embedded once. Every wait is on the service's events, with a timeout.

mod support;

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use photofind_core::Library;
use photofind_core::index;
use photofind_core::service::RootState;
use photofind_core::store::ModelKey;
use photofind_core::watch::{self, Control, Event};
use support::{MeanColour, distinct_png};

/// Generous: a loaded 2-core CI machine embeds 10,000 photos in ~35 s.
const WAIT: Duration = Duration::from_secs(90);

/// A library with a running service.
struct Live {
    library: Arc<Library>,
    model: Arc<MeanColour>,
    control: Control,
    events: Receiver<Event>,
    thread: Option<JoinHandle<Result<watch::Ended, watch::Error>>>,
    _data: tempfile::TempDir,
}

impl Live {
    fn start(roots: &[&Path]) -> Self {
        let data = tempfile::tempdir().expect("tmp");
        let key = ModelKey { id: "mean-colour".into(), dims: 4 };
        let library = Arc::new(Library::open(data.path(), Some(&key)).expect("opens"));
        for root in roots {
            library.add_root(root).expect("adds root");
        }
        let model = Arc::new(MeanColour::new(None));
        let (control, commands) = watch::control();
        let (tx, events) = channel();
        let (lib, m) = (library.clone(), model.clone());
        let thread = std::thread::spawn(move || {
            let writer = lib.lock_writer("test").expect("locks");
            let options = watch::Options {
                index: index::Options { workers: 2, batch_size: 8, ..watch::Options::default().index },
                ..watch::Options::default()
            };
            lib.watch(&writer, m.as_ref(), None, &options, &commands, &mut |event| {
                let _ = tx.send(event);
            })
        });
        let live = Live { library, model, control, events, thread: Some(thread), _data: data };
        live.wait("the first index", |e| matches!(e, Event::Idle { .. }));
        live
    }

    /// Waits for an event `done` accepts; panics after [`WAIT`].
    fn wait(&self, what: &str, mut done: impl FnMut(&Event) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) if done(&event) => return,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("timed out waiting for {what}"),
                Err(RecvTimeoutError::Disconnected) => panic!("the service stopped while waiting for {what}"),
            }
        }
    }

    /// Waits until each of `added` was committed and each of `removed` left.
    fn wait_for(&self, added: &[PathBuf], removed: &[PathBuf]) {
        let mut added: HashSet<&PathBuf> = added.iter().collect();
        let mut removed: HashSet<&PathBuf> = removed.iter().collect();
        self.wait(&format!("{added:?} in and {removed:?} out"), |event| {
            match event {
                Event::Index(index::Event::Committed { paths }) => paths.iter().for_each(|p| {
                    added.remove(p);
                }),
                Event::Index(index::Event::Removed { paths }) => paths.iter().for_each(|p| {
                    removed.remove(p);
                }),
                Event::Index(index::Event::Failed(f)) => panic!("unexpected failure: {f:?}"),
                _ => {}
            }
            added.is_empty() && removed.is_empty()
        });
    }

    /// Photos a search would find: (photo count, path count).
    fn counts(&self) -> (u64, u64) {
        let stats = self.library.store().stats().expect("stats");
        (stats.photos, stats.paths)
    }

    fn embeddings(&self) -> u64 {
        self.library.store().stats().expect("stats").embeddings
    }

    fn indexed(&self, path: &Path) -> bool {
        self.library.store().path_entry(path).expect("reads").is_some()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.control.stop();
        if let Some(thread) = self.thread.take() {
            let result = thread.join().expect("service thread");
            if !std::thread::panicking() {
                result.expect("the service ran without error");
            }
        }
    }
}

#[test]
fn creates_modifies_renames_moves_copies_and_deletes_reach_the_index() {
    let (a, b) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    let (a, b) = (a.path().canonicalize().expect("abs"), b.path().canonicalize().expect("abs"));
    let live = Live::start(&[&a, &b]);
    assert_eq!(live.counts(), (0, 0));

    let first = distinct_png(&a.join("first.png"), 1);
    live.wait_for(std::slice::from_ref(&first), &[]);
    assert_eq!((live.embeddings(), live.model.calls()), (1, 1));

    // Modified in place: new bytes, a new embedding; the old bytes are not searchable.
    distinct_png(&first, 2);
    live.wait_for(std::slice::from_ref(&first), &[]);
    assert_eq!((live.embeddings(), live.counts()), (2, (1, 1)));

    // Renamed inside the root, then moved into a new folder of the other root.
    let renamed = a.join("renamed.png");
    std::fs::rename(&first, &renamed).expect("renames");
    live.wait_for(std::slice::from_ref(&renamed), std::slice::from_ref(&first));
    std::fs::create_dir(b.join("trip")).expect("mkdir");
    let moved = b.join("trip/moved.png");
    std::fs::rename(&renamed, &moved).expect("moves");
    live.wait_for(std::slice::from_ref(&moved), std::slice::from_ref(&renamed));
    assert_eq!((live.embeddings(), live.counts()), (2, (1, 1)), "moves computed nothing");

    // A copy shares the vector.
    let copy = a.join("copy.png");
    std::fs::copy(&moved, &copy).expect("copies");
    live.wait_for(std::slice::from_ref(&copy), &[]);
    assert_eq!((live.embeddings(), live.counts()), (2, (1, 2)));

    // A folder renamed: its files move with it, still no embedding.
    let trip2 = b.join("trip-2024");
    std::fs::rename(b.join("trip"), &trip2).expect("renames folder");
    live.wait_for(&[trip2.join("moved.png")], std::slice::from_ref(&moved));
    assert_eq!(live.embeddings(), 2);

    // Deleted: the path leaves; the last path going takes the photo out of search.
    std::fs::remove_file(&copy).expect("deletes");
    live.wait_for(&[], std::slice::from_ref(&copy));
    assert_eq!(live.counts(), (1, 1));
    std::fs::remove_file(trip2.join("moved.png")).expect("deletes");
    live.wait_for(&[], &[trip2.join("moved.png")]);
    assert_eq!(live.counts(), (0, 0));
    assert!(
        live.library
            .store()
            .nearest(&ModelKey::of(live.model.as_ref()), &[0.5, 0.5, 0.5, 0.5], 10, None)
            .expect("searches")
            .is_empty()
    );

    // A delete followed later by a create of the same bytes is a move: no embedding.
    distinct_png(&a.join("back.png"), 2);
    live.wait_for(&[a.join("back.png")], &[]);
    assert_eq!((live.embeddings(), live.model.calls()), (2, 2));
    assert_eq!(
        live.library
            .store()
            .nearest(&ModelKey::of(live.model.as_ref()), &[0.5, 0.5, 0.5, 0.5], 10, None)
            .expect("searches")
            .len(),
        1
    );
}

#[test]
fn a_file_written_slowly_is_embedded_once_when_complete() {
    let root = tempfile::tempdir().expect("tmp");
    let root = root.path().canonicalize().expect("abs");
    let live = Live::start(&[&root]);
    let staged = tempfile::tempdir().expect("tmp");
    let source = staged.path().join("big.png");
    let mut noise = image::RgbImage::new(200, 200);
    noise
        .pixels_mut()
        .enumerate()
        .for_each(|(i, p)| p.0 = [(i * 7) as u8, (i * 13 / 7) as u8, (i % 251) as u8]);
    noise.save(&source).expect("writes");
    let bytes = std::fs::read(&source).expect("reads");

    let target = root.join("slow.png");
    let mut file = std::fs::File::create(&target).expect("creates");
    for chunk in bytes.chunks(bytes.len().div_ceil(15)) {
        file.write_all(chunk).expect("writes");
        file.flush().expect("flushes");
        std::thread::sleep(Duration::from_millis(120));
    }
    drop(file);
    live.wait_for(std::slice::from_ref(&target), &[]);
    assert_eq!(live.model.calls(), 1, "embedded once, after the last chunk");
    let entry = live.library.store().path_entry(&target).expect("reads").expect("indexed");
    assert_eq!(entry.size, bytes.len() as u64);
    assert!(live.library.store().failures().expect("reads").is_empty());
}

#[test]
fn an_unplugged_root_stays_in_the_index_and_comes_back_without_embeddings() {
    let drive = tempfile::tempdir().expect("tmp");
    let mount = drive.path().canonicalize().expect("abs").join("photos");
    std::fs::create_dir(&mount).expect("mkdir");
    let photos: Vec<PathBuf> =
        (0..3).map(|i| distinct_png(&mount.join(format!("{i}.png")), 100 + i)).collect();
    let live = Live::start(&[&mount]);
    assert_eq!((live.embeddings(), live.counts()), (3, (3, 3)));

    let away = drive.path().join("unplugged");
    std::fs::rename(&mount, &away).expect("unplugs");
    live.wait(
        "the root to go offline",
        |e| matches!(e, Event::Root(r) if r.path == mount && r.state == RootState::Offline),
    );
    assert_eq!(live.counts(), (3, 3), "an unplugged drive is not a deletion");
    assert!(photos.iter().all(|p| live.indexed(p)));

    std::fs::rename(&away, &mount).expect("plugs back");
    live.wait(
        "the root to be watched again",
        |e| matches!(e, Event::Root(r) if r.path == mount && r.state == RootState::Watching),
    );
    assert_eq!((live.embeddings(), live.model.calls(), live.counts()), (3, 3, (3, 3)));

    // And it is watched again.
    let new = distinct_png(&mount.join("new.png"), 200);
    live.wait_for(&[new], &[]);
    assert_eq!(live.embeddings(), 4);
}

#[test]
fn a_thousand_renames_compute_no_embeddings() {
    let root = tempfile::tempdir().expect("tmp");
    let root = root.path().canonicalize().expect("abs");
    let before: Vec<PathBuf> =
        (0..1000).map(|i| distinct_png(&root.join(format!("img-{i:04}.png")), i)).collect();
    let live = Live::start(&[&root]);
    assert_eq!((live.model.calls(), live.counts()), (1000, (1000, 1000)));

    let after: Vec<PathBuf> = (0..1000).map(|i| root.join(format!("renamed-{i:04}.png"))).collect();
    for (from, to) in before.iter().zip(&after) {
        std::fs::rename(from, to).expect("renames");
    }
    live.wait_for(&after, &before);
    assert_eq!((live.model.calls(), live.embeddings()), (1000, 1000), "renames computed nothing");
    assert_eq!(live.counts(), (1000, 1000));
}

#[test]
fn ten_thousand_files_copied_in_at_once_are_each_embedded_once() {
    let staged = tempfile::tempdir().expect("tmp");
    let sources: Vec<PathBuf> =
        (0..10_000).map(|i| distinct_png(&staged.path().join(format!("{i:05}.png")), 5000 + i)).collect();
    let root = tempfile::tempdir().expect("tmp");
    let root = root.path().canonicalize().expect("abs");
    let live = Live::start(&[&root]);

    let targets: Vec<PathBuf> = sources
        .iter()
        .enumerate()
        .map(|(i, source)| {
            let dir = root.join(format!("roll-{}", i / 1000));
            std::fs::create_dir_all(&dir).expect("mkdir");
            let target = dir.join(source.file_name().expect("name"));
            std::fs::copy(source, &target).expect("copies");
            target
        })
        .collect();
    live.wait_for(&targets, &[]);
    assert_eq!(live.model.calls(), 10_000, "each file embedded exactly once");
    assert_eq!(live.counts(), (10_000, 10_000));
    let peak = peak_rss_mib();
    assert!(peak < 1024, "peak RSS {peak} MiB");
}

#[test]
fn a_paused_service_notes_changes_and_catches_up_on_resume() {
    let root = tempfile::tempdir().expect("tmp");
    let root = root.path().canonicalize().expect("abs");
    let live = Live::start(&[&root]);
    live.control.pause();
    let photo = distinct_png(&root.join("while-paused.png"), 7);
    // Past debounce and settle, nothing may be committed while paused.
    let quiet_until = Instant::now() + Duration::from_secs(3);
    while let Some(left) = quiet_until.checked_duration_since(Instant::now()) {
        match live.events.recv_timeout(left) {
            Ok(Event::Index(index::Event::Committed { paths })) => {
                panic!("committed while paused: {paths:?}")
            }
            Ok(_) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => panic!("the service stopped"),
        }
    }
    assert!(!live.indexed(&photo));
    live.control.resume();
    live.wait_for(&[photo], &[]);
    assert_eq!(live.model.calls(), 1);
}

/// This process's peak resident memory, MiB (0 where /proc is missing).
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("VmHWM: 0 kB");
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).unwrap_or(0) / 1024
}

#[test]
fn a_link_leading_out_of_the_root_is_reported_and_never_followed() {
    // Regression: links were followed, so `root/x -> /` walked /proc and /sys
    // and indexed files outside every root.
    let (root, outside) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    let (root, outside) =
        (root.path().canonicalize().expect("abs"), outside.path().canonicalize().expect("abs"));
    distinct_png(&outside.join("secret.png"), 40);
    let live = Live::start(&[&root]);
    let link = root.join("elsewhere");
    std::os::unix::fs::symlink(&outside, &link).expect("links");
    let marker = distinct_png(&root.join("after.png"), 41);
    let mut reported = false;
    live.wait("the link reported and the next photo committed", |event| {
        match event {
            Event::Index(index::Event::Failed(f)) if f.path == link => {
                assert!(f.reason.contains("outside your photo folders"), "{}", f.reason);
                reported = true;
            }
            Event::Index(index::Event::Failed(f)) => panic!("unexpected failure: {f:?}"),
            _ => {}
        }
        reported && live_indexed(&live, &marker)
    });
    // Written through the link after it is there: still never indexed.
    distinct_png(&link.join("later.png"), 42);
    let after = distinct_png(&root.join("after-2.png"), 43);
    live.wait_for(std::slice::from_ref(&after), &[]);
    assert!(!live.indexed(&link.join("secret.png")) && !live.indexed(&outside.join("secret.png")));
    assert!(!live.indexed(&link.join("later.png")) && !live.indexed(&outside.join("later.png")));
    assert_eq!(live.counts(), (2, 2), "only the two photos inside the root");
}

fn live_indexed(live: &Live, path: &Path) -> bool {
    live.indexed(path)
}

#[test]
fn a_new_folder_is_indexed_and_then_the_service_goes_quiet() {
    // Regression: listing a new folder opened it, the open was taken as a
    // change, and the folder was listed again every second, forever.
    let root = tempfile::tempdir().expect("tmp");
    let root = root.path().canonicalize().expect("abs");
    let live = Live::start(&[&root]);
    let folder = root.join("2024");
    std::fs::create_dir(&folder).expect("mkdir");
    let photos: Vec<PathBuf> =
        (0..20).map(|i| distinct_png(&folder.join(format!("{i}.png")), 60 + i)).collect();
    live.wait_for(&photos, &[]);
    live.wait("idle after the new folder", |e| matches!(e, Event::Idle { .. }));
    let quiet_until = Instant::now() + Duration::from_secs(4);
    while let Some(left) = quiet_until.checked_duration_since(Instant::now()) {
        match live.events.recv_timeout(left) {
            Ok(Event::Index(index::Event::Progress(p))) => panic!("still working while idle: {p:?}"),
            Ok(_) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => panic!("the service stopped"),
        }
    }
}

#[test]
fn an_indexed_library_at_rest_costs_no_store_reads_and_no_scans() {
    // Regression (#15): at rest over an indexed library the service re-read
    // the roots from the store every second, and (before that) took its own
    // walk's opens for changes and walked again, forever: 93 % of a core at
    // 100,000 photos. Idle must do nothing.
    let root = tempfile::tempdir().expect("tmp");
    let root = root.path().canonicalize().expect("abs");
    for i in 0..2000u32 {
        let folder = root.join(format!("{}", 2010 + i % 15)).join(format!("{:02}", 1 + i % 12));
        std::fs::create_dir_all(&folder).expect("mkdir");
        distinct_png(&folder.join(format!("IMG_{i:05}.png")), i as usize);
    }
    let live = Live::start(&[&root]);
    assert_eq!(live.counts().0, 2000);
    let reads = live.library.store().reads();
    // Three root checks (one a second) and notify's own debounce rounds.
    let quiet_until = Instant::now() + Duration::from_secs(3);
    while let Some(left) = quiet_until.checked_duration_since(Instant::now()) {
        match live.events.recv_timeout(left) {
            Ok(Event::Index(event)) => panic!("indexing while idle: {event:?}"),
            Ok(_) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => panic!("the service stopped"),
        }
    }
    assert_eq!(live.library.store().reads() - reads, 0, "store reads while idle");
}
