//! `browse --data-dir DIR`: what the window's timeline and filters cost on an
//! indexed library (bench/live makes one of 100,000 photos): the first page
//! (which reads every photo once to order them), a later page (from the
//! order kept in memory), a page filtered by a year written in words, and
//! reading the words of a query against what the library holds.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use photofind_core::Library;
use photofind_core::search::{BACKGROUND_SAMPLE, Filter};
use serde_json::{Value, json};

/// Photos per page, as the window asks for them.
const PAGE: usize = 200;

#[derive(clap::Args)]
pub struct Args {
    /// The data dir of an indexed library.
    #[arg(long)]
    data_dir: PathBuf,
    /// Repetitions of each warm measurement (the median is reported).
    #[arg(long, default_value_t = 20)]
    repeat: usize,
}

pub fn run(args: &Args) -> Result<Value> {
    let library = Library::open_read(&args.data_dir)
        .with_context(|| format!("cannot open the library in {}", args.data_dir.display()))?;
    let started = Instant::now();
    let (first, _) = library.timeline("", Filter::default(), 0, PAGE)?;
    let cold_ms = ms(started);
    let year = first.months.last().map(|m| m.month[..4].to_owned()).unwrap_or_default();
    let middle = first.total / 2;
    let later = median(args.repeat, || {
        library.timeline("", Filter::default(), middle, PAGE)?;
        Ok(())
    })?;
    let words = format!("beach in {year}");
    let filtered = median(args.repeat, || {
        library.timeline(&words, Filter::default(), 0, PAGE)?;
        Ok(())
    })?;
    let read = median(args.repeat, || {
        library.read_words(&words)?;
        Ok(())
    })?;
    // A search's "no good match" background: 2,000 vectors read again (before), or the scores
    // its scan keeps on the way (now).
    let store = library.store();
    let model = store.models()?.into_iter().next().context("the library has no model")?;
    let query =
        store.vector(&model, store.vector_ids(&model)?.min().context("no vectors")?)?.context("a vector")?;
    let sampled_vectors = median(args.repeat, || {
        store.sample_vectors(&model, BACKGROUND_SAMPLE, None)?;
        Ok(())
    })?;
    let scan = median(args.repeat, || {
        store.nearest(&model, &query, 1000, None)?;
        Ok(())
    })?;
    let scan_sampled = median(args.repeat, || {
        store.nearest_with_sample(&model, &query, 1000, BACKGROUND_SAMPLE, None)?;
        Ok(())
    })?;
    Ok(json!({
        "photos": first.total,
        "months": first.months.len(),
        "page": PAGE,
        "first_page_cold_ms": cold_ms,
        "later_page_ms": later,
        "filtered_page_ms": filtered,
        "filtered_words": words,
        "read_words_ms": read,
        "background_by_reading_2000_vectors_ms": sampled_vectors,
        "scan_k1000_ms": scan,
        "scan_k1000_keeping_the_background_ms": scan_sampled,
    }))
}

pub fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

/// The median wall time of `repeat` runs of `work`, in milliseconds.
pub fn median(repeat: usize, mut work: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut times = Vec::with_capacity(repeat.max(1));
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        work()?;
        times.push(ms(started));
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
