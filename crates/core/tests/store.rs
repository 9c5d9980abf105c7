//! The on-disk index: batches land whole, identity is content, models never
//! mix, and the whole database is asserted as a readable dump.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use photofind_core::store::{Change, Coverage, Embedded, Error, Failure, Landed, ModelKey, Store};
use roaring::RoaringBitmap;

fn model(id: &str, dims: usize) -> ModelKey {
    ModelKey { id: id.into(), dims }
}

/// The model [`embedded`] vectors belong to.
fn tiny() -> ModelKey {
    model("tiny", 4)
}

fn embedded(content: u8, path: &str, vector: [f32; 4]) -> Change {
    Change::Embedded(Embedded {
        hash: [content; 32],
        path: PathBuf::from(path),
        size: 1000 + u64::from(content),
        modified: mtime(u64::from(content)),
        dimensions: (640, 480),
        format: "jpeg".into(),
        captured: Some(format!("2023-0{content}-01T12:00:00")),
        model: tiny(),
        vector: vector.to_vec(),
    })
}

fn mtime(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn three_photos() -> Vec<Change> {
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
    let store = Store::open(dir, Some(&model("tiny", 4))).expect("opens");
    store.commit(&three_photos(), 42).expect("commits");
    store
}

#[test]
fn a_batch_lands_with_one_vector_per_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), Some(&model("tiny", 4))).expect("opens");
    let ids = ids(store.commit(&three_photos(), 42).expect("commits"));
    assert_eq!(ids, vec![Some(0), Some(1), Some(0), Some(2)]);
    insta::assert_snapshot!(store.to_string());
}

#[test]
fn nearest_ranks_by_cosine_within_the_candidates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    let hits = store.nearest(&tiny(), &[1.0, 0.0, 0.0, 0.0], 3, None).expect("searches");
    let ranked: Vec<(u32, String)> = hits.iter().map(|h| (h.id, format!("{:.3}", h.score))).collect();
    assert_eq!(ranked, vec![(0, "1.000".into()), (2, "0.600".into()), (1, "0.000".into())]);
    let without_beach: RoaringBitmap = [1, 2].into_iter().collect();
    let hits = store.nearest(&tiny(), &[1.0, 0.0, 0.0, 0.0], 3, Some(&without_beach)).expect("searches");
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![2, 1]);
}

#[test]
fn paths_and_vectors_are_found_again_after_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(filled(dir.path()));
    let store = Store::open(dir.path(), Some(&model("tiny", 4))).expect("reopens");
    let id = store.path_entry("/backup/beach-copy.jpg".as_ref()).expect("reads").expect("known path").id;
    assert_eq!(store.vector(&tiny(), id).expect("reads"), Some(vec![1.0, 0.0, 0.0, 0.0]));
    let photo = store.photo(id).expect("reads").expect("photo");
    assert_eq!(
        photo.paths,
        vec![PathBuf::from("/photos/beach.jpg"), PathBuf::from("/backup/beach-copy.jpg")]
    );
}

/// What each change of a batch now points at.
fn ids(landed: Vec<Landed>) -> Vec<Option<u32>> {
    landed.iter().map(Landed::id).collect()
}

#[test]
fn one_change_that_cannot_be_written_fails_alone_and_the_batch_lands() {
    // Regression: one bad record (a path JSON could not encode) used to
    // fail the whole batch, every run, so nothing of that folder landed.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), Some(&model("tiny", 4))).expect("opens");
    let Change::Embedded(mut bad) = embedded(9, "/photos/broken.jpg", [0.0; 4]) else { unreachable!() };
    bad.vector.push(1.0);
    let batch = [
        embedded(7, "/photos/new.jpg", [0.0, 0.0, 0.0, 1.0]),
        Change::Embedded(bad),
        embedded(8, "/photos/other.jpg", [0.0, 1.0, 0.0, 0.0]),
    ];
    let landed = store.commit(&batch, 42).expect("the batch commits");
    assert_eq!(landed[0], Landed::Photo(0));
    assert_eq!(landed[2], Landed::Photo(1), "the bad change took no id");
    let Landed::Failed(failure) = &landed[1] else { panic!("{landed:?}") };
    assert_eq!(failure.path, PathBuf::from("/photos/broken.jpg"));
    assert!(failure.reason.contains("vector has 5 values, the model gives 4"), "{}", failure.reason);
    assert_eq!(store.failure(Path::new("/photos/broken.jpg")).expect("reads").as_ref(), Some(failure));
    insta::assert_snapshot!(store.to_string());
}

