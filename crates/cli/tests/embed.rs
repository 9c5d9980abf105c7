//! `photofind embed` end to end: JSON lines, per-file errors, exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn photofind(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photofind"))
        .args(args)
        .env("PHOTOFIND_MODEL", fixtures().join("models/tiny-p32-quickgelu"))
        .output()
        .expect("photofind runs")
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn reference_vector(kind: &str, key: &str, value: &str) -> Vec<f64> {
    let path = fixtures().join("reference/tiny-p32-quickgelu.json");
    let reference: Value = serde_json::from_slice(&std::fs::read(path).expect("reference")).expect("json");
    let entry = reference[kind].as_array().expect("array").iter().find(|e| e[key] == value).expect("entry");
    entry["vector"].as_array().expect("vector").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn cosine(line: &Value, reference: &[f64]) -> f64 {
    let v: Vec<f64> =
        line["vector"].as_array().expect("vector").iter().map(|x| x.as_f64().expect("f")).collect();
    let norm = |x: &[f64]| x.iter().map(|a| a * a).sum::<f64>().sqrt();
    v.iter().zip(reference).map(|(a, b)| a * b).sum::<f64>() / (norm(&v) * norm(reference))
}

#[test]
fn images_print_one_json_line_each_in_order() {
    let cat = fixtures().join("photos/cat.png");
    let coffee = fixtures().join("photos/coffee.png");
    let out = photofind(&["embed", "--json", cat.to_str().expect("utf8"), coffee.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["path"], cat.to_str().expect("utf8"));
    assert!(cosine(&lines[0], &reference_vector("images", "file", "photos/cat.png")) > 0.9995);
    assert!(cosine(&lines[1], &reference_vector("images", "file", "photos/coffee.png")) > 0.9995);
}

#[test]
fn a_bad_file_is_named_on_stderr_and_the_others_still_print() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = dir.path().join("notes.jpg");
    std::fs::write(&fake, "not a photo").expect("write");
    let missing = dir.path().join("missing.png");
    let cat = fixtures().join("photos/cat.png");
    let args = ["embed", "--json", fake.to_str().expect("utf8"), missing.to_str().expect("utf8")];
    let out = photofind(&[&args[..], &[cat.to_str().expect("utf8")]].concat());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("notes.jpg") && stderr.contains("missing.png"), "{stderr}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["path"], cat.to_str().expect("utf8"));
}

#[test]
fn texts_print_one_json_line_each() {
    let out = photofind(&["embed", "--json", "--text", "a photo of a cat", "--text", ""]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["text"], "a photo of a cat");
    assert!(cosine(&lines[0], &reference_vector("texts", "text", "a photo of a cat")) > 0.99999);
    assert!(cosine(&lines[1], &reference_vector("texts", "text", "")) > 0.99999);
}

#[test]
fn without_a_model_it_says_how_to_give_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_photofind"))
        .args(["embed", "--text", "x"])
        .env_remove("PHOTOFIND_MODEL")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--model") && stderr.contains("PHOTOFIND_MODEL"), "{stderr}");
}

#[test]
fn a_broken_model_dir_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = photofind(&["embed", "--model", dir.path().to_str().expect("utf8"), "--text", "x"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("config.json"), "{stderr}");
}

#[test]
fn the_summary_output_shows_dims() {
    let out = photofind(&["embed", "--text", "a cup of coffee"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("a cup of coffee\t32 dims ["), "{stdout}");
}

#[test]
fn every_instruction_set_cap_gives_the_same_vectors_and_a_bad_one_is_named() {
    let cat = fixtures().join("photos/cat.png");
    let reference = reference_vector("images", "file", "photos/cat.png");
    let text = reference_vector("texts", "text", "a photo of a cat");
    let capped = |cap: &str, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_photofind"))
            .args([&["embed", "--json"], args].concat())
            .env("PHOTOFIND_MODEL", fixtures().join("models/tiny-p32-quickgelu"))
            .env("PHOTOFIND_MAX_ISA", cap)
            .output()
            .expect("photofind runs");
        assert!(out.status.success(), "{cap}: {}", String::from_utf8_lossy(&out.stderr));
        json_lines(&out).remove(0)
    };
    for cap in ["baseline", "avx2", "avxvnni", "avx512", "avx512bf16", "amx"] {
        assert!(cosine(&capped(cap, &[cat.to_str().expect("utf8")]), &reference) > 0.999, "{cap}: image");
        assert!(cosine(&capped(cap, &["--text", "a photo of a cat"]), &text) > 0.99999, "{cap}: text");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_photofind"))
        .args(["embed", "--json", cat.to_str().expect("utf8")])
        .env("PHOTOFIND_MODEL", fixtures().join("models/tiny-p32-quickgelu"))
        .env("PHOTOFIND_MAX_ISA", "sse9")
        .output()
        .expect("photofind runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PHOTOFIND_MAX_ISA=sse9"), "{stderr}");
}
