//! `photofind status`: what the library holds.

use anyhow::Result;
use serde::Serialize;

use photofind_core::store::{Failure, Stats};

use crate::{Common, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// List the files that could not be indexed, with the reason.
    #[arg(long)]
    errors: bool,
}

#[derive(Serialize)]
struct Status {
    data_dir: std::path::PathBuf,
    roots: Vec<Root>,
    #[serde(flatten)]
    stats: Stats,
    #[serde(skip_serializing_if = "Option::is_none")]
    failures: Option<Vec<Failure>>,
}

#[derive(Serialize)]
struct Root {
    path: std::path::PathBuf,
    /// False when the folder is not there (an unplugged drive?).
    online: bool,
}

pub fn run(args: Args) -> Result<Outcome> {
    let library = args.common.library()?;
    let store = library.store();
    let roots = library.roots()?.into_iter().map(|path| Root { online: path.is_dir(), path }).collect();
    let failures = if args.errors { Some(store.failures()?) } else { None };
    let status = Status { data_dir: args.common.data_dir()?, roots, stats: store.stats()?, failures };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print_status(&status);
    }
    Ok(Outcome::Done)
}

fn print_status(status: &Status) {
    println!("library: {}", status.data_dir.display());
    for root in &status.roots {
        let offline = if root.online { "" } else { "  (not there: unplugged?)" };
        println!("root: {}{offline}", root.path.display());
    }
    let s = &status.stats;
    println!("photos: {} ({} files), errors: {}", s.photos, s.paths, s.errors);
    for model in &s.models {
        println!("model: {} ({} dims): {} vectors", model.id, model.dims, model.vectors);
    }
    println!("index size: {:.1} MiB", s.disk_bytes as f64 / (1 << 20) as f64);
    for failure in status.failures.iter().flatten() {
        println!("error: {}: {}", failure.path.display(), failure.reason);
    }
}
