//! The vector index at library scale: build time, bytes per photo, recall
//! of the top 10 against exact search, and latency, for several search
//! depths (the recall/latency frontier); and the text query end to end.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use photofind_clip::Clip;
use photofind_core::search::{Query, Term};
use photofind_core::store::{self, ModelKey, Search, Store};
use photofind_core::{Embedder, Library};
use serde_json::{Value, json};

use crate::synth::{Draw, Kind, fill};
use crate::{mean, quantile};

#[derive(clap::Args)]
pub struct Args {
    /// Photos (vectors) in the library.
    #[arg(long, default_value_t = 100_000)]
    n: usize,
    /// Vector length.
    #[arg(long, default_value_t = 512)]
    dims: usize,
    /// How the vectors are spread.
    #[arg(long, value_enum, default_value_t = Kind::Clustered)]
    kind: Kind,
    /// Queries to average over.
    #[arg(long, default_value_t = 200)]
    queries: usize,
    /// Photos per commit while building.
    #[arg(long, default_value_t = 25_000)]
    chunk: usize,
    /// Search depths to try besides the product's, as multiples of arroy's
    /// default (top-k × trees).
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,32,64")]
    depths: Vec<usize>,
    /// Where to build the store (deleted first); default a temporary folder.
    #[arg(long)]
    dir: Option<PathBuf>,
}

const K: usize = 10;
/// The product's trees per index (`store::N_TREES`): arroy's default depth is top-k × trees.
const TREES: usize = 16;

pub fn run(args: &Args) -> Result<Value> {
    let temp;
    let dir = match &args.dir {
        Some(dir) => {
            let _ = std::fs::remove_dir_all(dir);
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new().prefix("photofind-ann").tempdir_in("/var/tmp")?;
            temp.path().to_owned()
        }
    };
    let model = ModelKey { id: "bench".into(), dims: args.dims };
    let mut draw = Draw::new(args.kind, args.dims, 1);
    let vectors: Vec<Vec<f32>> = (0..args.n).map(|_| draw.next()).collect();
    let queries: Vec<Vec<f32>> = (0..args.queries).map(|_| draw.next()).collect();
    let store = Store::open(&dir, Some(&model))?;
    let build = fill(&store, &model, &vectors, args.chunk)?;
    let disk = store.stats()?.disk_bytes;
    let exact: Vec<Vec<u32>> = queries.iter().map(|q| exact_top(&vectors, q)).collect();
    let mut frontier = Vec::new();
    let tried = args.depths.iter().map(|d| K * TREES * d).chain([store::search_k(K)]);
    for search_k in tried {
        let measured = measure(&queries, &exact, |q| {
            Ok(store.nearest_by(Search::Trees(search_k), &model, q, K, None)?)
        })?;
        frontier.push(json!({ "search_k": search_k, "measured": measured }));
    }
    let scan = measure(&queries, &exact, |q| Ok(store.nearest_by(Search::Scan, &model, q, K, None)?))?;
    let product = measure(&queries, &exact, |q| Ok(store.nearest(&model, q, K, None)?))?;
    Ok(json!({
        "n": args.n,
        "dims": args.dims,
        "kind": format!("{:?}", args.kind).to_lowercase(),
        "build_seconds": build.as_secs_f64(),
        "disk_bytes": disk,
        "bytes_per_photo": disk as f64 / args.n as f64,
        "product_search_k": store::search_k(K),
        "scan_limit": store::SCAN_LIMIT,
        "frontier": frontier,
        "scan": scan,
        "product": product,
    }))
}

/// Recall@10 against `exact` and latency of `search` over `queries`.
fn measure(
    queries: &[Vec<f32>],
    exact: &[Vec<u32>],
    search: impl Fn(&[f32]) -> Result<Vec<store::Neighbour>>,
) -> Result<Value> {
    let (mut latencies, mut recalls) = (Vec::new(), Vec::new());
    for (query, truth) in queries.iter().zip(exact) {
        let started = Instant::now();
        let hits = search(query)?;
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        recalls.push(hits.iter().filter(|h| truth.contains(&h.id)).count() as f64 / K as f64);
    }
    Ok(json!({
        "recall_at_10": mean(&recalls),
        "recall_min": recalls.iter().copied().fold(1.0, f64::min),
        "ms_p50": quantile(&mut latencies, 0.5),
        "ms_p99": quantile(&mut latencies, 0.99),
    }))
}

