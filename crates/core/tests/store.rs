//! The on-disk index: batches land whole, identity is content, models never
//! mix, and the whole database is asserted as a readable dump.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use photofind_core::store::{Embedded, Error, ModelKey, Store};
use roaring::RoaringBitmap;

fn model(id: &str, dims: usize) -> ModelKey {
    ModelKey { id: id.into(), dims }
}

fn embedded(content: u8, path: &str, vector: [f32; 4]) -> Embedded {
    Embedded {
        hash: [content; 32],
        path: PathBuf::from(path),
        size: 1000 + u64::from(content),
        dimensions: (640, 480),
        modified: mtime(u64::from(content)),
        vector: vector.to_vec(),
    }
}

fn mtime(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn three_photos() -> Vec<Embedded> {
    vec![
        embedded(1, "/photos/beach.jpg", [1.0, 0.0, 0.0, 0.0]),
        embedded(2, "/photos/forest.jpg", [0.0, 1.0, 0.0, 0.0]),
        // The same bytes again, copied elsewhere: one photo, two paths.
        embedded(1, "/backup/beach-copy.jpg", [1.0, 0.0, 0.0, 0.0]),
        embedded(3, "/photos/dusk.jpg", [0.6, 0.0, 0.8, 0.0]),
    ]
}

/// A store for the model "tiny" holding [`three_photos`].
fn filled(dir: &std::path::Path) -> Store {
    let store = Store::open(dir, &model("tiny", 4)).expect("opens");
    store.commit_batch(&three_photos(), 42).expect("commits");
    store
}

#[test]
fn a_batch_lands_with_one_vector_per_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), &model("tiny", 4)).expect("opens");
    let ids = store.commit_batch(&three_photos(), 42).expect("commits");
    assert_eq!(ids, vec![0, 1, 0, 2]);
    insta::assert_snapshot!(store.to_string());
}

#[test]
fn nearest_ranks_by_cosine_within_the_candidates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    let hits = store.nearest(&[1.0, 0.0, 0.0, 0.0], 3, None).expect("searches");
    let ranked: Vec<(u32, String)> = hits.iter().map(|h| (h.id, format!("{:.3}", h.score))).collect();
    assert_eq!(ranked, vec![(0, "1.000".into()), (2, "0.600".into()), (1, "0.000".into())]);
    let without_beach: RoaringBitmap = [1, 2].into_iter().collect();
    let hits = store.nearest(&[1.0, 0.0, 0.0, 0.0], 3, Some(&without_beach)).expect("searches");
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![2, 1]);
}

#[test]
fn paths_and_vectors_are_found_again_after_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(filled(dir.path()));
    let store = Store::open(dir.path(), &model("tiny", 4)).expect("reopens");
    let id = store.path_entry("/backup/beach-copy.jpg".as_ref()).expect("reads").expect("known path").id;
    assert_eq!(store.vector(id).expect("reads"), Some(vec![1.0, 0.0, 0.0, 0.0]));
    let photo = store.photo(id).expect("reads").expect("photo");
    assert_eq!(
        photo.paths,
        vec![PathBuf::from("/photos/beach.jpg"), PathBuf::from("/backup/beach-copy.jpg")]
    );
}

#[test]
fn a_failed_batch_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), &model("tiny", 4)).expect("opens");
    store.commit_batch(&three_photos()[..2], 42).expect("commits");
    let before = store.to_string();
    let mut bad = embedded(9, "/photos/broken.jpg", [0.0; 4]);
    bad.vector.push(1.0);
    let batch = [embedded(7, "/photos/new.jpg", [0.0, 0.0, 0.0, 1.0]), bad];
    let err = store.commit_batch(&batch, 42).expect_err("wrong dims");
    assert!(matches!(err, Error::VectorDims { expected: 4, received: 5, .. }), "{err:?}");
    assert!(err.to_string().contains("/photos/broken.jpg"), "{err}");
    assert_eq!(store.to_string(), before);
}

#[test]
fn the_same_model_with_other_dims_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Store::open(dir.path(), &model("tiny", 4)).expect("opens"));
    let err = Store::open(dir.path(), &model("tiny", 8)).err().expect("refused");
    assert!(matches!(err, Error::ModelDims { stored: 4, given: 8, .. }), "{err:?}");
}

#[test]
fn another_model_gets_its_own_index_and_sees_no_foreign_vectors() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(filled(dir.path()));
    let other = Store::open(dir.path(), &model("other", 3)).expect("opens");
    assert!(other.nearest(&[1.0, 0.0, 0.0], 3, None).expect("searches").is_empty());
    assert_eq!(other.vector(0).expect("reads"), None);
    let err = other.nearest(&[1.0, 0.0, 0.0, 0.0], 3, None).expect_err("4 dims");
    assert!(matches!(err, Error::QueryDims { expected: 3, received: 4 }), "{err:?}");
}

#[test]
fn a_file_is_unchanged_only_with_the_same_size_and_mtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    let beach = std::path::Path::new("/photos/beach.jpg");
    assert!(store.unchanged(beach, 1001, mtime(1)).expect("reads"));
    assert!(!store.unchanged(beach, 1002, mtime(1)).expect("reads"), "size changed");
    assert!(!store.unchanged(beach, 1001, mtime(2)).expect("reads"), "mtime changed");
    assert!(!store.unchanged("/photos/new.jpg".as_ref(), 1001, mtime(1)).expect("reads"), "unknown path");
}
