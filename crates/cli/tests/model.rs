//! `photofind model` end to end against a Hub stand-in on 127.0.0.1: fetch a
//! checkpoint from a manifest, make it the model in use, then index and search
//! with no --model at all; and without any model, the message says what to do.

#[path = "../../models/tests/server/mod.rs"]
#[allow(dead_code)]
mod server;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use server::{Faults, REPO, Server};
use sha2::{Digest, Sha256};

const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";
const FILES: [&str; 4] = ["config.json", "preprocessor_config.json", "tokenizer.json", "model.safetensors"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// A manifest for the tiny fixture checkpoint, with its real sizes and hashes.
fn write_manifest(dir: &Path) -> PathBuf {
    let mut text = format!(
        "id = \"tiny-p32-quickgelu\"\nname = \"Tiny CLIP\"\ndescription = \"a random CLIP for tests\"\n\
         repo = \"{REPO}\"\nrevision = \"{REVISION}\"\nlicense = \"test fixture\"\ndims = 32\n"
    );
    for name in FILES {
        let bytes = std::fs::read(fixtures().join("models/tiny-p32-quickgelu").join(name)).expect("fixture");
        let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let _ = write!(text, "\n[[files]]\nname = \"{name}\"\nsize = {}\nsha256 = \"{sha}\"\n", bytes.len());
    }
    let path = dir.join("tiny.toml");
    std::fs::write(&path, text).expect("writes manifest");
    path
}

fn photofind(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photofind"))
        .args(args)
        .env_remove("PHOTOFIND_MODEL")
        .env("PHOTOFIND_DATA_DIR", data)
        .output()
        .expect("photofind runs")
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_fetched_model_is_used_without_any_flag() {
    let (data, scratch, root) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    let server = Server::serving_dir(&fixtures().join("models/tiny-p32-quickgelu"), Faults::default());
    let manifest = write_manifest(scratch.path());

    let out = Command::new(env!("CARGO_BIN_EXE_photofind"))
        .args(["model", "fetch", "--use"])
        .arg(&manifest)
        .env("PHOTOFIND_DATA_DIR", data.path())
        .env("HF_ENDPOINT", server.endpoint())
        .output()
        .expect("runs");
    ok(out);
    assert_eq!(server.requests().len(), FILES.len(), "one request per file");
    let installed = data.path().join("models/tiny-p32-quickgelu");
    assert_eq!(ok(photofind(data.path(), &["model", "path"])).trim(), installed.to_str().expect("utf-8"));
    let list: serde_json::Value =
        serde_json::from_str(&ok(photofind(data.path(), &["model", "list", "--json"]))).expect("JSON");
    let tiny =
        list.as_array().expect("array").iter().find(|m| m["id"] == "tiny-p32-quickgelu").expect("listed");
    assert_eq!((tiny["current"].as_bool(), tiny["installed"].as_str()), (Some(true), installed.to_str()));

    for name in ["rocket.jpg", "cat.png"] {
        std::fs::copy(fixtures().join("photos").join(name), root.path().join(name)).expect("copies");
    }
    ok(photofind(data.path(), &["index", root.path().to_str().expect("utf-8")]));
    let cat = root.path().canonicalize().expect("abs").join("cat.png");
    let hits: serde_json::Value = serde_json::from_str(&ok(photofind(
        data.path(),
        &["search", "--json", "--image", cat.to_str().expect("utf-8")],
    )))
    .expect("JSON");
    assert_eq!(hits[0]["path"], cat.to_str().expect("utf-8"));
}

#[test]
fn without_a_model_the_message_says_what_to_fetch_and_where_to_put_it() {
    let data = tempfile::tempdir().expect("tmp");
    let out = photofind(data.path(), &["search", "cat"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "clip-vit-base-patch32",
        "MB",
        "photofind model fetch clip-vit-base-patch32",
        &data.path().join("models").display().to_string(),
        "--model DIR or PHOTOFIND_MODEL",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from: {text}");
    }
    let out = photofind(data.path(), &["model", "use", "clip-vit-base-patch32"]);
    assert_eq!(out.status.code(), Some(2), "cannot use a model that is not installed");
}

#[test]
fn the_list_shows_each_models_kind_and_the_space_of_a_text_model() {
    let data = tempfile::tempdir().expect("tmp");
    let list: serde_json::Value =
        serde_json::from_str(&ok(photofind(data.path(), &["model", "list", "--json"]))).expect("JSON");
    let entry =
        |id: &str| list.as_array().expect("array").iter().find(|m| m["id"] == id).expect("listed").clone();
    let (clip, text) = (entry("clip-vit-base-patch32"), entry("clip-vit-b-32-multilingual-v1"));
    assert_eq!((clip["kind"].as_str(), clip["space"].as_str()), (Some("clip"), None));
    assert_eq!(
        (text["kind"].as_str(), text["space"].as_str()),
        (Some("text"), Some("clip-vit-base-patch32"))
    );
    let table = ok(photofind(data.path(), &["model", "list"]));
    let line = table.lines().find(|l| l.contains("clip-vit-b-32-multilingual-v1")).expect("listed");
    assert!(line.contains("text for clip-vit-base-patch32"), "{line}");
}

/// The multilingual fixture's files, as a manifest names them, and that manifest.
fn text_model(dir: &Path) -> (std::collections::HashMap<String, Vec<u8>>, PathBuf) {
    let mut text = format!(
        "id = \"tiny-multilingual\"\nname = \"Tiny text\"\ndescription = \"a random text model for tests\"\n\
         repo = \"{REPO}\"\nrevision = \"{REVISION}\"\nlicense = \"test fixture\"\ndims = 32\n\
         kind = \"text\"\nspace = \"tiny-p32-quickgelu\"\n"
    );
    let mut files = std::collections::HashMap::new();
    for name in [
        "config.json",
        "modules.json",
        "sentence_bert_config.json",
        "tokenizer.json",
        "1_Pooling/config.json",
        "2_Dense/config.json",
        "2_Dense/model.safetensors",
        "model.safetensors",
    ] {
        let bytes = std::fs::read(fixtures().join("models/tiny-multilingual").join(name)).expect("fixture");
        let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let _ = write!(text, "\n[[files]]\nname = \"{name}\"\nsize = {}\nsha256 = \"{sha}\"\n", bytes.len());
        files.insert(name.to_owned(), bytes);
    }
    let path = dir.join("text.toml");
    std::fs::write(&path, text).expect("writes manifest");
    (files, path)
}

#[test]
fn a_text_model_is_fetched_with_its_subdirectories_but_never_made_the_model_in_use() {
    let (data, scratch) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    let (files, manifest) = text_model(scratch.path());
    let server = Server::start(files, Faults::default());

    let out = Command::new(env!("CARGO_BIN_EXE_photofind"))
        .args(["model", "fetch", "--use"])
        .arg(&manifest)
        .env("PHOTOFIND_DATA_DIR", data.path())
        .env("HF_ENDPOINT", server.endpoint())
        .output()
        .expect("runs");

    assert!(!out.status.success(), "a text model was made the model in use");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("text only"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = data.path().join("models/tiny-multilingual");
    assert!(installed.join("2_Dense/model.safetensors").is_file(), "the download is installed all the same");
    let list: serde_json::Value =
        serde_json::from_str(&ok(photofind(data.path(), &["model", "list", "--json"]))).expect("JSON");
    let tiny =
        list.as_array().expect("array").iter().find(|m| m["id"] == "tiny-multilingual").expect("listed");
    assert_eq!((tiny["kind"].as_str(), tiny["space"].as_str()), (Some("text"), Some("tiny-p32-quickgelu")));
    assert_eq!(tiny["current"].as_bool(), Some(false));
}
