//! `photofind`: find photos by what is in them, from the command line.
//!
//! Exit codes: 0 success; 1 some inputs failed (each named on stderr, the
//! rest were processed), or a search found no good match; 2 nothing could
//! be done (bad usage, no model, an unreadable index).

mod duplicates;
mod embed;
mod index;
mod library;
mod model;
mod photos;
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
    /// The numbers the image tower multiplies in: `auto`, the fastest this
    /// CPU has that keeps photos' vectors within the fidelity bar (bf16
    /// products on AMX and AMD's AVX512-BF16, i16 on CPUs with VNNI and on
    /// other AVX2 CPUs but Zen 1/2, Haswell and Broadwell), or `f32`.
    #[arg(long, env = "PHOTOFIND_PRECISION", global = true, default_value = "auto")]
    precision: photofind_clip::gemm::Precision,
}

/// A byte count as given on the command line: `1048576`, `512K`, `512M`, `2G`
/// (binary units; `B`, `KiB`, `MB` and the like are read the same way).
fn parse_bytes(text: &str) -> Result<u64, String> {
    let upper = text.trim().to_ascii_uppercase();
    let unit_at = upper.find(|c: char| !c.is_ascii_digit()).unwrap_or(upper.len());
    let (digits, unit) = upper.split_at(unit_at);
    let number: u64 = digits.parse().map_err(|_| format!("{text:?} is not a size (e.g. 512M, 2G)"))?;
    let shift = match unit.trim_end_matches('B').trim_end_matches('I') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("{text:?}: unknown unit (use K, M, G or T)")),
    };
    number.checked_mul(1 << shift).ok_or_else(|| format!("{text:?} is too large"))
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

/// How files are read, for the subcommands that index.
#[derive(clap::Args, Clone)]
struct Reading {
    /// Files larger than this are recorded as failed without being read
    /// (e.g. a video named .jpg). Units K, M, G.
    #[arg(long, value_name = "SIZE", value_parser = parse_bytes, default_value = "512M")]
    max_file_size: u64,
}

impl Reading {
    /// These limits applied to `options`.
    fn apply(&self, options: photofind_core::index::Options) -> photofind_core::index::Options {
        photofind_core::index::Options { max_file_bytes: self.max_file_size, ..options }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Add folders to the library and index them (all roots when none given).
    Index(index::Args),
    /// Index, then keep watching the library's folders (Ctrl-C stops).
    Watch(watch::Args),
    /// Find photos by text, by image, or both.
    Search(search::Args),
    /// List the photos newest first, narrowed by filters (flags or words).
    Photos(photos::Args),
    /// Roots, counts, model and index size; --errors lists files that failed.
    Status(status::Args),
    /// Add, remove or list the library's folders.
    Roots(roots::Args),
    /// List, download, choose the CLIP model.
    Model(model::Args),
    /// Print the embedding of each image, or of each --text query.
    Embed(embed::Args),
    /// Groups of near-duplicate photos (bursts, re-saved or resized copies,
    /// the same file twice), the one to keep first.
    Duplicates(duplicates::Args),
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
    cli.precision.choose();
    let result = match cli.command {
        Command::Index(args) => index::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Search(args) => search::run(args),
        Command::Photos(args) => photos::run(args),
        Command::Status(args) => status::run(args),
        Command::Roots(args) => roots::run(args),
        Command::Model(args) => model::run(args),
        Command::Embed(args) => embed::run(args),
        Command::Duplicates(args) => duplicates::run(args),
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

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes_read_with_binary_units() {
        assert_eq!(parse_bytes("1024"), Ok(1024));
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert_eq!(parse_bytes("2g"), Ok(2 << 30));
        assert_eq!(parse_bytes("4KiB"), Ok(4096));
        assert!(parse_bytes("12 parsecs").is_err());
        assert!(parse_bytes("-1").is_err());
    }
}
