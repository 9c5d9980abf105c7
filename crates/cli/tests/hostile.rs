//! A hostile library, made by `scripts/make-hostile-tree` (small version):
//! names that are not UTF-8, with newlines, `: ` and leading dashes; links to
//! `/`, to a folder outside the library and in a loop; a FIFO named
//! `photo.jpg`; a sparse 20 GiB `video.jpg`; a big 16-bit PNG; empty files.
//! `photofind index` finishes and exits 1, every good photo is indexed under
//! its exact bytes and found by its own image, every bad one is recorded
//! with its reason, and nothing outside the root is read.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use photofind_core::store::Store;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn photofind(data: &Path, args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photofind"))
        .args(args)
        .env("PHOTOFIND_MODEL", repo().join("tests/fixtures/models/tiny-p32-quickgelu"))
        .env("PHOTOFIND_DATA_DIR", data)
        .output()
        .expect("photofind runs")
}

fn name_of(file: &Value) -> OsString {
    let b64 = file["name_b64"].as_str().expect("name");
    OsString::from_vec(STANDARD.decode(b64).expect("base64"))
}

#[test]
fn a_hostile_library_indexes_what_it_can_and_reports_the_rest() {
    let tree = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let made = Command::new("python3")
        .arg(repo().join("scripts/make-hostile-tree"))
        .arg(tree.path())
        .args(["--empties", "300", "--big-png", "6600", "--sparse-gb", "20"])
        .status()
        .expect("python3 runs the tree script");
    assert!(made.success());
    let out = tree.path().canonicalize().expect("canonical");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest")).expect("json");
    let root = out.join("library");
    let outside = out.join("outside");

    let run = photofind(data.path(), &["index".as_ref(), "--json".as_ref(), root.as_os_str()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(run.status.code(), Some(1), "some files failed, the run finished: {stderr}");

    let store = Store::open_read(&data.path().join("index")).expect("the index opens");
    let failures = store.failures().expect("reads");
    for file in manifest["files"].as_array().expect("files") {
        let path = root.join(name_of(file));
        let reason = file["reason_contains"].as_str().unwrap_or("");
        let failure = failures.iter().find(|f| f.path == path);
        let indexed = store.path_entry(&path).expect("reads").is_some();
        let why = || format!("{}: {file}; failure {failure:?}", path.display());
        match file["expect"].as_str().expect("expect") {
            "indexed" => assert!(indexed && failure.is_none(), "{}", why()),
            "error" | "skipped" => {
                assert!(!indexed, "{}", why());
                assert!(failure.is_some_and(|f| f.reason.to_lowercase().contains(reason)), "{}", why());
            }
            "ignored" => assert!(!indexed && failure.is_none(), "{}", why()),
            other => panic!("unknown expectation {other}"),
        }
    }
    for (key, entry) in paths_of(&store) {
        assert!(key.starts_with(&root), "{} is outside the library ({entry})", key.display());
    }
    assert!(failures.iter().all(|f| f.path.starts_with(&root)), "{failures:?}");
    assert!(failures.iter().all(|f| !f.path.starts_with(&outside)));

    // A photo whose name is not UTF-8 is found by its own image, and its
    // JSON path carries the exact bytes.
    let latin1 = root.join(std::ffi::OsStr::from_bytes(b"bad\xffname.jpg"));
    let found = photofind(
        data.path(),
        &["search".as_ref(), "--json".as_ref(), "--image".as_ref(), latin1.as_os_str()],
    );
    assert!(found.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&found.stderr));
    let hits: Value = serde_json::from_slice(&found.stdout).expect("json hits");
    let first = &hits[0]["path"];
    let bytes =
        STANDARD.decode(first["bytes"].as_str().expect("a non-UTF-8 path is given as bytes")).expect("b64");
    assert_eq!(bytes, latin1.as_os_str().as_bytes(), "{first}");
    assert!(first["lossy"].as_str().is_some_and(|l| l.ends_with("bad\u{fffd}name.jpg")), "{first}");

    // status --errors pages: 300 empty files and more, 10 shown, the total said.
    let status = photofind(
        data.path(),
        &["status".as_ref(), "--json".as_ref(), "--errors".as_ref(), "--limit".as_ref(), "10".as_ref()],
    );
    let status: Value = serde_json::from_slice(&status.stdout).expect("status json");
    assert_eq!(status["failures"]["failures"].as_array().map(Vec::len), Some(10), "{status}");
    assert!(status["failures"]["total"].as_u64().is_some_and(|t| t >= 305), "{status}");

    // A second run reads nothing again and still finishes.
    drop(store);
    let again = photofind(data.path(), &["index".as_ref(), "--json".as_ref()]);
    let text = String::from_utf8_lossy(&again.stdout);
    let summary: Value = serde_json::from_str(text.lines().last().expect("a summary")).expect("json");
    assert_eq!(summary["summary"]["progress"]["embedded"], 0, "{summary}");
    assert_eq!(summary["summary"]["progress"]["failed"], 0, "failures are not retried: {summary}");
}

/// Every indexed path, with its entry.
fn paths_of(store: &Store) -> Vec<(PathBuf, String)> {
    let mut all = Vec::new();
    store
        .for_each_path_in::<photofind_core::store::Error>(Path::new("/"), |path, entry| {
            all.push((path.to_owned(), format!("{entry:?}")));
            Ok(())
        })
        .expect("reads");
    all
}
