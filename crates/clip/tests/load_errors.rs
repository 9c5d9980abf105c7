//! A broken checkpoint directory gives a typed error that names the file.

use std::path::{Path, PathBuf};

use photofind_clip::{Clip, Error};

fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models/tiny-p32-quickgelu");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("model");
    std::fs::create_dir(&dir).expect("mkdir");
    for entry in std::fs::read_dir(&src).expect("fixture model exists") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copy");
    }
    (tmp, dir)
}

fn load_error(dir: &Path) -> Error {
    match Clip::load(dir) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(err) => err,
    }
}

#[test]
fn the_fixture_copy_loads() {
    let (_tmp, dir) = fixture_copy();
    assert!(Clip::load(&dir).is_ok());
}

#[test]
fn each_missing_file_is_named() {
    for file in ["config.json", "preprocessor_config.json", "tokenizer.json", "model.safetensors"] {
        let (_tmp, dir) = fixture_copy();
        std::fs::remove_file(dir.join(file)).expect("rm");
        let err = load_error(&dir);
        assert!(matches!(&err, Error::Read { path, .. } if path.ends_with(file)), "{file}: {err:?}");
        assert!(err.to_string().contains(file), "{err}");
    }
}

#[test]
fn malformed_json_is_named_with_its_position() {
    let (_tmp, dir) = fixture_copy();
    std::fs::write(dir.join("config.json"), "{\"text_config\": {").expect("write");
    let err = load_error(&dir);
    assert!(matches!(&err, Error::Json { path, .. } if path.ends_with("config.json")), "{err:?}");
    assert!(err.to_string().contains("line 1"), "{err}");
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json");
    edit(&mut value);
    std::fs::write(path, serde_json::to_vec(&value).expect("json")).expect("write");
}

#[test]
fn an_unknown_activation_is_refused_by_name() {
    let (_tmp, dir) = fixture_copy();
    edit_json(&dir.join("config.json"), |v| v["vision_config"]["hidden_act"] = "swish".into());
    let err = load_error(&dir);
    assert!(
        matches!(&err, Error::InvalidConfig { field: "hidden_act", value, .. } if value == "swish"),
        "{err:?}"
    );
}

#[test]
fn a_crop_that_does_not_fit_the_model_is_refused() {
    let (_tmp, dir) = fixture_copy();
    edit_json(&dir.join("preprocessor_config.json"), |v| {
        v["crop_size"] = serde_json::json!({"height": 100, "width": 100})
    });
    let err = load_error(&dir);
    assert!(matches!(&err, Error::InvalidConfig { field: "crop_size", .. }), "{err:?}");
}

#[test]
fn weights_of_the_wrong_shape_name_the_weights_file() {
    let (_tmp, dir) = fixture_copy();
    edit_json(&dir.join("config.json"), |v| v["text_config"]["hidden_size"] = 1024.into());
    let err = load_error(&dir);
    assert!(matches!(&err, Error::Weights { path, .. } if path.ends_with("model.safetensors")), "{err:?}");
}

#[test]
fn a_truncated_weights_file_is_an_error_not_a_crash() {
    let (_tmp, dir) = fixture_copy();
    let path = dir.join("model.safetensors");
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("write");
    let err = load_error(&dir);
    assert!(matches!(&err, Error::Weights { .. }), "{err:?}");
}
