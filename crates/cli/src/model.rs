//! `photofind model`: the CLIP checkpoints photofind knows, downloads and uses.
//!
//! `list` shows the built-in manifests and what is installed, with each one's kind (`clip`
//! indexes photos; `text` embeds queries into an image model's space); `fetch` downloads
//! one (resumable, every file checked against its SHA-256, installed atomically)
//! with a progress bar; `use` picks the installed model the other subcommands
//! load when neither --model nor PHOTOFIND_MODEL is given; `path` prints its
//! directory; `drop` deletes a model's index from the library.
//!
//! Switching models keeps search up: when the library already has photos,
//! `use` starts a switch. The new model's vectors fill their own index
//! (`photofind index`, or a watching service: `photofind watch`, the app)
//! while search keeps the current model; search switches once the new
//! index covers the library, or at once with `--now`. The old index stays
//! until `photofind model drop`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use photofind_core::live::{self, models::Switched, not_installed};
use photofind_models::{FetchOptions, Manifest, ModelKind, Models, fetch, unverified_warning};

use crate::{Common, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// The known models, which are installed, and which is in use.
    List {
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Download a model (a built-in id, or a manifest file) into the data dir.
    Fetch {
        /// Model id (see `photofind model list`) or path to a manifest .toml
        /// [default: the model in use].
        #[arg(value_name = "ID|MANIFEST")]
        which: Option<String>,
        /// Also make it the model in use.
        #[arg(long = "use")]
        make_current: bool,
    },
    /// Switch to an installed model: at once for an empty library, else
    /// once its index covers the library (search keeps the current model
    /// meanwhile).
    Use {
        /// Model id.
        id: String,
        /// Switch search now, even if the model's index covers only part of
        /// the library (the rest is embedded by the next index run).
        #[arg(long)]
        now: bool,
    },
    /// Delete a model's index from the library (not the model in use).
    Drop {
        /// Model id.
        id: String,
    },
    /// Print the directory of the model in use (or of ID).
    Path {
        /// Model id.
        id: Option<String>,
    },
}

pub fn run(args: Args) -> Result<Outcome> {
    let models = Models::new(&args.common.data_dir()?);
    match args.action {
        Action::List { json } => list(&models, json),
        Action::Fetch { which, make_current } => fetch_model(&models, which, make_current),
        Action::Use { id, now } => use_model(&args.common, &models, &id, now),
        Action::Drop { id } => drop_index(&args.common, &models, &id),
        Action::Path { id } => {
            let id = id.map_or_else(|| models.current(), Ok)?;
            let path = models.path(&id).with_context(|| not_installed(&models, &id))?;
            println!("{}", path.display());
            Ok(Outcome::Done)
        }
    }
}

fn list(models: &Models, json: bool) -> Result<Outcome> {
    let listed = live::models::list(models)?;
    let kinds = kinds(models)?;
    let kind_of = |id: &str| kinds.get(id).cloned().unwrap_or((ModelKind::Clip, None));
    if json {
        let mut entries = Vec::with_capacity(listed.len());
        for m in &listed {
            let mut entry = serde_json::to_value(m)?;
            let (kind, space) = kind_of(&m.id);
            entry["kind"] = kind.as_str().into();
            entry["space"] = space.into();
            entries.push(entry);
        }
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(Outcome::Done);
    }
    let width = listed.iter().map(|m| m.id.len()).max().unwrap_or(0);
    for m in &listed {
        let mark = if m.current {
            "*"
        } else if m.next {
            ">"
        } else {
            " "
        };
        let state = if m.installed.is_some() { "installed" } else { "not installed" };
        let size = if m.size_known { format!("{:>5} MB", m.size / 1_000_000) } else { "   ?? MB".to_owned() };
        let kind = match kind_of(&m.id) {
            (ModelKind::Text, Some(space)) => format!("text for {space}: "),
            _ => String::new(),
        };
        println!("{mark} {:<width$} {size}  {:<13}  {kind}{}", m.id, state, m.description);
    }
    Ok(Outcome::Done)
}

/// The kind (and, for a text model, the image model it embeds for) of every model known:
/// installed ones from the manifest they were installed with, others from the built-in one.
fn kinds(models: &Models) -> Result<HashMap<String, (ModelKind, Option<String>)>> {
    let mut kinds: HashMap<_, _> =
        models.installed()?.into_iter().map(|m| (m.id, (m.kind, m.space))).collect();
    for manifest in Manifest::builtin() {
        kinds.entry(manifest.id).or_insert((manifest.kind, manifest.space));
    }
    Ok(kinds)
}

fn fetch_model(models: &Models, which: Option<String>, make_current: bool) -> Result<Outcome> {
    let manifest = match which {
        Some(arg) if arg.ends_with(".toml") || Path::new(&arg).is_file() => Manifest::load(Path::new(&arg))?,
        Some(id) => builtin(&id)?,
        None => builtin(&models.current()?)?,
    };
    if let Some(warning) = unverified_warning(&manifest) {
        eprintln!("warning: {warning}");
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)).context("cannot catch Ctrl-C")?;
    let bar = ProgressBar::new(manifest.total_size());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    eprintln!("fetching {} ({}, {} MB)", manifest.id, manifest.name, manifest.total_size() / 1_000_000);
    let path = fetch(&manifest, models, &FetchOptions::default(), &cancel, &mut |p| {
        bar.set_length(p.total);
        bar.set_position(p.done);
        let eta = p.eta_secs.map_or_else(String::new, |s| format!("ETA {s}s"));
        bar.set_message(format!("{}/s  {eta}  {}", indicatif::HumanBytes(p.rate), p.file));
    });
    bar.finish_and_clear();
    let path = path.with_context(|| format!("cannot fetch {}", manifest.id))?;
    eprintln!("installed {} in {}", manifest.id, path.display());
    if make_current {
        models.set_current(&manifest.id)?;
        eprintln!("using {}", manifest.id);
    }
    Ok(Outcome::Done)
}