/// Ids (positions) of the `K` vectors with the highest cosine to `query`.
fn exact_top(vectors: &[Vec<f32>], query: &[f32]) -> Vec<u32> {
    let mut scored: Vec<(f32, u32)> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| (v.iter().zip(query).map(|(a, b)| a * b).sum::<f32>(), i as u32))
        .collect();
    scored.select_nth_unstable_by(K, |a, b| b.0.total_cmp(&a.0));
    scored.truncate(K);
    scored.into_iter().map(|(_, id)| id).collect()
}

#[derive(clap::Args)]
pub struct QueryArgs {
    /// The checkpoint (a full-size ViT-B/32 from bench/make_vitb32.py).
    #[arg(long)]
    model: PathBuf,
    /// Photos in the synthetic library.
    #[arg(long, default_value_t = 100_000)]
    n: usize,
    /// The library's data dir (built when it holds no vectors for the model);
    /// `photofind --data-dir DIR search --model CKPT` opens it too.
    #[arg(long)]
    data_dir: PathBuf,
    /// Queries to time.
    #[arg(long, default_value_t = 200)]
    queries: usize,
}

const TEXTS: [&str; 10] = [
    "sunset over mountains",
    "a dog playing in the snow",
    "birthday cake with candles",
    "a red car parked on a street at night",
    "children on a beach",
    "receipt",
    "a cat sleeping on a sofa",
    "fireworks over a city",
    "wedding photo in a garden",
    "screenshot of a spreadsheet",
];

/// Warm text queries end to end, in process: the text tower, the nearest
/// neighbours, the background sample that judges "no good match", and the
/// hits' metadata, as `photofind search` and the app run them.
pub fn query(args: &QueryArgs) -> Result<Value> {
    let loading = Instant::now();
    // f32 text weights first, whatever `auto` keeps on this CPU; then f16.
    let clip = Clip::load_at(&args.model, candle_core::Device::Cpu, photofind_clip::gemm::Precision::F32)
        .with_context(|| format!("loading {}", args.model.display()))?;
    let load_seconds = loading.elapsed().as_secs_f64();
    let model = ModelKey::of(&clip);
    let library = Library::open(&args.data_dir, Some(&model))?;
    let have = library.store().vector_count(&model)?;
    let mut build_seconds = None;
    if have < args.n as u64 {
        let mut draw = Draw::new(Kind::Clustered, model.dims, 2);
        let vectors: Vec<Vec<f32>> = (0..args.n).map(|_| draw.next()).collect();
        build_seconds = Some(fill(library.store(), &model, &vectors, 25_000)?.as_secs_f64());
    }
    let f32_timing = timed(&library, &clip, args.queries)?;
    // The same with the text tower's weights in f16, and how far its vectors move.
    let before: Vec<_> = clip.embed_texts(&TEXTS)?;
    let mut clip = clip;
    clip.halve_text()?;
    let after = clip.embed_texts(&TEXTS)?;
    let min_cosine = before.iter().zip(&after).map(|(a, b)| a.cosine(b)).fold(f32::INFINITY, f32::min);
    let f16_timing = timed(&library, &clip, args.queries)?;
    Ok(json!({
        "n": library.store().vector_count(&model)?,
        "model_load_seconds": load_seconds,
        "build_seconds": build_seconds,
        "f32_text_weights": f32_timing,
        "f16_text_weights": f16_timing,
        "f16_vs_f32_text_cosine_min": min_cosine,
        "limit": 50,
    }))
}

/// `queries` warm text queries end to end, and the text tower alone.
fn timed(library: &Library, clip: &Clip, queries: usize) -> Result<Value> {
    let run = |text: &str| -> Result<f64> {
        let query = Query { positive: vec![Term::Text(text.into())], limit: 50, ..Query::default() };
        let started = Instant::now();
        std::hint::black_box(library.search(clip, &query)?);
        Ok(started.elapsed().as_secs_f64() * 1e3)
    };
    run("warm-up")?;
    let mut total = Vec::new();
    let mut text_only = Vec::new();
    for i in 0..queries {
        let text = TEXTS[i % TEXTS.len()];
        total.push(run(text)?);
        let started = Instant::now();
        std::hint::black_box(clip.embed_texts(&[text])?);
        text_only.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok(json!({
        "query_ms_p50": quantile(&mut total, 0.5),
        "query_ms_p99": quantile(&mut total, 0.99),
        "text_tower_ms_p50": quantile(&mut text_only, 0.5),
    }))
}
