//! Manifests: the built-in ones, validation, and the messages built from them.

use std::path::Path;

use photofind_models::{
    DEFAULT_MODEL_ID, Manifest, ManifestError, ModelKind, missing_model_message, unverified_warning,
};

const VALID: &str = r#"
id = "tiny"
name = "Tiny"
description = "a test model"
repo = "test/tiny"
revision = "0123456789abcdef0123456789abcdef01234567"
license = "MIT"
dims = 32

[[files]]
name = "config.json"
size = 10
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"

[[files]]
name = "model.safetensors"
size = 1000
sha256 = "1111111111111111111111111111111111111111111111111111111111111111"
"#;

fn invalid_field(text: &str) -> String {
    match Manifest::parse(text) {
        Err(ManifestError::Invalid { field, .. }) => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn builtin_manifests_parse_and_every_file_is_checked_or_explained() {
    let builtin = Manifest::builtin();
    let ids: Vec<_> = builtin.iter().map(|manifest| manifest.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            DEFAULT_MODEL_ID,
            "clip-vit-base-patch16",
            "clip-vit-large-patch14",
            "clip-vit-b-32-multilingual-v1"
        ]
    );
    for manifest in &builtin {
        let dims = if manifest.id.contains("large") { 768 } else { 512 };
        assert_eq!(manifest.dims, dims, "{}", manifest.id);
        let names: Vec<_> = manifest.files.iter().map(|file| file.name.as_str()).collect();
        let needed: &[&str] = match manifest.kind {
            ModelKind::Clip => {
                &["config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json"]
            }
            ModelKind::Text => &TEXT_MODEL_FILES,
        };
        for needed in needed {
            assert!(names.contains(needed), "{} lacks {needed}", manifest.id);
        }
        for file in &manifest.files {
            let hashed = file.sha256.as_ref().is_some_and(|sha| sha.len() == 64);
            let sized = file.size.is_some();
            let explained = file.unverified.as_ref().is_some_and(|why| !why.trim().is_empty());
            assert!(
                hashed && sized || explained,
                "{}: {} is not checked and says not why",
                manifest.id,
                file.name
            );
        }
    }
}

/// What `photofind_clip::TextModel` reads from a sentence-transformers directory.
const TEXT_MODEL_FILES: [&str; 8] = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
    "2_Dense/config.json",
    "2_Dense/model.safetensors",
];

#[test]
fn the_multilingual_model_is_text_only_in_the_default_models_space() {
    let manifest = Manifest::find_builtin("clip-vit-b-32-multilingual-v1").unwrap();
    assert_eq!(manifest.kind, ModelKind::Text);
    assert_eq!(manifest.space.as_deref(), Some(DEFAULT_MODEL_ID));
    assert_eq!(manifest.dims, Manifest::find_builtin(DEFAULT_MODEL_ID).unwrap().dims);
    assert_eq!(manifest.repo, "sentence-transformers/clip-ViT-B-32-multilingual-v1");
    assert!(manifest.is_pinned());
    let model = manifest.files.iter().find(|f| f.name == "model.safetensors").unwrap();
    assert!(model.sha256.is_some(), "the weights are checked by their published hash");
    let warning = unverified_warning(&manifest).unwrap();
    assert!(
        warning.contains("2_Dense/model.safetensors") && warning.contains("not checked at all"),
        "{warning}"
    );
    let message = missing_model_message(&manifest, Path::new("/m"));
    assert!(message.contains("text only") && message.contains(DEFAULT_MODEL_ID), "{message}");
}

#[test]
fn kind_defaults_to_clip_and_round_trips() {
    let clip = Manifest::parse(VALID).unwrap();
    assert_eq!((clip.kind, clip.space.as_deref()), (ModelKind::Clip, None));
    assert!(!clip.to_toml().unwrap().contains("kind"), "a clip manifest is written as before");
    let text = Manifest::parse(&VALID.replace("dims = 32", TEXT_KIND)).unwrap();
    assert_eq!((text.kind, text.space.as_deref()), (ModelKind::Text, Some("tiny-clip")));
    assert_eq!(Manifest::parse(&text.to_toml().unwrap()).unwrap(), text);
    assert_eq!(text.kind.to_string(), "text");
}

