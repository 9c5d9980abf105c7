//! `photofind search` with a text-only model: a query in another language is
//! read by the multilingual model (said on stderr) against the image model's
//! index, ranked as the two references (sentence-transformers for the words,
//! transformers for the photos) say; English stays with CLIP's own tower;
//! `--text-model off|always` decide by hand; a model of another space is refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

const PHOTOS: [&str; 5] = ["astronaut.png", "cat.png", "coffee.png", "hubble_deep_field.jpg", "rocket.jpg"];
const GERMAN: &str = "Zwei Katzen schlafen auf dem Sofa";

struct Lib {
    data: tempfile::TempDir,
    photos: tempfile::TempDir,
}

impl Lib {
    fn new() -> Self {
        let lib = Lib { data: tempfile::tempdir().expect("tmp"), photos: tempfile::tempdir().expect("tmp") };
        for name in PHOTOS {
            std::fs::copy(fixtures().join("photos").join(name), lib.photos.path().join(name)).expect("copy");
        }
        let out = lib.run("tiny-p32-quickgelu", &["index", lib.photos.path().to_str().expect("utf-8")]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        lib
    }

    fn run(&self, image_model: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_photofind"))
            .args(args)
            .env("PHOTOFIND_MODEL", fixtures().join("models").join(image_model))
            .env("PHOTOFIND_TEXT_MODEL", fixtures().join("models/tiny-multilingual"))
            .env("PHOTOFIND_DATA_DIR", self.data.path())
            .output()
            .expect("photofind runs")
    }

    /// The hits' file names and scores, and what was said on stderr.
    fn search(&self, args: &[&str]) -> (Vec<(String, f64)>, String) {
        let mut all = vec!["search", "--json", "--limit", "5"];
        all.extend(args);
        let out = self.run("tiny-p32-quickgelu", &all);
        assert!(out.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&out.stderr));
        let hits: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
        let hits = hits
            .iter()
            .map(|h| (name(h["path"].as_str().expect("path")), h["score"].as_f64().expect("score")))
            .collect();
        (hits, String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn name(path: &str) -> String {
    Path::new(path).file_name().expect("a name").to_string_lossy().into_owned()
}

fn reference(file: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join("reference").join(file)).expect("reads"))
        .expect("json")
}

fn vector(entry: &Value) -> Vec<f64> {
    let v: Vec<f64> =
        entry["vector"].as_array().expect("vector").iter().map(|x| x.as_f64().expect("f64")).collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

/// sentence-transformers' vector of `text`.
fn text_vector(text: &str) -> Vec<f64> {
    let words = reference("tiny-multilingual.json");
    vector(words["texts"].as_array().expect("texts").iter().find(|t| t["text"] == text).expect("text"))
}

/// The photos ranked by sentence-transformers' vector of `text` against transformers' image vectors.
fn expected(text: &str) -> Vec<(String, f64)> {
    ranked(text_vector(text))
}

/// The photos ranked against `query` (normalised here) by transformers' image vectors.
fn ranked(query: Vec<f64>) -> Vec<(String, f64)> {
    let norm = query.iter().map(|x| x * x).sum::<f64>().sqrt();
    let query: Vec<f64> = query.into_iter().map(|x| x / norm).collect();
    let images = reference("tiny-p32-quickgelu.json");
    let mut ranked: Vec<(String, f64)> = PHOTOS
        .iter()
        .map(|photo| {
            let file = format!("photos/{photo}");
            let entry = images["images"]
                .as_array()
                .expect("images")
                .iter()
                .find(|e| e["file"] == file)
                .expect("image");
            (photo.to_string(), vector(entry).iter().zip(&query).map(|(a, b)| a * b).sum())
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}

/// Our hits are the reference's photos in its order, each score within 5e-3.
fn assert_same(hits: &[(String, f64)], expected: &[(String, f64)]) {
    assert_eq!(
        hits.iter().map(|h| &h.0).collect::<Vec<_>>(),
        expected.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    for ((photo, ours), (_, theirs)) in hits.iter().zip(expected) {
        assert!((ours - theirs).abs() < 5e-3, "{photo}: {ours} vs reference {theirs}");
    }
}

#[test]
fn a_german_query_is_read_by_the_multilingual_model_and_ranked_as_the_references_say() {
    let lib = Lib::new();
    let (hits, said) = lib.search(&[GERMAN]);
    assert!(said.contains("words read by tiny-multilingual"), "{said}");
    assert!(said.contains("another language") || said.contains("letters"), "{said}");
    assert_same(&hits, &expected(GERMAN));
}

#[test]
fn english_stays_with_clip_unless_always_and_off_keeps_every_query_there() {
    let lib = Lib::new();
    let (clip, said) = lib.search(&["a dog on the beach"]);
    assert!(!said.contains("words read by"), "{said}");
    let (always, said) = lib.search(&["--text-model", "always", "a dog on the beach"]);
    assert!(said.contains("words read by tiny-multilingual: the text model is always used"), "{said}");
    assert_eq!(
        always.iter().map(|h| &h.0).collect::<Vec<_>>(),
        expected("a dog on the beach").iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    assert_ne!(clip, always, "the two towers give other scores");
    let (_, said) = lib.search(&["--text-model", "off", GERMAN]);
    assert!(!said.contains("words read by"), "{said}");
}

#[test]
fn a_negative_term_in_another_language_is_read_by_the_text_model_too() {
    let lib = Lib::new();
    const RUSSIAN: &str = "кошки спят на диване";
    let (hits, said) = lib.search(&["--minus", RUSSIAN, GERMAN]);
    assert!(said.contains("words read by tiny-multilingual"), "{said}");
    let query: Vec<f64> = text_vector(GERMAN).iter().zip(text_vector(RUSSIAN)).map(|(a, b)| a - b).collect();
    assert_same(&hits, &ranked(query));
}

#[test]
fn a_text_model_of_another_space_is_refused_with_both_sizes() {
    let lib = Lib::new();
    let out = lib.run("tiny-p16-gelu", &["search", "--text-model", "always", GERMAN]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("not one space"), "{said}");
}
