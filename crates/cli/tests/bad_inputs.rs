//! A messy folder, made by `scripts/make-bad-corpus`: every bad file is
//! recorded with its reason, nothing panics, the good files are indexed,
//! and a second run retries none of the failures (they have not changed).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use photofind_core::store::{Failure, ModelKey, Store};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn index(data: &Path, root: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photofind"))
        .args(["index", "--json"])
        .arg(root)
        .env("PHOTOFIND_MODEL", repo().join("tests/fixtures/models/tiny-p32-quickgelu"))
        .env("PHOTOFIND_DATA_DIR", data)
        .output()
        .expect("photofind runs")
}

fn summary(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let last: Value = serde_json::from_str(text.lines().last().expect("a summary")).expect("json");
    last["summary"].clone()
}

#[test]
fn bad_files_are_recorded_with_a_reason_and_good_ones_indexed() {
    let corpus = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let made = Command::new("python3")
        .arg(repo().join("scripts/make-bad-corpus"))
        .arg(corpus.path())
        .status()
        .expect("python3 runs the corpus script");
    assert!(made.success());
    let root = corpus.path().canonicalize().expect("canonical");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(root.join("manifest.json")).expect("manifest")).expect("json");

    let first = index(data.path(), &root);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(first.status.code(), Some(1), "some files failed: {stderr}");

    let store = Store::open(
        &data.path().join("index"),
        Some(&ModelKey { id: "tiny-p32-quickgelu".into(), dims: 32 }),
    )
    .expect("opens");
    let failures = store.failures().expect("reads");
    let failure = |path: &Path| failures.iter().find(|f| f.path == path);
    let indexed = |path: &Path| store.path_entry(path).expect("reads").is_some();
    for file in manifest["files"].as_array().expect("files") {
        let path = root.join(file["path"].as_str().expect("path"));
        let expect = file["expect"].as_str().expect("expect");
        let reason = file["reason_contains"].as_str().unwrap_or("");
        let has_reason = |f: Option<&Failure>| f.is_some_and(|f| f.reason.to_lowercase().contains(reason));
        let ok = match expect {
            "indexed" => indexed(&path) && failure(&path).is_none(),
            "error" | "unsupported" => has_reason(failure(&path)) && !indexed(&path),
            "ignored" => !indexed(&path) && failure(&path).is_none(),
            // Root reads a mode-000 file; anyone else gets "permission denied".
            "unreadable-unless-root" if std::fs::read(&path).is_ok() => indexed(&path),
            "unreadable-unless-root" => has_reason(failure(&path)),
            other => panic!("unknown expectation {other}"),
        };
        assert!(ok, "{}: expected {expect} {reason:?}; failure {:?}", path.display(), failure(&path));
    }
    // `loop/self -> ..` leads back into the root: links are never followed,
    // and one whose target is inside the library is not even reported (the
    // target is indexed under its real path), so the walk simply ends.
    let looped = root.join(manifest["symlink_loop"].as_str().expect("loop"));
    assert!(!failures.iter().any(|f| f.path.starts_with(&looped)), "{failures:?}");
    drop(store);

    let second = summary(&index(data.path(), &root));
    assert_eq!(second["progress"]["failed"], 0, "failures are not retried until the file changes: {second}");
    assert_eq!(second["progress"]["embedded"], 0, "{second}");
}
