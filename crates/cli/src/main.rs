//! `photofind`: find photos by what is in them, from the command line.
//!
//! Exit codes: 0 success; 1 some inputs failed (each named on stderr, the
//! rest were processed); 2 nothing could be done (bad usage, no model).

mod embed;

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
#[derive(clap::Args)]
struct Common {
    /// CLIP checkpoint directory (config.json, model.safetensors,
    /// tokenizer.json, preprocessor_config.json).
    #[arg(long, env = "PHOTOFIND_MODEL", global = true)]
    model: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the embedding of each image, or of each --text query.
    Embed(embed::Args),
}

/// How a command ended when it did not fail outright.
pub enum Outcome {
    /// Everything worked.
    Done,
    /// Some inputs failed; they were reported on stderr.
    SomeFailed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
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
