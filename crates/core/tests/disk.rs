//! The store survives its disk: a damaged `data.mdb` is refused with the
//! file named (never a crash), a read-only data dir still searches, and a
//! disk that fills during a commit loses that batch only. The last two need
//! a filesystem of their own (a small tmpfs), so they run as root and say
//! they were skipped otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use photofind_core::store::{Change, Embedded, Error, ModelKey, Store};

const DIMS: usize = 512;

fn model() -> ModelKey {
    ModelKey { id: "tiny".into(), dims: DIMS }
}

/// Photo `n`: distinct bytes, path and vector.
fn photo(n: u32) -> Change {
    let mut hash = [0u8; 32];
    hash[..4].copy_from_slice(&n.to_be_bytes());
    let mut vector = vec![0.0f32; DIMS];
    vector[n as usize % DIMS] = 1.0;
    vector[(n as usize / DIMS + 1) % DIMS] += 0.5;
    Change::Embedded(Embedded {
        hash,
        path: PathBuf::from(format!("/photos/{n:06}.jpg")),
        size: 1000,
        modified: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        dimensions: (640, 480),
        format: "jpeg".into(),
        captured: None,
        model: model(),
        vector,
    })
}

fn batch(from: u32, n: u32) -> Vec<Change> {
    (from..from + n).map(photo).collect()
}

fn filled(dir: &Path, photos: u32) -> Store {
    let store = Store::open(dir, Some(&model())).expect("opens");
    store.commit(&batch(0, photos), 7).expect("commits");
    store
}

#[test]
fn a_truncated_index_is_refused_with_the_file_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(filled(dir.path(), 300));
    let file = dir.path().join("data.mdb");
    let len = std::fs::metadata(&file).expect("stat").len();
    std::fs::OpenOptions::new().write(true).open(&file).expect("opens").set_len(len / 2).expect("truncates");
    for err in [Store::open(dir.path(), None).err(), Store::open_read(dir.path()).err()] {
        let err = err.expect("refused, not mapped");
        assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&file.display().to_string()) && text.contains("truncated"), "{text}");
    }
}

#[test]
fn garbage_in_place_of_the_index_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage: Vec<u8> = (0..65536u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(dir.path().join("data.mdb"), garbage).expect("writes");
    let err = Store::open(dir.path(), None).err().expect("refused");
    assert!(err.to_string().contains("not a photofind index"), "{err}");
}

#[test]
fn opening_to_read_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(filled(dir.path(), 10));
    let file = dir.path().join("data.mdb");
    let before = std::fs::read(&file).expect("reads");
    let store = Store::open_read(dir.path()).expect("opens to read");
    let query = {
        let Change::Embedded(e) = photo(3) else { unreachable!() };
        e.vector
    };
    assert_eq!(store.nearest(&model(), &query, 1, None).expect("searches")[0].id, 3);
    drop(store);
    assert_eq!(std::fs::read(&file).expect("reads"), before, "a read-only open changed the index");
}

/// A tmpfs of `size` mounted on a fresh folder, unmounted when dropped;
/// `None` (the test is skipped) where this process may not mount.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Self(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn remount_read_only(&self) -> bool {
        Command::new("mount").args(["-o", "remount,ro"]).arg(self.path()).status().is_ok_and(|s| s.success())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.path()).status();
    }
}

#[test]
fn a_read_only_data_dir_still_searches() {
    let Some(disk) = Tmpfs::mount("16m") else { return };
    let index = disk.path().join("index");
    drop(filled(&index, 50));
    assert!(disk.remount_read_only(), "remounts read-only");
    let store = Store::open_read(&index).expect("a read-only disk opens to read");
    let query = {
        let Change::Embedded(e) = photo(7) else { unreachable!() };
        e.vector
    };
    assert_eq!(store.nearest(&model(), &query, 1, None).expect("searches")[0].id, 7);
    assert_eq!(store.stats().expect("stats").photos, 50);
}

#[test]
fn a_full_disk_loses_only_the_batch_in_flight() {
    let Some(disk) = Tmpfs::mount("3m") else { return };
    let index = disk.path().join("index");
    let store = Store::open(&index, Some(&model())).expect("opens");
    let (mut committed, mut failed) = (0u32, None);
    for round in 0..200 {
        match store.commit(&batch(committed, 64), round) {
            Ok(_) => committed += 64,
            Err(err) => {
                failed = Some(err);
                break;
            }
        }
    }
    let err = failed.expect("a 3 MiB disk fills");
    assert!(err.is_disk_full(), "{err:?}");
    assert!(committed > 0, "some batches landed first");
    drop(store);
    let reopened = Store::open(&index, Some(&model())).expect("the index opens after a full disk");
    assert_eq!(
        reopened.stats().expect("stats").photos,
        u64::from(committed),
        "exactly the committed batches"
    );
    let query = {
        let Change::Embedded(e) = photo(committed - 1) else { unreachable!() };
        e.vector
    };
    assert_eq!(reopened.nearest(&model(), &query, 1, None).expect("searches")[0].id, committed - 1);
}
