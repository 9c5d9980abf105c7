//! Switching models from the command line, with the two fixture checkpoints
//! installed: `model use` on a library with photos starts a switch; search
//! keeps the current model's index until `index` has filled the new one,
//! then uses the new one; the old index goes only on `model drop`. Searches
//! that run while the new index fills all answer, each exactly as one of
//! the two models would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const OLD: &str = "tiny-p32-quickgelu";
const NEW: &str = "tiny-p16-gelu";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn photofind(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_photofind"));
    command.env_remove("PHOTOFIND_MODEL").env("PHOTOFIND_DATA_DIR", data);
    command
}

fn run(data: &Path, args: &[&str]) -> Output {
    photofind(data).args(args).output().expect("photofind runs")
}

fn ok(out: Output) -> (String, String) {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stderr}");
    (stdout, stderr)
}

/// Installs a fixture checkpoint as if `photofind model fetch` had.
fn install(data: &Path, id: &str) -> PathBuf {
    let dir = data.join("models").join(id);
    std::fs::create_dir_all(&dir).expect("model dir");
    for entry in std::fs::read_dir(fixtures().join("models").join(id)).expect("fixture") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copies");
    }
    std::fs::write(dir.join("manifest.toml"), format!("id = \"{id}\"\n")).expect("manifest");
    dir
}

/// The answer to the test's query, as (score, path) pairs, best first
/// (photos with equal scores in path order: ties may come back either way).
fn answer(stdout: &str) -> Vec<(String, String)> {
    let hits: serde_json::Value = serde_json::from_str(stdout).expect("JSON");
    let hits = hits.as_array().expect("array");
    let mut pairs: Vec<(String, String)> = hits
        .iter()
        .map(|h| (format!("{:.5}", 1.0 - h["score"].as_f64().unwrap_or(9.0)), h["path"].to_string()))
        .collect();
    pairs.sort();
    pairs
}

fn search_with(data: &Path, model: Option<&Path>) -> Vec<(String, String)> {
    let mut command = photofind(data);
    command.args(["search", "--json"]);
    if let Some(model) = model {
        command.arg("--model").arg(model);
    }
    let out = command.arg("a photo of a cat").output().expect("runs");
    // A search answers (exit 0), or answers "no good match" (exit 1); never fails.
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&out.stderr));
    answer(&String::from_utf8_lossy(&out.stdout))
}

fn status(data: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(run(data, &["status", "--json"])).0).expect("JSON")
}

#[test]
fn a_switch_fills_the_new_index_while_search_keeps_the_old_one_then_moves_over() {
    let (data, photos) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    let data = data.path();
    for dir in ["photos", "photos/variants"] {
        for entry in std::fs::read_dir(fixtures().join(dir)).expect("fixtures") {
            let path = entry.expect("entry").path();
            if path.is_file() && path.extension().is_none_or(|e| e != "md") {
                let name = format!(
                    "{}-{}",
                    dir.replace('/', "-"),
                    path.file_name().expect("name").to_string_lossy()
                );
                std::fs::copy(&path, photos.path().join(name)).expect("copies");
            }
        }
    }
    let (old_dir, new_dir) = (install(data, OLD), install(data, NEW));
    let (_, said) = ok(run(data, &["model", "use", OLD]));
    assert!(said.contains(&format!("using {OLD}")), "an empty library switches at once: {said}");
    ok(run(data, &["index", photos.path().to_str().expect("utf-8")]));
    let photo_count = status(data)["photos"].as_u64().expect("count");

    // A library with photos: the switch waits for the new index.
    let (_, said) = ok(run(data, &["model", "use", NEW]));
    assert!(
        said.contains(&format!("switching to {NEW}")) && said.contains(&format!("0 of {photo_count}")),
        "{said}"
    );
    let switch = &status(data)["switch"];
    assert_eq!((switch["from"].as_str(), switch["to"].as_str()), (Some(OLD), Some(NEW)));
    let with_old = search_with(data, Some(&old_dir));
    assert!(search_with(data, Some(&new_dir)).is_empty(), "the new model has no vectors yet");
    assert_eq!(search_with(data, None), with_old, "search keeps the old model meanwhile");

    // `index` fills the new index while searches run; each answers as exactly one model would.
    let mut index = photofind(data).args(["index", "--json"]).stdout(Stdio::piped()).spawn().expect("index");
    let mut answers = Vec::new();
    while index.try_wait().expect("polls").is_none() {
        answers.push(search_with(data, None));
    }
    let out = index.wait_with_output().expect("index ends");
    assert!(out.status.success());
    let events = String::from_utf8_lossy(&out.stdout);
    assert!(events.contains(&format!(r#"{{"event":"switched","model":"{NEW}"}}"#)), "{events}");
    answers.push(search_with(data, None));
    let with_new = search_with(data, Some(&new_dir));
    assert_eq!(with_new.len(), with_old.len());
    assert_ne!(with_old, with_new, "the two models score differently");
    for answer in &answers {
        assert!(*answer == with_old || *answer == with_new, "an answer from neither model alone: {answer:?}");
    }
    assert_eq!(answers.last(), Some(&with_new), "search uses the new model once it covers the library");
    assert_eq!(ok(run(data, &["model", "path"])).0.trim(), new_dir.to_str().expect("utf-8"));
    assert!(status(data).get("switch").is_none());

    // Both indexes stay until one is dropped; the one in use cannot be.
    let models = status(data)["models"].as_array().expect("models").len();
    assert_eq!(models, 2);
    let refused = run(data, &["model", "drop", NEW]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("in use"));
    let (_, said) = ok(run(data, &["model", "drop", OLD]));
    assert!(said.contains(&format!("dropped the index of {OLD} ({photo_count} vectors)")), "{said}");
    assert_eq!(status(data)["models"].as_array().expect("models").len(), 1);
    assert_eq!(search_with(data, None), with_new);
}

#[test]
fn use_now_switches_at_once_and_index_embeds_the_rest() {
    let (data, photos) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    let data = data.path();
    for name in ["cat.png", "rocket.jpg", "coffee.png"] {
        std::fs::copy(fixtures().join("photos").join(name), photos.path().join(name)).expect("copies");
    }
    install(data, OLD);
    install(data, NEW);
    ok(run(data, &["model", "use", OLD]));
    ok(run(data, &["index", photos.path().to_str().expect("utf-8")]));
    let (_, said) = ok(run(data, &["model", "use", NEW, "--now"]));
    assert!(said.contains(&format!("using {NEW}")) && said.contains("0 of 3"), "{said}");
    assert!(search_with(data, None).is_empty(), "nothing embedded with the new model yet");
    ok(run(data, &["index"]));
    assert_eq!(search_with(data, None).len(), 3);
}
