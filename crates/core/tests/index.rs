//! The indexing pipeline with a stand-in model: progress adds up, a
//! cancelled run keeps what it committed and the next run goes on from
//! there, and a failing model stops the run without losing committed work.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use image::{Rgb, RgbImage};
use photofind_core::index::{self, Event, Options};
use photofind_core::store::{ModelKey, Store};
use support::MeanColour;

/// `n` small PNGs of distinct colours.
fn photos(dir: &Path, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let colour = Rgb([(i * 7 % 256) as u8, (i * 13 % 256) as u8, (i * 29 % 256) as u8]);
            let path = dir.join(format!("{i:03}.png"));
            RgbImage::from_pixel(8, 8, colour).save(&path).expect("writes");
            path
        })
        .collect()
}

fn open(dir: &Path) -> Store {
    Store::open(dir, Some(&ModelKey { id: "mean-colour".into(), dims: 4 })).expect("opens")
}

fn options() -> Options {
    Options { commit_every: 4, batch_size: 3, workers: 2, ..Options::default() }
}

#[test]
fn progress_counts_every_photo_once() {
    let (root, data) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    photos(root.path(), 30);
    let store = open(data.path());
    let mut committed = Vec::new();
    let mut last = None;
    let roots = [root.path().to_owned()];
    let summary =
        index::run(&store, &MeanColour::new(None), &roots, &options(), &AtomicBool::new(false), &mut |e| {
            match e {
                Event::Committed { paths } => committed.extend(paths),
                Event::Progress(p) => last = Some(p),
                _ => {}
            }
        })
        .expect("runs");
    let p = &summary.progress;
    assert_eq!((p.total, p.done, p.embedded, p.failed, p.unchanged), (30, 30, 30, 0, 0));
    assert!(!p.scanning && p.eta_seconds == Some(0.0));
    assert_eq!(last.expect("progress was reported").done, 30);
    committed.sort();
    committed.dedup();
    assert_eq!(committed.len(), 30, "every photo reported committed once");
}

#[test]
fn a_cancelled_run_keeps_its_commits_and_the_next_goes_on() {
    let (root, data) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    photos(root.path(), 40);
    let store = open(data.path());
    let cancel = Arc::new(AtomicBool::new(false));
    let roots = [root.path().to_owned()];
    let model = MeanColour::cancelling(8, cancel.clone());
    let first = index::run(&store, &model, &roots, &options(), &cancel, &mut |_| {}).expect("runs");
    assert!(first.cancelled);
    let kept = store.stats().expect("stats").photos;
    assert!(kept > 0 && kept < 40, "{kept}");
    let second =
        index::run(&store, &model, &roots, &options(), &AtomicBool::new(false), &mut |_| {}).expect("runs");
    assert_eq!(second.progress.unchanged, kept);
    assert_eq!(second.progress.embedded, 40 - kept);
    assert_eq!(model.embedded.load(Ordering::SeqCst) as u64, first.progress.embedded + 40 - kept);
}

#[test]
fn a_failing_model_stops_the_run_and_keeps_what_was_committed() {
    let (root, data) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    photos(root.path(), 40);
    let store = open(data.path());
    let roots = [root.path().to_owned()];
    let opts = Options { commit_every: 1, batch_size: 1, ..options() };
    let err =
        index::run(&store, &MeanColour::new(Some(10)), &roots, &opts, &AtomicBool::new(false), &mut |_| {})
            .expect_err("the model fails");
    assert!(err.to_string().contains("the GPU fell off"), "{err}");
    assert_eq!(store.stats().expect("stats").photos, 10, "the ten embedded before the failure are kept");
    assert_eq!(store.failures().expect("reads"), vec![], "a model failure is not the photos' fault");
}
