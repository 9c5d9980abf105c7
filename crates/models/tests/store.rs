//! The installed-models store: what counts as installed, and the model in use.

use std::fs;
use std::path::Path;

use photofind_models::{DEFAULT_MODEL_ID, MANIFEST_FILE, ModelKind, Models, StoreError};

/// A model directory; complete when it has a manifest.
fn model_dir(root: &Path, id: &str, complete: bool) {
    let dir = root.join(id);
    fs::create_dir_all(&dir).expect("model dir");
    fs::write(dir.join("model.safetensors"), b"weights").expect("weights");
    if complete {
        fs::write(dir.join(MANIFEST_FILE), b"id = \"x\"\n").expect("manifest");
    }
}

#[test]
fn only_directories_with_a_manifest_are_installed() {
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    assert!(models.installed().unwrap().is_empty(), "no models directory means no models");
    model_dir(models.root(), "b-complete", true);
    model_dir(models.root(), "a-complete", true);
    model_dir(models.root(), "half-copied", false);
    model_dir(&models.root().join(".partial"), "downloading", true);
    fs::write(models.root().join("current"), "a-complete\n").unwrap();

    let installed = models.installed().unwrap();

    let ids: Vec<_> = installed.iter().map(|model| model.id.as_str()).collect();
    assert_eq!(ids, ["a-complete", "b-complete"]);
    assert_eq!(installed[0].path, models.root().join("a-complete"));
    assert_eq!(models.path("a-complete"), Some(models.root().join("a-complete")));
    assert_eq!(models.path("half-copied"), None);
    assert_eq!(models.path("downloading"), None);
}

#[test]
fn the_current_model_defaults_and_persists() {
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    assert_eq!(models.current().unwrap(), DEFAULT_MODEL_ID);
    model_dir(models.root(), "clip-vit-large-patch14", true);

    models.set_current("clip-vit-large-patch14").unwrap();

    assert_eq!(Models::new(data.path()).current().unwrap(), "clip-vit-large-patch14");
    assert_eq!(fs::read_to_string(models.root().join("current")).unwrap(), "clip-vit-large-patch14\n");
    let leftovers: Vec<_> =
        fs::read_dir(models.root()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "a temporary file was left behind: {leftovers:?}");
}

#[test]
fn set_current_refuses_a_model_that_is_not_installed() {
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    model_dir(models.root(), "half-copied", false);

    for id in ["clip-vit-base-patch16", "half-copied", "../elsewhere"] {
        let err = models.set_current(id).unwrap_err();
        assert!(matches!(&err, StoreError::NotInstalled { id: named, .. } if named == id), "{err:?}");
        assert!(err.to_string().contains(id), "{err}");
    }
    assert_eq!(models.current().unwrap(), DEFAULT_MODEL_ID);
}

#[test]
fn ids_outside_the_models_directory_are_never_installed() {
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    model_dir(data.path(), "elsewhere", true);
    fs::create_dir_all(models.root()).unwrap();

    assert_eq!(models.path("../elsewhere"), None);
    assert_eq!(models.download_dir("../elsewhere"), None);
    fs::write(models.root().join("current"), "../elsewhere\n").unwrap();
    assert_eq!(models.current().unwrap(), DEFAULT_MODEL_ID, "an unsafe id in `current` was used");
}

#[test]
fn a_switch_names_the_next_model_until_it_is_finished_or_abandoned() {
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    model_dir(models.root(), "old", true);
    model_dir(models.root(), "new", true);
    models.set_current("old").unwrap();
    assert_eq!(models.next().unwrap(), None);
    assert!(matches!(models.set_next("absent"), Err(StoreError::NotInstalled { .. })));

    models.set_next("new").unwrap();
    assert_eq!((models.current().unwrap(), models.next().unwrap()), ("old".into(), Some("new".into())));
    models.clear_next().unwrap();
    models.clear_next().unwrap();
    assert_eq!(models.next().unwrap(), None, "abandoned");

    models.set_next("new").unwrap();
    models.finish_switch("new").unwrap();
    assert_eq!((models.current().unwrap(), models.next().unwrap()), ("new".into(), None));
}

