//! `photofind-bench`: the measurements behind docs/PERFORMANCE.md, one
//! subcommand each, each printing one JSON object (bench/run prints the
//! table). Build it in release: `cargo build --release -p photofind-bench`.
//!
//! - `decode DIR --model CKPT`: CPU time per photo to decode and prepare,
//!   full decode against the DCT-scaled one indexing uses.
//! - `matmul`: what candle's matmul reaches on ViT-B/32's shapes (the
//!   machine's peak as photofind sees it).
//! - `embed --model CKPT`: images per second and GFLOP/s of the image tower.
//! - `ann --n N --kind uniform|clustered`: a synthetic library in a real
//!   store with the product's arroy parameters: build time, bytes per
//!   photo, recall@10 against exact search, nearest-neighbour latency.
//! - `query --model CKPT --n N --data-dir DIR`: end-to-end text query
//!   latency (text tower + search + metadata) over N synthetic photos; the
//!   library it builds is one `photofind search --data-dir DIR` can open.
//! - `library --count N --out DIR`: N small distinct JPEGs in year/month
//!   folders, a scale library for the watching service (bench/live).
//! - `browse --data-dir DIR`: the timeline's first and later pages, a page
//!   filtered by words, and reading a query's words, on an indexed library.
//! - `duplicates --n N`: near-duplicate grouping over N synthetic vectors.
//! - `stacks --data-dir DIR`: near-duplicate stacks on an indexed library.

mod ann;
mod browse;
mod decode;
mod duplicates;
mod embed;
mod library;
mod stacks;
mod synth;

use anyhow::Result;
use clap::Parser;

#[derive(Parser)]
#[command(about = "photofind's performance harness (see docs/PERFORMANCE.md)")]
enum Command {
    /// CPU ms per photo to decode and prepare, full decode against scaled.
    Decode(decode::Args),
    /// candle matmul GFLOP/s on ViT-B/32's shapes.
    Matmul(embed::MatmulArgs),
    /// Image-tower throughput and GFLOP/s.
    Embed(embed::Args),
    /// ANN build time, size, recall@10 and latency on synthetic vectors.
    Ann(ann::Args),
    /// End-to-end text query latency over a synthetic library.
    Query(ann::QueryArgs),
    /// N small distinct JPEGs in year/month folders.
    Library(library::Args),
    /// Timeline pages and filters in words on an indexed library.
    Browse(browse::Args),
    /// Near-duplicate grouping: time, pairs checked, copies found.
    Duplicates(duplicates::Args),
    /// Near-duplicate stacks on an indexed library: grouping, stacked page, joining.
    Stacks(stacks::Args),
}

fn main() -> Result<()> {
    let report = match Command::parse() {
        Command::Decode(args) => decode::run(&args)?,
        Command::Matmul(args) => embed::matmul(&args)?,
        Command::Embed(args) => embed::run(&args)?,
        Command::Ann(args) => ann::run(&args)?,
        Command::Query(args) => ann::query(&args)?,
        Command::Library(args) => library::run(&args)?,
        Command::Browse(args) => browse::run(&args)?,
        Command::Duplicates(args) => duplicates::run(&args)?,
        Command::Stacks(args) => stacks::run(&args)?,
    };
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// The `q`-quantile (0..=1) of `values` (sorted here).
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let at = ((values.len() - 1) as f64 * q).round() as usize;
    values[at]
}

/// The mean of `values`.
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}