/// Switches at once when nothing would be unsearchable (an empty library,
/// a model whose index already covers it) or when told to; else starts a
/// switch that indexing finishes.
fn use_model(common: &Common, models: &Models, id: &str, now: bool) -> Result<Outcome> {
    let library = common.reading_library()?;
    match live::models::switch(&library, models, id, now)? {
        Switched::AlreadyInUse => eprintln!("{id} is already in use"),
        Switched::Now { coverage } => {
            eprintln!("using {id}");
            if !coverage.complete() {
                eprintln!(
                    "search finds {} of {} photos until `photofind index` (or a watching service) embeds the rest",
                    coverage.vectors, coverage.photos
                );
            }
        }
        Switched::Started { current, coverage } => eprintln!(
            "switching to {id}: its index covers {} of {} photos; search keeps using {current} until it \
             covers them all. `photofind index` (or a running `photofind watch` or app, once restarted) \
             embeds the rest; `photofind model use {id} --now` switches at once",
            coverage.vectors, coverage.photos
        ),
    }
    Ok(Outcome::Done)
}

/// Deletes a model's index; never the one search uses.
fn drop_index(common: &Common, models: &Models, id: &str) -> Result<Outcome> {
    if id == models.current()? {
        anyhow::bail!(
            "{id} is the model in use: switch to another (`photofind model use ID`) before dropping its index"
        );
    }
    let library = common.library()?;
    let _writer = library.lock_writer("photofind model drop")?;
    if models.next()?.as_deref() == Some(id) {
        models.clear_next()?;
        eprintln!("abandoned the switch to {id}");
    }
    match library.drop_model(id)? {
        Some(vectors) => eprintln!("dropped the index of {id} ({vectors} vectors)"),
        None => eprintln!("the library has no index for {id}"),
    }
    Ok(Outcome::Done)
}

fn builtin(id: &str) -> Result<Manifest> {
    Manifest::find_builtin(id).with_context(|| {
        let known: Vec<String> = Manifest::builtin().into_iter().map(|m| m.id).collect();
        format!("no built-in model {id:?} (known: {}); or give a manifest file", known.join(", "))
    })
}