#[test]
fn the_same_model_with_other_dims_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Store::open(dir.path(), Some(&model("tiny", 4))).expect("opens"));
    let err = Store::open(dir.path(), Some(&model("tiny", 8))).err().expect("refused");
    assert!(matches!(err, Error::ModelDims { stored: 4, given: 8, .. }), "{err:?}");
}

#[test]
fn another_model_gets_its_own_index_and_sees_no_foreign_vectors() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(filled(dir.path()));
    let other = Store::open(dir.path(), Some(&model("other", 3))).expect("opens");
    let three = model("other", 3);
    assert!(other.nearest(&three, &[1.0, 0.0, 0.0], 3, None).expect("searches").is_empty());
    assert_eq!(other.vector(&three, 0).expect("reads"), None);
    let err = other.nearest(&three, &[1.0, 0.0, 0.0, 0.0], 3, None).expect_err("4 dims");
    assert!(matches!(err, Error::QueryDims { expected: 3, received: 4 }), "{err:?}");
}

#[test]
fn a_file_is_unchanged_only_with_the_same_size_and_mtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    let beach = std::path::Path::new("/photos/beach.jpg");
    assert!(store.unchanged(&tiny(), beach, 1001, mtime(1)).expect("reads"));
    assert!(!store.unchanged(&tiny(), beach, 1002, mtime(1)).expect("reads"), "size changed");
    assert!(!store.unchanged(&tiny(), beach, 1001, mtime(2)).expect("reads"), "mtime changed");
    assert!(
        !store.unchanged(&tiny(), "/photos/new.jpg".as_ref(), 1001, mtime(1)).expect("reads"),
        "unknown path"
    );
}

fn known(content: u8, path: &str) -> Change {
    Change::Known {
        hash: [content; 32],
        path: PathBuf::from(path),
        size: 1000 + u64::from(content),
        modified: mtime(100),
    }
}

fn failed(path: &str, reason: &str) -> Change {
    Change::Failed(Failure {
        path: path.into(),
        size: Some(7),
        modified: Some(mtime(7)),
        reason: reason.into(),
    })
}

#[test]
fn a_move_keeps_the_vector_and_a_photo_with_no_path_left_is_set_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    // forest.jpg moved to an album; the beach copy in /backup was deleted,
    // and so was dusk.jpg (its only path).
    let moves = [
        known(2, "/photos/album/forest.jpg"),
        Change::Removed("/photos/forest.jpg".into()),
        Change::Removed("/backup/beach-copy.jpg".into()),
        Change::Removed("/photos/dusk.jpg".into()),
    ];
    let ids = ids(store.commit(&moves, 42).expect("commits"));
    assert_eq!(ids, vec![Some(1), None, None, None]);
    insta::assert_snapshot!(store.to_string());
}

#[test]
fn known_content_the_store_lacks_is_not_attached() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    assert_eq!(ids(store.commit(&[known(9, "/photos/x.jpg")], 42).expect("commits")), vec![None]);
    assert_eq!(store.path_entry("/photos/x.jpg".as_ref()).expect("reads"), None);
}

