//! CPU time to turn a photo file's bytes into the model's input.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cpu_time::ThreadTime;
use photofind_clip::Clip;
use photofind_core::{Embedder, photo};
use serde_json::{Value, json};

use crate::{mean, quantile};

#[derive(clap::Args)]
pub struct Args {
    /// A folder of JPEGs (bench/make_photos.py).
    dir: PathBuf,
    /// The checkpoint whose preprocessing to run.
    #[arg(long)]
    model: PathBuf,
    /// At most this many photos.
    #[arg(long, default_value_t = 30)]
    limit: usize,
}

/// Per-photo thread CPU ms of (decode, prepare) for one way of decoding.
struct Costs {
    decode: Vec<f64>,
    prepare: Vec<f64>,
}

impl Costs {
    fn report(mut self) -> Value {
        let total: Vec<f64> = self.decode.iter().zip(&self.prepare).map(|(d, p)| d + p).collect();
        let mut sorted = total.clone();
        json!({
            "decode_ms": mean(&self.decode),
            "prepare_ms": mean(&self.prepare),
            "total_ms_mean": mean(&total),
            "total_ms_p50": quantile(&mut sorted, 0.5),
            "decode_ms_p50": quantile(&mut self.decode, 0.5),
        })
    }
}

pub fn run(args: &Args) -> Result<Value> {
    let clip = Clip::load(&args.model).with_context(|| format!("loading {}", args.model.display()))?;
    let photos = jpegs(&args.dir, args.limit)?;
    let side = clip.input_short_side();
    let mut full = Costs { decode: Vec::new(), prepare: Vec::new() };
    let mut scaled = Costs { decode: Vec::new(), prepare: Vec::new() };
    let mut sizes = Vec::new();
    for path in &photos {
        let bytes = std::fs::read(path)?;
        for (costs, short_side) in [(&mut full, 0), (&mut scaled, side)] {
            let started = ThreadTime::now();
            let decoded = photo::decode_for_model(path, &bytes, short_side)?;
            let decoded_at = ThreadTime::now();
            let input = clip.prepare_image(&decoded.image)?;
            costs.decode.push(ms(decoded_at.duration_since(started)));
            costs.prepare.push(ms(decoded_at.elapsed()));
            std::hint::black_box(input);
            if short_side > 0 {
                sizes.push((decoded.image.width(), decoded.image.height()));
            }
        }
    }
    Ok(json!({
        "photos": photos.len(),
        "model_short_side": side,
        "full": full.report(),
        "scaled": scaled.report(),
        "scaled_sizes_first": sizes.first(),
    }))
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The JPEGs in `dir`, by name, at most `limit`.
pub fn jpegs(dir: &Path, limit: usize) -> Result<Vec<PathBuf>> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
        })
        .collect();
    all.sort();
    all.truncate(limit);
    anyhow::ensure!(!all.is_empty(), "no JPEGs in {}", dir.display());
    Ok(all)
}