#[test]
fn a_switch_to_a_model_gone_or_already_in_use_is_abandoned() {
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    model_dir(models.root(), "old", true);
    model_dir(models.root(), "new", true);
    models.set_current("old").unwrap();
    models.set_next("new").unwrap();
    assert_eq!(models.pending_switch().unwrap(), Some(("new".into(), models.root().join("new"))));

    models.set_current("new").unwrap();
    assert_eq!(models.pending_switch().unwrap(), None, "already in use");
    assert_eq!(models.next().unwrap(), None);

    models.set_next("old").unwrap();
    fs::remove_file(models.root().join("old").join(MANIFEST_FILE)).unwrap();
    assert_eq!(models.pending_switch().unwrap(), None, "no longer installed");
    assert_eq!(models.next().unwrap(), None);
}

#[test]
fn removing_a_model_deletes_it_whole_but_never_the_one_in_use() {
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    model_dir(models.root(), "old", true);
    model_dir(models.root(), "new", true);
    models.set_current("new").unwrap();
    models.set_next("old").unwrap();

    assert!(matches!(models.remove("new"), Err(StoreError::InUse { .. })), "the model in use stays");
    assert!(models.remove("old").unwrap());

    assert!(!models.root().join("old").exists(), "its files are gone");
    assert_eq!(models.next().unwrap(), None, "the switch to it is abandoned");
    assert!(!models.remove("old").unwrap(), "removing it again is a no-op");
    let left: Vec<_> = models.installed().unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(left, ["new"]);
}

/// An installed text model for image model `space`, with a valid manifest.
fn text_model_dir(root: &Path, id: &str, space: &str) {
    model_dir(root, id, false);
    let manifest = format!(
        "id = \"{id}\"\nname = \"T\"\ndescription = \"text\"\nrepo = \"a/b\"\n\
         revision = \"0123456789abcdef0123456789abcdef01234567\"\nlicense = \"MIT\"\ndims = 32\n\
         kind = \"text\"\nspace = \"{space}\"\n\n[[files]]\nname = \"model.safetensors\"\nsize = 7\n\
         unverified = \"test\"\n"
    );
    fs::write(root.join(id).join(MANIFEST_FILE), manifest).expect("manifest");
}

#[test]
fn installed_models_report_their_kind_and_space() {
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    model_dir(models.root(), "clip", true);
    text_model_dir(models.root(), "words", "clip");
    text_model_dir(models.root(), "other-words", "elsewhere");

    let installed = models.installed().unwrap();

    let kinds: Vec<_> = installed.iter().map(|m| (m.id.as_str(), m.kind, m.space.as_deref())).collect();
    assert_eq!(
        kinds,
        [
            ("clip", ModelKind::Clip, None),
            ("other-words", ModelKind::Text, Some("elsewhere")),
            ("words", ModelKind::Text, Some("clip"))
        ]
    );
    let for_clip: Vec<_> = models.text_models_for("clip").unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(for_clip, ["words"]);
}

#[test]
fn a_text_model_never_becomes_the_model_that_indexes() {
    let data = tempfile::tempdir().unwrap();
    let models = Models::new(data.path());
    model_dir(models.root(), "clip", true);
    text_model_dir(models.root(), "words", "clip");
    models.set_current("clip").unwrap();

    for err in [models.set_current("words").unwrap_err(), models.set_next("words").unwrap_err()] {
        assert!(
            matches!(&err, StoreError::TextOnly { id, space } if id == "words" && space == "clip"),
            "{err:?}"
        );
        assert!(err.to_string().contains("text only"), "{err}");
    }
    assert_eq!((models.current().unwrap(), models.next().unwrap()), ("clip".into(), None));
}