#[test]
fn a_failure_is_recorded_until_the_file_is_indexed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    // beach.jpg was overwritten with garbage: its path leaves photo 0 (which
    // keeps its other path) and the failure is recorded.
    store.commit(&[failed("/photos/beach.jpg", "cannot decode: truncated")], 42).expect("commits");
    let failure = store.failure("/photos/beach.jpg".as_ref()).expect("reads").expect("recorded");
    assert_eq!(failure.reason, "cannot decode: truncated");
    assert_eq!(
        store.photo(0).expect("reads").expect("kept").paths,
        vec![PathBuf::from("/backup/beach-copy.jpg")]
    );
    assert_eq!(store.path_entry("/photos/beach.jpg".as_ref()).expect("reads"), None);
    store.commit(&[embedded(4, "/photos/beach.jpg", [0.0, 0.0, 0.0, 1.0])], 42).expect("commits");
    assert_eq!(store.failure("/photos/beach.jpg".as_ref()).expect("reads"), None, "fixed file clears it");
    assert_eq!(store.failures().expect("reads"), vec![]);
}

/// The filled store, where dusk.jpg (photo 2) also got a vector under a
/// second model "other" (2 dims), and then its file went; opened for "other".
fn dusk_under_a_second_model_then_removed(dir: &std::path::Path) -> Store {
    drop(filled(dir));
    let other = Store::open(dir, Some(&model("other", 2))).expect("opens");
    let mut dusk = embedded(3, "/photos/dusk.jpg", [0.0; 4]);
    if let Change::Embedded(e) = &mut dusk {
        e.model = model("other", 2);
        e.vector = vec![1.0, 0.0];
    }
    other.commit(&[dusk], 42).expect("commits");
    other.commit(&[Change::Removed("/photos/dusk.jpg".into())], 42).expect("commits");
    other
}

#[test]
fn removing_a_photo_takes_its_vector_out_of_search_under_every_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dusk_under_a_second_model_then_removed(dir.path());
    assert_eq!(other.vector(&model("other", 2), 2).expect("reads"), None);
    drop(other);
    let reopened = Store::open(dir.path(), Some(&model("tiny", 4))).expect("opens");
    assert_eq!(reopened.vector(&tiny(), 2).expect("reads"), None);
    assert_eq!(reopened.nearest(&tiny(), &[0.6, 0.0, 0.8, 0.0], 3, None).expect("searches").len(), 2);
}

#[test]
fn an_orphan_found_again_gets_its_vectors_back_under_every_model_until_purged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dusk_under_a_second_model_then_removed(dir.path());
    assert!(other.has_vector(&model("other", 2), 2).expect("reads"), "kept aside for the bytes coming back");
    assert_eq!(other.stats().expect("stats").orphans, 1);

    // The same bytes at a new path: no embedding, both models' vectors return.
    other.commit(&[known(3, "/photos/moved/dusk.jpg")], 42).expect("commits");
    assert_eq!(other.vector(&model("other", 2), 2).expect("reads"), Some(vec![1.0, 0.0]));
    drop(other);
    let reopened = Store::open(dir.path(), Some(&model("tiny", 4))).expect("opens");
    assert_eq!(reopened.vector(&tiny(), 2).expect("reads").map(|v| v.len()), Some(4));
    assert_eq!(reopened.stats().expect("stats").orphans, 0);

    // Gone again, then purged: the bytes would need a new embedding.
    reopened.commit(&[Change::Removed("/photos/moved/dusk.jpg".into())], 42).expect("commits");
    assert_eq!(reopened.purge_orphans(std::time::Duration::from_secs(3600)).expect("purges"), 0, "too young");
    assert_eq!(reopened.purge_orphans(std::time::Duration::ZERO).expect("purges"), 1);
    assert!(!reopened.has_vector(&tiny(), 2).expect("reads"));
    assert_eq!(reopened.photo(2).expect("reads"), None);
    assert_eq!(ids(reopened.commit(&[known(3, "/photos/dusk.jpg")], 42).expect("commits")), vec![None]);
}

