//! `photofind model`: the CLIP checkpoints photofind knows, downloads and uses.
//!
//! `list` shows the built-in manifests and what is installed; `fetch` downloads
//! one (resumable, every file checked against its SHA-256, installed atomically)
//! with a progress bar; `use` picks the installed model the other subcommands
//! load when neither --model nor PHOTOFIND_MODEL is given; `path` prints its
//! directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use photofind_models::{FetchOptions, Manifest, Models, fetch, unverified_warning};
use serde::Serialize;

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
    /// Use an installed model from now on.
    Use {
        /// Model id.
        id: String,
    },
    /// Print the directory of the model in use (or of ID).
    Path {
        /// Model id.
        id: Option<String>,
    },
}

#[derive(Serialize)]
struct Listed {
    id: String,
    name: String,
    description: String,
    size: u64,
    /// Every file's size is published (else `size` is a lower bound).
    size_known: bool,
    dims: u32,
    license: String,
    installed: Option<PathBuf>,
    current: bool,
}

pub fn run(args: Args) -> Result<Outcome> {
    let models = Models::new(&args.common.data_dir()?);
    match args.action {
        Action::List { json } => list(&models, json),
        Action::Fetch { which, make_current } => fetch_model(&models, which, make_current),
        Action::Use { id } => {
            models.set_current(&id)?;
            eprintln!("using {id}");
            Ok(Outcome::Done)
        }
        Action::Path { id } => {
            let id = id.map_or_else(|| models.current(), Ok)?;
            let path = models.path(&id).with_context(|| not_installed(&models, &id))?;
            println!("{}", path.display());
            Ok(Outcome::Done)
        }
    }
}

fn list(models: &Models, json: bool) -> Result<Outcome> {
    let current = models.current()?;
    let installed = models.installed()?;
    let mut manifests = Manifest::builtin();
    for model in &installed {
        if !manifests.iter().any(|m| m.id == model.id)
            && let Ok(manifest) = model.manifest()
        {
            manifests.push(manifest);
        }
    }
    let listed: Vec<Listed> = manifests
        .into_iter()
        .map(|m| Listed {
            installed: installed.iter().find(|i| i.id == m.id).map(|i| i.path.clone()),
            current: m.id == current,
            size: m.total_size(),
            size_known: m.files.iter().all(|f| f.size.is_some()),
            dims: m.dims,
            id: m.id,
            name: m.name,
            description: m.description,
            license: m.license,
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(Outcome::Done);
    }
    for m in &listed {
        let mark = if m.current { "*" } else { " " };
        let state = if m.installed.is_some() { "installed" } else { "not installed" };
        let size = if m.size_known { format!("{:>5} MB", m.size / 1_000_000) } else { "   ?? MB".to_owned() };
        println!("{mark} {:<24} {size}  {:<13}  {}", m.id, state, m.description);
    }
    Ok(Outcome::Done)
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

fn builtin(id: &str) -> Result<Manifest> {
    Manifest::find_builtin(id).with_context(|| {
        let known: Vec<String> = Manifest::builtin().into_iter().map(|m| m.id).collect();
        format!("no built-in model {id:?} (known: {}); or give a manifest file", known.join(", "))
    })
}

/// What to say when `id` is not installed.
pub fn not_installed(models: &Models, id: &str) -> String {
    match Manifest::find_builtin(id) {
        Some(manifest) => photofind_models::missing_model_message(&manifest, models.root()),
        None => format!(
            "model {id} is not installed in {}: see `photofind model list`, or pass --model DIR / \
             PHOTOFIND_MODEL=DIR with any local CLIP checkpoint directory",
            models.root().display()
        ),
    }
}
