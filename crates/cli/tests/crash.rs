//! Crash safety: `photofind index` is SIGKILLed at random moments, again and
//! again. After every kill the index opens, every photo the run reported as
//! committed is searchable, and the next run embeds only what was not
//! committed.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use photofind_core::store::{Error, ModelKey, Store};
use serde_json::Value;

const PHOTOS: usize = 240;
const KILLS: usize = 12;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// `PHOTOS` distinct files: fixture photos with a few unique bytes after
/// their end marker (decoders ignore them; the content hash does not).
fn make_photos(dir: &Path) {
    let sources = ["rocket.jpg", "coffee-small.png", "hubble-tall.jpg", "camera.png"];
    for i in 0..PHOTOS {
        let source = sources[i % sources.len()];
        let mut bytes = std::fs::read(fixtures().join("photos").join(source)).expect("fixture");
        bytes.extend_from_slice(format!("photofind-crash-test-{i}").as_bytes());
        let ext = Path::new(source).extension().expect("ext").to_string_lossy();
        std::fs::write(dir.join(format!("{i:04}.{ext}")), bytes).expect("write");
    }
}

/// A small deterministic random sequence (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// When to kill a run: after its `events`-th event (progress or commit),
/// plus `between` of the gap that led up to that event. Both are tied to
/// the run's own pace, never to a clock, so a kill lands mid-run on a fast
/// machine as on a slow one, anywhere between two events (inside a commit
/// too).
#[derive(Debug, Clone, Copy)]
struct Moment {
    events: usize,
    between: f64,
}

/// The longest a kill waits after its event: a run that ends (or hangs)
/// right after it is still killed soon.
const MOST_WAIT: Duration = Duration::from_millis(250);

/// Starts an index run, kills it at `moment`, and returns the paths it
/// reported as committed.
fn index_and_kill(data: &Path, root: &Path, moment: Moment) -> BTreeSet<PathBuf> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_photofind"))
        .args(["index", "--json", "--commit-every", "3"])
        .arg(root)
        .env("PHOTOFIND_MODEL", fixtures().join("models/tiny-p32-quickgelu"))
        .env("PHOTOFIND_DATA_DIR", data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("photofind starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel::<Value>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str(&line).expect("a JSON event"));
        }
    });
    let mut events = Vec::new();
    let (mut last, mut gap) = (Instant::now(), Duration::ZERO);
    while events.len() < moment.events {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(event) => {
                events.push(event);
                (gap, last) = (last.elapsed(), Instant::now());
            }
            Err(_) => break, // the run ended (or hangs: the checks below tell)
        }
    }
    std::thread::sleep(gap.mul_f64(moment.between).min(MOST_WAIT));
    child.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
    child.wait().expect("reaped");
    reader.join().expect("reader");
    events.extend(rx.try_iter());
    events
        .iter()
        .filter(|e| e["event"] == "committed")
        .flat_map(|e| e["paths"].as_array().expect("paths").clone())
        .map(|p| PathBuf::from(p.as_str().expect("path")))
        .collect()
}

fn model() -> ModelKey {
    ModelKey { id: "tiny-p32-quickgelu".into(), dims: 32 }
}

/// Every path in the index under `root`.
fn stored_paths(store: &Store, root: &Path) -> BTreeSet<PathBuf> {
    let mut paths = BTreeSet::new();
    store
        .for_each_path_in::<Error>(root, |path, _| {
            paths.insert(path.to_owned());
            Ok(())
        })
        .expect("iterates");
    paths
}

fn assert_searchable(store: &Store, path: &Path) {
    let entry = store.path_entry(path).expect("reads").unwrap_or_else(|| panic!("{} lost", path.display()));
    let vector = store.vector(&model(), entry.id).expect("reads").expect("has a vector");
    let hits = store.nearest(&model(), &vector, 1, None).expect("searches");
    assert!(hits[0].score > 0.9999, "{}: {hits:?}", path.display());
}

#[test]
fn sigkill_at_random_moments_loses_nothing_committed_and_redoes_nothing() {
    let photos = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    make_photos(photos.path());
    let root = photos.path().canonicalize().expect("canonical");
    let mut rng = Rng(0x5eed_1234_abcd);
    let mut before = BTreeSet::new();
    let (mut killed_mid_run, mut advanced) = (0, 0);
    for kill in 0..KILLS {
        let moment = Moment { events: 1 + rng.below(6) as usize, between: rng.below(1000) as f64 / 1000.0 };
        let committed = index_and_kill(data.path(), &root, moment);
        let store = Store::open(&data.path().join("index"), Some(&model()))
            .unwrap_or_else(|e| panic!("kill {kill} at {moment:?}: the index does not open: {e}"));
        let redone: Vec<_> = committed.intersection(&before).collect();
        assert!(redone.is_empty(), "kill {kill}: embedded again what was committed: {redone:?}");
        for path in &committed {
            assert_searchable(&store, path);
        }
        let now = stored_paths(&store, &root);
        assert!(now.is_superset(&before), "kill {kill}: committed photos disappeared");
        for path in &now {
            assert_searchable(&store, path);
        }
        eprintln!("kill {kill} at {moment:?}: {} of {PHOTOS} photos committed", now.len());
        killed_mid_run += usize::from(now.len() < PHOTOS);
        advanced += usize::from(now.len() > before.len());
        before = now;
    }
    assert!(
        killed_mid_run >= 10,
        "only {killed_mid_run} kills landed before the end; kill after fewer events"
    );
    assert!(advanced >= 5, "only {advanced} runs committed anything before the kill; let them run longer");
    // A last run to the end embeds exactly what is missing.
    let out = Command::new(env!("CARGO_BIN_EXE_photofind"))
        .args(["index", "--json"])
        .arg(&root)
        .env("PHOTOFIND_MODEL", fixtures().join("models/tiny-p32-quickgelu"))
        .env("PHOTOFIND_DATA_DIR", data.path())
        .output()
        .expect("runs");
    let last: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().expect("summary"))
            .expect("json");
    let progress = &last["summary"]["progress"];
    assert_eq!(progress["unchanged"].as_u64(), Some(before.len() as u64), "{last}");
    assert_eq!(progress["embedded"].as_u64(), Some((PHOTOS - before.len()) as u64), "{last}");
    assert_eq!(progress["failed"], 0);
}
