//! Switching models without downtime: the next model's index fills in the
//! background (changes go to both models) while searches keep answering
//! from the current one; the service ends when the next index covers the
//! library, and searches then answer from it. Every search answers, and
//! from exactly one model's index.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use photofind_core::search::{Query, Results, Term};
use photofind_core::store::{ModelKey, Store};
use photofind_core::watch::{self, Ended, Event};

use photofind_core::{Embedder, Library, index};
use support::{MeanColour, Reversed, distinct_png};

const PHOTOS: usize = 60;

/// Checks that every hit of `results` is from `results.model`'s index: the
/// photo has a vector there, and the score is the query's cosine with it.
fn assert_from_one_index(store: &Store, models: &[ModelKey], query: &[f32], results: &Results) {
    let model = models.iter().find(|m| m.id == results.model).expect("answered by a known model");
    assert_eq!(query.len(), model.dims, "the query vector is the answering model's");
    for hit in &results.hits {
        let vector = store.vector(model, hit.photo.id).expect("reads").expect("the hit has a vector there");
        let cosine: f32 = vector.iter().zip(query).map(|(a, b)| a * b).sum();
        assert!(
            (cosine - hit.score).abs() < 1e-4,
            "{} scored {} under {}, not {cosine}",
            hit.photo.path.display(),
            hit.score,
            model.id
        );
    }
}

fn image_query(path: &Path) -> Query {
    Query { positive: vec![Term::Image(path.to_owned())], limit: 10, ..Query::default() }
}

#[test]
fn searches_answer_from_one_index_while_the_next_model_fills_its_own_and_then_switch() {
    let root = tempfile::tempdir().expect("tmp");
    let root = root.path().canonicalize().expect("abs");
    let data = tempfile::tempdir().expect("tmp");
    let photos: Vec<PathBuf> =
        (0..PHOTOS).map(|n| distinct_png(&root.join(format!("{n:03}.png")), n)).collect();
    let current = Arc::new(MeanColour::new(None));
    let next = Arc::new(Reversed::new(Duration::from_millis(50)));
    let models = [ModelKey::of(current.as_ref()), ModelKey::of(next.as_ref())];
    let library = Arc::new(Library::open(data.path(), Some(&models[0])).expect("opens"));
    library.add_root(&root).expect("adds");
    let options = watch::Options {
        index: index::Options {
            workers: 2,
            batch_size: 4,
            commit_every: 8,
            ..watch::Options::default().index
        },
        ..watch::Options::default()
    };
    let writer = Arc::new(library.lock_writer("test").expect("locks"));
    library
        .index(&writer, current.as_ref(), &options.index, &AtomicBool::new(false), &mut |_| {})
        .expect("indexes");
    assert_eq!(current.calls(), PHOTOS);

    // What searches use: the current model, swapped when the switch is done.
    let searching: Arc<RwLock<Arc<dyn Embedder>>> = Arc::new(RwLock::new(current.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let searcher = {
        let (library, searching, stop, query_photo) =
            (library.clone(), searching.clone(), stop.clone(), photos[7].clone());
        let models = models.clone();
        std::thread::spawn(move || {
            let mut answered = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let embedder = searching.read().expect("lock").clone();
                let query = image_query(&query_photo);
                let results = library.search(embedder.as_ref(), &query).expect("every search answers");
                let id = library.store().path_entry(&query_photo).expect("reads").expect("indexed").id;
                let vector = library.store().vector(&ModelKey::of(embedder.as_ref()), id).expect("reads");
                let vector = vector.expect("the query photo is in the answering index");
                assert_from_one_index(library.store(), &models, &vector, &results);
                assert!(
                    results.hits.first().is_some_and(|h| h.score > 0.9999),
                    "the query photo (or its twin) first"
                );
                answered.push((results.model.clone(), results.hits.len()));
            }
            answered
        })
    };

    // The service, with a switch to `next`; a photo arrives meanwhile.
    let (control, commands) = watch::control();
    let (tx, events) = std::sync::mpsc::channel();
    let service = {
        let (library, current, next, writer) =
            (library.clone(), current.clone(), next.clone(), writer.clone());
        std::thread::spawn(move || {
            library.watch(&writer, current.as_ref(), Some(next.as_ref()), &options, &commands, &mut |e| {
                let _ = tx.send(e);
            })
        })
    };
    let filling = events.iter().find(|e| matches!(e, Event::Switching { .. }));
    assert!(filling.is_some(), "progress of the switch is reported");
    let newcomer = distinct_png(&root.join("new.png"), 1000);
    let ended = service.join().expect("service thread").expect("the service ran");
    assert_eq!(ended, Ended::Covered { model: "reversed".into() });
    drop(control);

    // Covered: the newcomer is in both indexes, each photo was embedded once per model.
    let store = library.store();
    let id = store.path_entry(&newcomer).expect("reads").expect("indexed").id;
    assert!(
        store.has_vector(&models[0], id).expect("reads") && store.has_vector(&models[1], id).expect("reads")
    );
    assert_eq!((current.calls(), next.calls()), (PHOTOS + 1, PHOTOS + 1));
    assert!(store.coverage(&models[1]).expect("reads").complete());

    *searching.write().expect("lock") = next.clone();
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::SeqCst);
    let answered = searcher.join().expect("every search answered from one index");
    let before = answered.iter().take_while(|(model, _)| model == "mean-colour").count();
    assert!(before > 0, "searches ran while the next index filled");
    assert!(
        answered[..before].iter().all(|(_, hits)| *hits == 10),
        "the current index kept answering in full"
    );
    let after = &answered[before..];
    assert!(
        !after.is_empty() && after.iter().all(|(model, hits)| model == "reversed" && *hits == 10),
        "{after:?}"
    );
    // The old index is still there, until dropped on request.
    assert_eq!(store.vector_count(&models[0]).expect("reads"), (PHOTOS + 1) as u64);
    assert_eq!(library.drop_model("mean-colour").expect("drops"), Some((PHOTOS + 1) as u64));
    assert_eq!(store.models().expect("reads"), vec![models[1].clone()]);
}
