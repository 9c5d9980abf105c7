//! `photofind`: find photos by what is in them, from the command line.
//!
//! Exit codes: 0 success; 1 some inputs failed (each named on stderr, the
//! rest were processed), or a search found no good match; 2 nothing could
//! be done (bad usage, no model, an unreadable index).

mod embed;
mod index;
mod library;
mod model;
mod roots;
mod search;
mod status;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Local, offline photo search with CLIP.
#[derive(Parser)]
#[command(name = "photofind", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options every subcommand takes.
#[derive(clap::Args, Clone)]
struct Common {
    /// CLIP checkpoint directory (config.json, model.safetensors,
    /// tokenizer.json, preprocessor_config.json) [default: the model
    /// chosen with `photofind model use`, installed in the data dir].
    #[arg(long, env = "PHOTOFIND_MODEL", global = true)]
    model: Option<PathBuf>,
    /// Where the library's index lives [default: ~/.local/share/photofind].
    #[arg(long, env = "PHOTOFIND_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Add folders to the library and index them (all roots when none given).
    Index(index::Args),
    /// Index, then keep watching the library's folders (Ctrl-C stops).
    Watch(watch::Args),
    /// Find photos by text, by image, or both.
    Search(search::Args),
    /// Roots, counts, model and index size; --errors lists files that failed.
    Status(status::Args),
    /// Add, remove or list the library's folders.
    Roots(roots::Args),
    /// List, download, choose the CLIP model.
    Model(model::Args),
    /// Print the embedding of each image, or of each --text query.
    Embed(embed::Args),
}

/// How a command ended when it did not fail outright.
pub enum Outcome {
    /// Everything worked.
    Done,
    /// Some inputs failed (reported on stderr), or nothing matched well.
    SomeFailed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Index(args) => index::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Search(args) => search::run(args),
        Command::Status(args) => status::run(args),
        Command::Roots(args) => roots::run(args),
        Command::Model(args) => model::run(args),
        Command::Embed(args) => embed::run(args),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Err(err) => {
            eprintln!("photofind: {err:#}");
            ExitCode::from(2)
        }
    }
}