const TEXT_KIND: &str = "dims = 32\nkind = \"text\"\nspace = \"tiny-clip\"";

#[test]
fn space_is_required_for_text_models_and_refused_for_clip() {
    for (text, field) in [
        (VALID.replace("dims = 32", "dims = 32\nkind = \"text\""), "space"),
        (VALID.replace("dims = 32", "dims = 32\nspace = \"tiny-clip\""), "space"),
        (VALID.replace("dims = 32", "dims = 32\nkind = \"clip\"\nspace = \"tiny-clip\""), "space"),
        (VALID.replace("dims = 32", "dims = 32\nkind = \"text\"\nspace = \"../clip\""), "space"),
        (VALID.replace("dims = 32", "dims = 32\nkind = \"text\"\nspace = \"tiny\""), "space"),
    ] {
        assert_eq!(invalid_field(&text), field, "{text}");
    }
    let unknown = VALID.replace("dims = 32", "dims = 32\nkind = \"audio\"");
    let message = Manifest::parse(&unknown).unwrap_err().to_string();
    assert!(message.contains("kind") || message.contains("audio"), "{message}");
}

#[test]
fn file_names_may_have_one_safe_directory() {
    let nested = VALID.replace("name = \"config.json\"", "name = \"2_Dense/config.json\"");
    assert_eq!(Manifest::parse(&nested).unwrap().files[0].name, "2_Dense/config.json");
    for bad in [
        "../config.json",
        "2_Dense/../../config.json",
        "/etc/passwd",
        "2_Dense//config.json",
        "2_Dense/",
        "a/b/config.json",
        "2_Dense\\\\config.json",
        "./config.json",
        ".git/config",
        "2_Dense/.hidden",
    ] {
        let text = VALID.replace("name = \"config.json\"", &format!("name = \"{bad}\""));
        assert_eq!(invalid_field(&text), "files[0].name", "{bad:?} accepted");
    }
}

#[test]
fn a_file_cannot_be_both_a_file_and_a_directory() {
    let clash = VALID.replace("name = \"model.safetensors\"", "name = \"config.json/model.safetensors\"");
    assert_eq!(invalid_field(&clash), "files[1].name");
}

#[test]
fn the_default_model_is_pinned_and_fully_verified() {
    let manifest = Manifest::find_builtin(DEFAULT_MODEL_ID).unwrap();
    assert!(manifest.is_pinned());
    assert!(manifest.files.iter().all(|file| file.is_verified()));
    assert!(unverified_warning(&manifest).is_none());
    assert_eq!(manifest.total_size(), 605_157_884 + 2_224_041 + 4_186 + 316);
    assert!(Manifest::find_builtin("no-such-model").is_none());
}

#[test]
fn the_builtin_files_in_the_repository_are_the_embedded_ones() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    for builtin in Manifest::builtin() {
        let on_disk = Manifest::load(&dir.join(format!("{}.toml", builtin.id))).unwrap();
        assert_eq!(on_disk, builtin);
    }
}

#[test]
fn a_valid_manifest_round_trips_through_toml() {
    let manifest = Manifest::parse(VALID).unwrap();
    assert_eq!(manifest.total_size(), 1010);
    assert_eq!(Manifest::parse(&manifest.to_toml().unwrap()).unwrap(), manifest);
}

#[test]
fn validation_errors_name_the_field() {
    let cases = [
        (VALID.replace("id = \"tiny\"", "id = \"../tiny\""), "id"),
        (VALID.replace("test/tiny", "tiny"), "repo"),
        (VALID.replace("dims = 32", "dims = 0"), "dims"),
        (VALID.replace("a test model", "two\\nlines"), "description"),
        (VALID.replace("name = \"config.json\"", "name = \"../config.json\""), "files[0].name"),
        (VALID.replace("name = \"config.json\"", "name = \"model.safetensors\""), "files[1].name"),
        (
            VALID.replace("\"1111111111111111111111111111111111111111111111111111111111111111\"", "\"ABC\""),
            "files[1].sha256",
        ),
        (VALID.replace("size = 1000\n", ""), "files[1].unverified"),
        (VALID.replace("0123456789abcdef0123456789abcdef01234567", "refs/pr/3"), "revision"),
    ];
    for (text, field) in cases {
        assert_eq!(invalid_field(&text), field);
    }
}

