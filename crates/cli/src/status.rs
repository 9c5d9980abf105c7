//! `photofind status`: what the library holds.

use anyhow::Result;
use serde::Serialize;

use photofind_core::index::Progress;
use photofind_core::service::{self, Phase, RootState, ServiceState};
use photofind_core::store::{FailurePage, Stats};

use crate::{Common, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// List the files that could not be indexed, with the reason (the
    /// first --limit of them, by path, and how many there are).
    #[arg(long)]
    errors: bool,
    /// With --errors: list at most this many (0: all).
    #[arg(long, default_value_t = 100, value_name = "N")]
    limit: usize,
    /// With --errors: skip the first N (for paging through them).
    #[arg(long, default_value_t = 0, value_name = "N")]
    offset: u64,
}

#[derive(Serialize)]
struct Status {
    #[serde(with = "photofind_core::paths::serde")]
    data_dir: std::path::PathBuf,
    /// A watching service (`photofind watch`, the desktop app) runs.
    service: Option<Service>,
    roots: Vec<Root>,
    #[serde(flatten)]
    stats: Stats,
    /// A model switch under way.
    #[serde(skip_serializing_if = "Option::is_none")]
    switch: Option<Switch>,
    /// With --errors: a page of the failures (`total` says how many in all).
    #[serde(skip_serializing_if = "Option::is_none")]
    failures: Option<FailurePage>,
}

#[derive(Serialize)]
struct Switch {
    /// The model search uses until the switch is done.
    from: String,
    /// The model being switched to.
    to: String,
    /// Photos `to` has embedded.
    vectors: u64,
    /// Photos in the library.
    photos: u64,
}

#[derive(Serialize)]
struct Service {
    pid: u32,
    /// What it is doing (`up_to_date` once its start-up pass is done).
    phase: Phase,
    /// Where indexing stands, for a person (`Up to date · N photos`).
    headline: String,
    paused: bool,
    progress: Option<Progress>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct Root {
    #[serde(with = "photofind_core::paths::serde")]
    path: std::path::PathBuf,
    /// False when the folder is not there (an unplugged drive?).
    online: bool,
    /// What the service does with it (`idle` when none runs).
    state: RootState,
    /// Indexed files inside it.
    files: u64,
}

pub fn run(args: Args) -> Result<Outcome> {
    let library = args.common.reading_library()?;
    let running = service::running_state(library.data_dir());
    let roots = library
        .folders()?
        .into_iter()
        .map(|root| Root {
            online: root.path.is_dir(),
            state: ServiceState::root_state(running.as_ref(), &root.path),
            files: root.files.unwrap_or(0),
            path: root.path,
        })
        .collect();
    let service = running.map(|s| Service {
        pid: s.pid,
        phase: s.phase,
        headline: s.headline(),
        paused: s.paused,
        progress: s.progress,
        warnings: s.warnings,
    });
    let limit = if args.limit == 0 { usize::MAX } else { args.limit };
    let failures = if args.errors { Some(library.failures(args.offset, limit)?) } else { None };
    let models = photofind_models::Models::new(library.data_dir());
    let stats = library.stats()?;
    let switch = match models.next()? {
        Some(to) => {
            let vectors = library.coverage(&to)?.vectors;
            Some(Switch { from: models.current()?, to, vectors, photos: stats.photos })
        }
        None => None,
    };
    let status = Status { data_dir: args.common.data_dir()?, service, roots, stats, switch, failures };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print_status(&status);
    }
    Ok(Outcome::Done)
}

fn print_status(status: &Status) {
    println!("library: {}", status.data_dir.display());
    match &status.service {
        Some(s) => println!("service: running (pid {}): {}", s.pid, s.headline),
        None => println!("service: not running (`photofind watch` keeps the index up to date)"),
    }
    for root in &status.roots {
        let state = serde_json::to_value(root.state).ok().and_then(|v| v.as_str().map(str::to_owned));
        let offline = if root.online { "" } else { "  (not there: unplugged?)" };
        let (path, files) = (root.path.display(), root.files);
        println!("root: {path}  [{}] {files} files{offline}", state.unwrap_or_default());
    }
    for warning in status.service.iter().flat_map(|s| &s.warnings) {
        println!("warning: {warning}");
    }
    let s = &status.stats;
    println!("photos: {} ({} files), errors: {}", s.photos, s.paths, s.errors);
    println!("embeddings computed, ever: {}; set aside (files gone): {}", s.embeddings, s.orphans);
    for model in &s.models {
        println!("model: {} ({} dims): {} vectors", model.id, model.dims, model.vectors);
    }
    if let Some(w) = &status.switch {
        println!(
            "switching models: {} -> {}: {} of {} photos embedded (search uses {} until then)",
            w.from, w.to, w.vectors, w.photos, w.from
        );
    }
    println!("index size: {:.1} MiB", s.disk_bytes as f64 / (1 << 20) as f64);
    let Some(page) = &status.failures else { return };
    for failure in &page.failures {
        println!("error: {}: {}", failure.path.display(), failure.reason);
    }
    let shown = page.failures.len() as u64;
    if shown < page.total {
        println!(
            "({shown} of {} failures shown: --offset N --limit N for others, --limit 0 for all)",
            page.total
        );
    }
}