#[test]
fn paths_longer_than_an_lmdb_key_are_stored_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), Some(&model("tiny", 4))).expect("opens");
    let deep = format!("/photos/{}/deep.jpg", "nested-folder/".repeat(60));
    let deeper = format!("/photos/{}/deeper.jpg", "nested-folder/".repeat(60));
    let batch = [embedded(1, &deep, [1.0, 0.0, 0.0, 0.0]), embedded(2, &deeper, [0.0, 1.0, 0.0, 0.0])];
    assert_eq!(ids(store.commit(&batch, 42).expect("commits")), vec![Some(0), Some(1)]);
    assert_eq!(store.path_entry(deep.as_ref()).expect("reads").map(|e| e.id), Some(0));
    assert_eq!(store.path_entry(deeper.as_ref()).expect("reads").map(|e| e.id), Some(1));
    let mut seen = Vec::new();
    store
        .for_each_path_in::<Error>("/photos".as_ref(), |path, _| {
            seen.push(path.to_owned());
            Ok(())
        })
        .expect("iterates");
    seen.sort();
    assert_eq!(seen, vec![PathBuf::from(&deep), PathBuf::from(&deeper)]);
}

#[test]
fn removing_a_root_keeps_what_another_root_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    store.commit(&[failed("/photos/bad.jpg", "cannot decode")], 42).expect("commits");
    for root in ["/photos", "/photos/keep", "/backup"] {
        assert!(store.add_root(root.as_ref()).expect("adds"));
    }
    assert!(!store.add_root("/backup".as_ref()).expect("adds"), "already a root");
    store.commit(&[embedded(5, "/photos/keep/kept.jpg", [0.0, 0.0, 0.0, 1.0])], 42).expect("commits");
    assert_eq!(store.remove_root("/nowhere".as_ref(), 42).expect("removes"), None);
    // beach, forest, dusk and the failure leave; keep/kept.jpg stays for its own root.
    assert_eq!(store.remove_root("/photos".as_ref(), 42).expect("removes"), Some(4));
    insta::assert_snapshot!(store.to_string());
}

#[test]
fn stats_count_photos_paths_errors_and_each_models_vectors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    store.commit(&[failed("/photos/bad.jpg", "cannot decode")], 42).expect("commits");
    let stats = store.stats().expect("counts");
    assert_eq!((stats.photos, stats.paths, stats.errors), (3, 4, 1));
    assert_eq!(stats.models.len(), 1);
    assert_eq!((stats.models[0].id.as_str(), stats.models[0].dims, stats.models[0].vectors), ("tiny", 4, 3));
    assert!(stats.disk_bytes > 0);
}

#[test]
fn a_store_opened_without_a_model_reads_every_models_vectors() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(filled(dir.path()));
    let store = Store::open(dir.path(), None).expect("opens");
    assert_eq!(store.photo(1).expect("reads").map(|p| p.format), Some("jpeg".into()));
    assert_eq!(store.nearest(&tiny(), &[1.0, 0.0, 0.0, 0.0], 1, None).expect("searches")[0].id, 0);
    assert!(store.nearest(&model("unknown", 4), &[1.0; 4], 1, None).expect("searches").is_empty());
    let err = store.nearest(&model("tiny", 8), &[1.0; 8], 1, None).expect_err("other dims");
    assert!(matches!(err, Error::ModelDims { stored: 4, given: 8, .. }), "{err:?}");
}

