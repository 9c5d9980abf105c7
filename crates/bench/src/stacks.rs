//! `stacks --data-dir DIR`: what the window's near-duplicate stacks cost on an
//! indexed library (bench/live makes one of 100,000 photos): grouping every
//! vector the first time, the stacked first timeline page, and what a new
//! photo costs to join its group (one nearest-neighbour search and a vector
//! read, as `Stacks::refreshed` does for each photo added).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use photofind_core::Library;
use photofind_core::search::Filter;
use serde_json::{Value, json};

use crate::browse::{median, ms};

#[derive(clap::Args)]
pub struct Args {
    /// The data dir of an indexed library.
    #[arg(long)]
    data_dir: PathBuf,
    /// New photos whose joining is timed (the median is reported).
    #[arg(long, default_value_t = 50)]
    repeat: usize,
}

pub fn run(args: &Args) -> Result<Value> {
    let library = Library::open_read(&args.data_dir)
        .with_context(|| format!("cannot open the library in {}", args.data_dir.display()))?;
    let Some(model) = library.store().models()?.into_iter().next() else { bail!("the library has no model") };
    let started = Instant::now();
    let stacks = library.refresh_stacks(&model)?;
    let build_ms = ms(started);
    let grouped: usize = stacks.stacks().iter().map(|s| s.members.len()).sum();
    let largest = stacks.stacks().iter().map(|s| s.members.len()).max().unwrap_or(0);
    library.timeline("", Filter::default(), 0, 200)?; // the catalog, built once either way
    let page = median(5, || {
        library.stacked_timeline("", Filter::default(), &stacks, 0, 200)?;
        Ok(())
    })?;
    let ids: Vec<u32> = library.store().vector_ids(&model)?.iter().step_by(997).take(args.repeat).collect();
    let mut next = ids.iter().cycle();
    let join = median(args.repeat, || {
        let id = *next.next().expect("cycles");
        let vector = library.store().vector(&model, id)?.context("a vector")?;
        library.store().nearest(&model, &vector, 9, None)?;
        Ok(())
    })?;
    Ok(json!({
        "photos": library.store().vector_count(&model)?,
        "group_all_ms": build_ms,
        "groups": stacks.stacks().len(),
        "photos_in_groups": grouped,
        "largest_group": largest,
        "stacked_first_page_ms": page,
        "join_one_new_photo_ms": join,
    }))
}
