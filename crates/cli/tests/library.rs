//! `photofind index / search / status / roots` end to end, on a folder of
//! real photos and the tiny fixture checkpoint (whose reference vectors,
//! computed by transformers, say what the rankings must be).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// The distinct photos of the fixture folder (the variants are the same
/// pictures re-encoded).
const PHOTOS: [&str; 8] = [
    "astronaut.png",
    "camera.png",
    "cat.png",
    "coffee.png",
    "coffee-small.png",
    "hubble-tall.jpg",
    "hubble_deep_field.jpg",
    "rocket.jpg",
];

/// A library in a temp data dir over a temp copy of the fixture photos.
struct Lib {
    data: tempfile::TempDir,
    photos: tempfile::TempDir,
}

impl Lib {
    fn new() -> Self {
        let lib = Lib {
            data: tempfile::tempdir().expect("tempdir"),
            photos: tempfile::tempdir().expect("tempdir"),
        };
        for name in PHOTOS {
            std::fs::copy(fixtures().join("photos").join(name), lib.photos.path().join(name)).expect("copy");
        }
        lib
    }

    fn root(&self) -> PathBuf {
        self.photos.path().canonicalize().expect("canonical")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_photofind"))
            .args(args)
            .env("PHOTOFIND_MODEL", fixtures().join("models/tiny-p32-quickgelu"))
            .env("PHOTOFIND_DATA_DIR", self.data.path())
            .output()
            .expect("photofind runs")
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    fn index(&self) -> Value {
        let root = self.root();
        let out = self.run(&["index", "--json", root.to_str().expect("utf-8")]);
        let summary = json_lines(&out).pop().expect("a summary line");
        assert_eq!(summary["event"], "summary", "{summary}");
        summary["summary"].clone()
    }

    fn search(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["search", "--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).expect("json").as_array().expect("array").clone()
    }

    fn status(&self) -> Value {
        serde_json::from_slice(&self.ok(&["status", "--json", "--errors"]).stdout).expect("json")
    }
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn names(hits: &[Value]) -> Vec<String> {
    hits.iter().map(|h| file_name(h["path"].as_str().expect("path"))).collect()
}

fn file_name(path: &str) -> String {
    Path::new(path).file_name().expect("name").to_string_lossy().into_owned()
}

fn reference() -> Value {
    let path = fixtures().join("reference/tiny-p32-quickgelu.json");
    serde_json::from_slice(&std::fs::read(path).expect("reference")).expect("json")
}

fn vector(entry: &Value) -> Vec<f64> {
    entry["vector"].as_array().expect("vector").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn text_vector(reference: &Value, text: &str) -> Vec<f64> {
    vector(reference["texts"].as_array().expect("texts").iter().find(|e| e["text"] == text).expect("text"))
}

fn image_vector(reference: &Value, name: &str) -> Vec<f64> {
    let file = format!("photos/{name}");
    vector(reference["images"].as_array().expect("images").iter().find(|e| e["file"] == file).expect("image"))
}

fn normalized(v: Vec<f64>) -> Vec<f64> {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The fixture photos ranked by the reference vectors against `query`.
fn reference_ranking(query: &[f64]) -> Vec<(String, f64)> {
    let reference = reference();
    let query = normalized(query.to_vec());
    let mut ranked: Vec<(String, f64)> = PHOTOS
        .iter()
        .map(|name| (name.to_string(), dot(&query, &normalized(image_vector(&reference, name)))))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}

/// Our hits agree with the reference ranking: same scores (to the engine's
/// tolerance) and the same order wherever the reference tells them apart.
fn assert_same_ranking(hits: &[Value], expected: &[(String, f64)]) {
    assert_eq!(hits.len(), expected.len(), "{:?}", names(hits));
    for (rank, (hit, (name, score))) in hits.iter().zip(expected).enumerate() {
        let ours = hit["score"].as_f64().expect("score");
        let same_place = file_name(hit["path"].as_str().expect("path")) == *name;
        let tied =
            expected.iter().any(|(n, s)| n != name && (s - score).abs() < 2e-3 && names(hits)[rank] == *n);
        assert!(same_place || tied, "rank {rank}: {:?} vs reference {expected:?}", names(hits));
        assert!(!same_place || (ours - score).abs() < 5e-3, "{name}: {ours} vs {score}");
    }
}

#[test]
fn a_photo_searched_with_its_own_file_ranks_first_as_a_good_match() {
    let lib = Lib::new();
    let summary = lib.index();
    assert_eq!(summary["progress"]["embedded"], 8, "{summary}");
    for name in PHOTOS {
        let file = lib.root().join(name);
        let hits = lib.search(&["--limit", "3", "--image", file.to_str().expect("utf-8")]);
        assert_eq!(file_name(hits[0]["path"].as_str().expect("path")), name);
        assert!(hits[0]["score"].as_f64().expect("score") > 0.9999, "{}", hits[0]);
        assert_eq!(hits[0]["good"], true, "{}", hits[0]);
    }
}

#[test]
fn a_text_querys_ranking_equals_the_reference_ranking() {
    let lib = Lib::new();
    lib.index();
    for text in ["sunset over mountains", "a photo of a cat", "a rocket launch"] {
        let hits = lib.search(&["--limit", "8", text]);
        assert_same_ranking(&hits, &reference_ranking(&text_vector(&reference(), text)));
    }
}

#[test]
fn combined_and_negative_terms_rank_by_their_weighted_sum() {
    let lib = Lib::new();
    lib.index();
    let reference = reference();
    let rocket = lib.root().join("rocket.jpg");
    let sum: Vec<f64> = normalized(text_vector(&reference, "sunset over mountains"))
        .iter()
        .zip(normalized(image_vector(&reference, "rocket.jpg")))
        .zip(normalized(text_vector(&reference, "a cup of coffee")))
        .map(|((t, i), minus)| t + i - minus)
        .collect();
    let hits = lib.search(&[
        "--limit",
        "8",
        "--image",
        rocket.to_str().expect("utf-8"),
        "--minus",
        "a cup of coffee",
        "sunset over mountains",
    ]);
    assert_same_ranking(&hits, &reference_ranking(&sum));
    // Subtracting coffee moves the coffee photos down compared with the
    // query without it.
    let without =
        lib.search(&["--limit", "8", "--image", rocket.to_str().expect("utf-8"), "sunset over mountains"]);
    let place = |hits: &[Value], name: &str| names(hits).iter().position(|n| n == name).expect("ranked");
    assert!(place(&hits, "coffee.png") >= place(&without, "coffee.png"));
}

#[test]
fn a_query_that_matches_nothing_says_no_good_match() {
    let lib = Lib::new();
    lib.index();
    // The fixture checkpoint has random weights: no text describes these
    // photos any better than the others, so no hit stands out.
    for text in ["sunset over mountains", "a photo of a cat", "zebra crossing"] {
        let hits = lib.search(&[text]);
        assert_eq!(hits.len(), 8);
        assert!(hits.iter().all(|h| h["good"] == false), "{text}: {hits:?}");
        assert!(hits.iter().all(|h| h["score"].is_f64() && h["z"].is_f64()));
        let out = lib.run(&["search", text]);
        assert_eq!(out.status.code(), Some(1), "no good match exits 1");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("no good match"));
    }
}

#[test]
fn moved_and_renamed_photos_keep_their_vectors_and_deleted_ones_leave() {
    let lib = Lib::new();
    lib.index();
    let root = lib.root();
    std::fs::create_dir(root.join("album")).expect("mkdir");
    std::fs::rename(root.join("cat.png"), root.join("album/kitty.png")).expect("move");
    std::fs::rename(root.join("rocket.jpg"), root.join("launch.jpg")).expect("rename");
    std::fs::remove_file(root.join("camera.png")).expect("delete");
    let summary = lib.index();
    let p = &summary["progress"];
    assert_eq!(
        (p["embedded"].as_u64(), p["reused"].as_u64(), p["unchanged"].as_u64()),
        (Some(0), Some(2), Some(5))
    );
    assert_eq!(summary["removed"], 3, "cat.png, rocket.jpg and camera.png paths left");
    let status = lib.status();
    assert_eq!((status["photos"].as_u64(), status["paths"].as_u64()), (Some(7), Some(7)));
    let kitty = root.join("album/kitty.png");
    let hits = lib.search(&["--limit", "1", "--image", kitty.to_str().expect("utf-8")]);
    assert_eq!(hits[0]["path"], kitty.to_str().expect("utf-8"));
    assert_eq!(lib.index()["progress"]["unchanged"], 7, "a third run reads nothing");
}

#[test]
fn an_unplugged_root_keeps_its_photos_until_it_comes_back() {
    let lib = Lib::new();
    lib.index();
    let root = lib.root();
    let away = root.with_extension("unplugged");
    std::fs::rename(&root, &away).expect("unplug");
    let out = lib.run(&["index", "--json"]);
    let events = json_lines(&out);
    assert!(events.iter().any(|e| e["event"] == "root_missing"), "{events:?}");
    assert_eq!(lib.status()["photos"], 8, "nothing was deleted");
    assert_eq!(lib.status()["roots"][0]["online"], false);
    let hits = lib.search(&["--limit", "2", "a rocket launch"]);
    assert!(hits.iter().all(|h| h["offline"] == true), "{hits:?}");
    std::fs::rename(&away, &root).expect("plug back");
    assert_eq!(lib.index()["progress"]["unchanged"], 8, "back, and nothing re-embedded");
}

#[test]
fn a_root_whose_photos_all_vanish_is_treated_as_unmounted_not_wiped() {
    let lib = Lib::new();
    lib.index();
    let root = lib.root();
    // The drive is unmounted but its mount point stays: an empty folder.
    let away = tempfile::tempdir().expect("tempdir");
    for name in PHOTOS {
        std::fs::rename(root.join(name), away.path().join(name)).expect("move away");
    }
    let events = json_lines(&lib.run(&["index", "--json"]));
    assert!(events.iter().any(|e| e["event"] == "root_missing"), "{events:?}");
    assert!(!events.iter().any(|e| e["event"] == "removed"), "{events:?}");
    assert_eq!(lib.status()["photos"], 8);
    // One photo really deleted while the rest is there: that one leaves.
    for name in &PHOTOS[1..] {
        std::fs::rename(away.path().join(name), root.join(name)).expect("move back");
    }
    assert_eq!(lib.index()["removed"], 1);
    assert_eq!(lib.status()["photos"], 7);
}

#[test]
fn filters_choose_the_candidates_before_the_top_k() {
    let lib = Lib::new();
    let root = lib.root();
    std::fs::create_dir(root.join("space")).expect("mkdir");
    for name in ["hubble-tall.jpg", "hubble_deep_field.jpg", "rocket.jpg"] {
        std::fs::rename(root.join(name), root.join("space").join(name)).expect("move");
    }
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_262_304_000); // 2010-01-01
    let file = std::fs::File::options().write(true).open(root.join("cat.png")).expect("open");
    file.set_modified(old).expect("set mtime");
    lib.index();
    let space = root.join("space");
    let hits = lib.search(&["--limit", "2", "--folder", space.to_str().expect("utf-8"), "a cup of coffee"]);
    assert_eq!(hits.len(), 2, "the best two within the folder, not a filtered top two");
    assert!(hits.iter().all(|h| h["path"].as_str().expect("path").contains("/space/")), "{hits:?}");
    let jpegs = lib.search(&["--type", "jpg", "a cup of coffee"]);
    let mut jpeg_names = names(&jpegs);
    jpeg_names.sort();
    assert_eq!(jpeg_names, vec!["hubble-tall.jpg", "hubble_deep_field.jpg", "rocket.jpg"]);
    assert_eq!(names(&lib.search(&["--before", "2011", "a cup of coffee"])), vec!["cat.png"]);
    assert_eq!(lib.search(&["--after", "2011", "a cup of coffee"]).len(), 7);
    let bad = lib.run(&["search", "--after", "last week", "x"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("\"last week\" is not a date"));
}

#[test]
fn filters_written_in_words_mean_what_the_flags_mean() {
    let lib = Lib::new();
    let root = lib.root();
    std::fs::create_dir(root.join("space")).expect("mkdir");
    for name in ["hubble-tall.jpg", "hubble_deep_field.jpg", "rocket.jpg"] {
        std::fs::rename(root.join(name), root.join("space").join(name)).expect("move");
    }
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_262_304_000 + 43_200); // 2010-01-01, noon UTC
    let file = std::fs::File::options().write(true).open(root.join("cat.png")).expect("open");
    file.set_modified(old).expect("set mtime");
    lib.index();
    let space = root.join("space");
    let sorted = |hits: &[Value]| {
        let mut n = names(hits);
        n.sort();
        n
    };
    let by_flag = lib.search(&["--folder", space.to_str().expect("utf-8"), "a cup of coffee"]);
    assert_eq!(sorted(&lib.search(&["a cup of coffee from space"])), sorted(&by_flag));
    assert_eq!(names(&lib.search(&["a cup of coffee 2010"])), vec!["cat.png"]);
    // "2009" holds no photo: a word for the model, not a filter that hides everything.
    assert_eq!(lib.search(&["a cup of coffee 2009"]).len(), 8);

    // Only filters: `photos` lists what they keep, newest first; `search` says to use it.
    let listed: Value = serde_json::from_slice(&lib.ok(&["photos", "--json", "2010"]).stdout).expect("json");
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["months"], serde_json::json!([{ "month": "2010-01", "count": 1 }]));
    let out = lib.run(&["search", "from space"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("photofind photos"), "{out:?}");
    let out = lib.ok(&["photos", "--type", "jpeg", "from space"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
}

#[test]
fn roots_are_added_listed_and_removed_with_their_photos() {
    let lib = Lib::new();
    let root = lib.root();
    lib.ok(&["roots", "add", root.to_str().expect("utf-8")]);
    let listed: Value = serde_json::from_slice(&lib.ok(&["roots", "list", "--json"]).stdout).expect("json");
    assert_eq!(listed, serde_json::json!([root.to_str().expect("utf-8")]));
    lib.index();
    lib.ok(&["roots", "remove", root.to_str().expect("utf-8")]);
    let status = lib.status();
    assert_eq!((status["photos"].as_u64(), status["roots"].as_array().map(Vec::len)), (Some(0), Some(0)));
    let out = lib.run(&["roots", "remove", "/not/a/root"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/not/a/root: not a root"));
}

#[test]
fn without_a_model_index_and_search_say_how_to_give_one() {
    let lib = Lib::new();
    for args in [&["index", "/tmp"][..], &["search", "cat"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_photofind"))
            .args(args)
            .env_remove("PHOTOFIND_MODEL")
            .env("PHOTOFIND_DATA_DIR", lib.data.path())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("no model: model clip-vit-base-patch32 ("));
    }
    // status needs no model.
    assert_eq!(lib.status()["photos"], 0);
}