#[test]
fn a_missing_hash_is_allowed_only_with_a_reason() {
    let without_hash = VALID.replace(
        "sha256 = \"1111111111111111111111111111111111111111111111111111111111111111\"",
        "unverified = \"not published\"",
    );
    let manifest = Manifest::parse(&without_hash).unwrap();
    assert!(!manifest.files[1].is_verified());
    let warning = unverified_warning(&manifest).unwrap();
    assert!(warning.contains("model.safetensors") && warning.contains("not published"), "{warning}");
    assert!(warning.contains("size only"), "{warning}");

    let both = VALID.replace("size = 1000\n", "size = 1000\nunverified = \"why\"\n");
    assert_eq!(invalid_field(&both), "files[1].unverified");
}

#[test]
fn an_unpinned_revision_needs_notes() {
    let unpinned = VALID.replace("0123456789abcdef0123456789abcdef01234567", "main");
    assert_eq!(invalid_field(&unpinned), "revision");
    let explained = unpinned.replace("dims = 32", "dims = 32\nnotes = [\"main: no commit was published\"]");
    assert!(!Manifest::parse(&explained).unwrap().is_pinned());
}

#[test]
fn errors_from_a_file_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, VALID.replace("dims = 32", "dims = \"many\"")).unwrap();
    let message = Manifest::load(&path).unwrap_err().to_string();
    assert!(message.contains(&path.display().to_string()) && message.contains("dims"), "{message}");

    std::fs::write(&path, VALID.replace("dims = 32", "dims = 0")).unwrap();
    let message = Manifest::load(&path).unwrap_err().to_string();
    assert!(message.contains("broken.toml") && message.contains("`dims`"), "{message}");

    let missing = Manifest::load(&dir.path().join("missing.toml")).unwrap_err();
    assert!(matches!(missing, ManifestError::Read { .. }));
}

#[test]
fn unknown_fields_are_errors_not_silently_ignored() {
    let typo = VALID.replace("sha256 = \"0000", "sha265 = \"0000");
    assert!(matches!(Manifest::parse(&typo), Err(ManifestError::Parse { .. })));
}

#[test]
fn the_missing_model_message_says_what_to_do() {
    let manifest = Manifest::find_builtin(DEFAULT_MODEL_ID).unwrap();
    let models_dir = Path::new("/data/photofind/models");

    let message = missing_model_message(&manifest, models_dir);

    for needed in [
        "clip-vit-base-patch32 (CLIP ViT-B/32, 607.4 MB) is not installed",
        "photofind model fetch clip-vit-base-patch32",
        "/data/photofind/models/.partial/clip-vit-base-patch32",
        "--model DIR",
        "PHOTOFIND_MODEL",
        "config.json, model.safetensors, tokenizer.json, preprocessor_config.json",
    ] {
        assert!(message.contains(needed), "no {needed:?} in:\n{message}");
    }
}

#[test]
fn the_message_for_a_model_of_unknown_size_says_at_least() {
    let manifest = Manifest::find_builtin("clip-vit-base-patch16").unwrap();
    let message = missing_model_message(&manifest, Path::new("/m"));
    assert!(message.contains("at least 2.2 MB"), "{message}");
    let warning = unverified_warning(&manifest).unwrap();
    assert!(warning.contains("model.safetensors") && warning.contains("config.json"), "{warning}");
}

#[test]
fn the_message_names_a_file_fetched_at_its_own_revision() {
    let manifest = Manifest::find_builtin("clip-vit-base-patch16").unwrap();
    let message = missing_model_message(&manifest, Path::new("/m"));
    assert!(message.contains("model.safetensors (at revision refs/pr/10)"), "{message}");
}