#[test]
fn a_second_model_fills_its_own_index_and_covers_the_library_when_every_photo_has_a_vector() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled(dir.path());
    let two = model("two", 2);
    let under_two = |content: u8, path: &str, vector: [f32; 2]| {
        let Change::Embedded(mut e) = embedded(content, path, [0.0; 4]) else { unreachable!() };
        e.model = two.clone();
        e.vector = vector.to_vec();
        Change::Embedded(e)
    };
    assert_eq!(store.coverage(&two).expect("reads"), Coverage { vectors: 0, photos: 3 });
    store.commit(&[under_two(1, "/photos/beach.jpg", [1.0, 0.0])], 42).expect("commits");
    let partial = store.coverage(&two).expect("reads");
    assert_eq!((partial.vectors, partial.complete()), (1, false));
    // Searching "two" sees only what it embedded; "tiny" still sees all three.
    assert_eq!(store.nearest(&two, &[0.0, 1.0], 10, None).expect("searches").len(), 1);
    assert_eq!(store.nearest(&tiny(), &[1.0, 0.0, 0.0, 0.0], 10, None).expect("searches").len(), 3);
    let rest = [under_two(2, "/photos/forest.jpg", [0.0, 1.0]), under_two(3, "/photos/dusk.jpg", [0.6, 0.8])];
    assert_eq!(
        ids(store.commit(&rest, 42).expect("commits")),
        vec![Some(1), Some(2)],
        "same photos, no new ids"
    );
    assert!(store.coverage(&two).expect("reads").complete());
    let stats = store.stats().expect("counts");
    assert_eq!(stats.photos, 3);
    let vectors: Vec<(String, u64)> = stats.models.iter().map(|m| (m.id.clone(), m.vectors)).collect();
    assert_eq!(vectors, vec![("tiny".into(), 3), ("two".into(), 3)]);
}

#[test]
fn dropping_a_model_deletes_its_index_and_kept_vectors_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dusk_under_a_second_model_then_removed(dir.path());
    let two = model("other", 2);
    assert_eq!(store.drop_model("nope").expect("drops"), None);
    assert_eq!(store.drop_model("other").expect("drops"), Some(1), "dusk's kept vector");
    assert_eq!(store.models().expect("reads"), vec![tiny()]);
    assert!(!store.has_vector(&two, 2).expect("reads"));
    assert_eq!(store.nearest(&tiny(), &[1.0, 0.0, 0.0, 0.0], 10, None).expect("searches").len(), 2);
    // The same bytes back: tiny's kept vector returns, "other" has none.
    store.commit(&[known(3, "/photos/dusk.jpg")], 42).expect("commits");
    assert!(store.has_vector(&tiny(), 2).expect("reads"));
    // A model registered later gets a fresh, empty index.
    let three = model("three", 3);
    store.register_model(&three).expect("registers");
    assert_eq!(store.vector_count(&three).expect("reads"), 0);
    insta::assert_snapshot!(store.to_string());
}

/// Each root's file count, by path.
fn root_files(store: &Store) -> Vec<(String, u64)> {
    let roots = store.roots().expect("reads");
    roots.into_iter().map(|r| (r.path.display().to_string(), r.files.expect("counted"))).collect()
}

#[test]
fn each_root_counts_its_files_as_changes_commit_without_walking_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path(), Some(&tiny())).expect("opens");
    store.add_root(Path::new("/photos")).expect("adds");
    store.add_root(Path::new("/backup")).expect("adds");
    store.commit(&three_photos(), 42).expect("commits");
    assert_eq!(root_files(&store), [("/backup".into(), 1), ("/photos".into(), 3)]);

    // A file indexed again, moved, failed and removed: each moves the count once.
    let changes = [
        embedded(1, "/photos/beach.jpg", [1.0, 0.0, 0.0, 0.0]),
        known(2, "/backup/forest-moved.jpg"),
        Change::Removed("/photos/forest.jpg".into()),
        failed("/photos/dusk.jpg", "cannot decode"),
        Change::Removed("/photos/never-indexed.jpg".into()),
    ];
    store.commit(&changes, 42).expect("commits");
    assert_eq!(root_files(&store), [("/backup".into(), 2), ("/photos".into(), 1)]);

    // A root nested in another counts what is already indexed inside it.
    store.add_root(Path::new("/backup/sub")).expect("adds");
    store.commit(&[known(3, "/backup/sub/dusk.jpg")], 42).expect("commits");
    let counts = root_files(&store);
    assert_eq!(counts, [("/backup".into(), 3), ("/backup/sub".into(), 1), ("/photos".into(), 1)]);
    drop(store);
    let again = Store::open(dir.path(), None).expect("reopens");
    assert_eq!(root_files(&again), counts, "the counts are kept");
}
