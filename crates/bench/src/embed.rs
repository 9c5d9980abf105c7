//! What the image tower reaches, against what candle's matmul can do here.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use candle_core::{Device, Tensor};
use image::RgbImage;
use photofind_clip::{Clip, gemm};
use photofind_core::Embedder;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

#[derive(clap::Args)]
pub struct MatmulArgs {
    /// Images per batch (rows are 50 tokens each, as in ViT-B/32).
    #[arg(long, default_value_t = 16)]
    batch: usize,
}

#[derive(clap::Args)]
pub struct Args {
    /// The checkpoint (a full-size ViT-B/32 from bench/make_vitb32.py).
    #[arg(long)]
    model: PathBuf,
    /// Images per model call (what indexing uses).
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Seconds to run for.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// The image tower's linear layers: what `Clip::load` picks for this CPU
    /// (`auto`), its f32 pick (`f32`), candle's matmul, or one packed kernel.
    #[arg(long, value_enum, default_value_t = TowerKernel::Auto)]
    kernel: TowerKernel,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum TowerKernel {
    Auto,
    F32,
    Candle,
    Avx2,
    Avx2I16,
    AvxVnniI16,
    Avx512,
    Avx512I16,
    Avx512Bf16,
    AmxBf16,
    Portable,
    PortableBf16,
    EmulatedAmx,
    PortableI16,
}

impl TowerKernel {
    fn kernel(self) -> Result<Option<gemm::Kernel>> {
        use gemm::{Kernel, Precision};
        let named = |name: &str| Kernel::named(name).map_err(anyhow::Error::msg);
        match self {
            TowerKernel::Auto => Ok(Kernel::detect(Precision::Auto)),
            TowerKernel::F32 => Ok(Kernel::detect(Precision::F32)),
            TowerKernel::Candle => Ok(None),
            TowerKernel::Avx2 => named("Avx2"),
            TowerKernel::Avx2I16 => named("Avx2I16"),
            TowerKernel::AvxVnniI16 => named("AvxVnniI16"),
            TowerKernel::Avx512 => named("Avx512"),
            TowerKernel::Avx512I16 => named("Avx512I16"),
            TowerKernel::Avx512Bf16 => named("Avx512Bf16"),
            TowerKernel::AmxBf16 => named("AmxBf16"),
            TowerKernel::Portable => Ok(Some(Kernel::Portable)),
            TowerKernel::PortableBf16 => Ok(Some(Kernel::PortableBf16)),
            TowerKernel::EmulatedAmx => Ok(Some(Kernel::EmulatedAmx)),
            TowerKernel::PortableI16 => Ok(Some(Kernel::PortableI16)),
        }
    }
}

/// GFLOP/s of candle's matmul on the shapes of ViT-B/32's layers
/// (activations times transposed weights, as candle's Linear does).
pub fn matmul(args: &MatmulArgs) -> Result<Value> {
    let rows = args.batch * 50;
    // The image tower's products, each once per layer.
    let shapes = [
        ("qkv 768x2304", 768, 2304),
        ("out 768x768", 768, 768),
        ("mlp up 768x3072", 768, 3072),
        ("mlp down 3072x768", 3072, 768),
    ];
    let mut results = Vec::new();
    let (mut best, mut best_packed): (f64, f64) = (0.0, 0.0);
    // Seconds per GFLOP of each packed kernel over the tower's shapes, each
    // weighted by its FLOPs: the rate a tower made only of these products runs at.
    let mut tower_seconds = serde_json::Map::new();
    let tower_flops: f64 = shapes.iter().map(|&(_, k, n)| (k * n) as f64).sum();
    for (name, k, n) in shapes {
        let a = Tensor::randn(0f32, 1f32, (rows, k), &Device::Cpu)?;
        let w = Tensor::randn(0f32, 1f32, (n, k), &Device::Cpu)?;
        let w = w.t()?;
        a.matmul(&w)?; // warm-up
        let (mut runs, started) = (0u32, Instant::now());
        while started.elapsed() < Duration::from_secs(2) {
            std::hint::black_box(a.matmul(&w)?);
            runs += 1;
        }
        let gflops = 2.0 * (rows * k * n) as f64 * f64::from(runs) / started.elapsed().as_secs_f64() / 1e9;
        best = best.max(gflops);
        let packed = packed_gflops(&a, &w.t()?, rows)?;
        best_packed = packed.values().filter_map(Value::as_f64).fold(best_packed, f64::max);
        for (kernel, rate) in &packed {
            let share = (k * n) as f64 / tower_flops / rate.as_f64().unwrap_or(f64::NAN);
            let seconds = tower_seconds.get(kernel).and_then(Value::as_f64).unwrap_or(0.0) + share;
            tower_seconds.insert(kernel.clone(), json!(seconds));
        }
        results.push(json!({
            "shape": format!("{rows}x{k} @ {k}x{n}"),
            "layer": name,
            "gflops": gflops,
            "packed_gflops": packed,
        }));
    }
    Ok(json!({
        "threads": threads(),
        "avx512f": avx512(),
        "tower_kernel": tower_kernel(),
        "shapes": results,
        "best_gflops": best,
        "packed_best_gflops": best_packed,
        "packed_tower_mix_gflops": tower_seconds
            .into_iter()
            .map(|(kernel, seconds)| (kernel, json!(1.0 / seconds.as_f64().unwrap_or(f64::NAN))))
            .collect::<serde_json::Map<_, _>>(),
        "text_query_shapes": small_matmuls()?,
    }))
}

/// What `Clip::load` multiplies the image tower with on this CPU.
fn tower_kernel() -> String {
    gemm::Kernel::detect(gemm::Precision::Auto).map_or("candle".to_owned(), |k| format!("{k:?}"))
}

/// GFLOP/s of photofind's packed-weight matmul (`photofind_clip::gemm`) on
/// `a` times `w` (`n × k`) transposed, for each fast kernel this CPU runs.
fn packed_gflops(a: &Tensor, w: &Tensor, rows: usize) -> Result<serde_json::Map<String, Value>> {
    let (n, k) = w.dims2()?;
    let (w, x) = (w.flatten_all()?.to_vec1::<f32>()?, a.flatten_all()?.to_vec1::<f32>()?);
    let mut gflops = serde_json::Map::new();
    let fast = gemm::Kernel::available().into_iter().filter(|k| !k.is_portable());
    for kernel in fast {
        let packed = gemm::PackedWeights::new(kernel.layout(), &w, n, k, None);
        gemm::linear(kernel, &x, rows, &packed);
        let (mut runs, started) = (0u32, Instant::now());
        while started.elapsed() < Duration::from_secs(2) {
            std::hint::black_box(gemm::linear(kernel, &x, rows, &packed));
            runs += 1;
        }
        let rate = 2.0 * (rows * k * n) as f64 * f64::from(runs) / started.elapsed().as_secs_f64() / 1e9;
        gflops.insert(format!("{kernel:?}"), json!(rate));
    }
    Ok(gflops)
}

/// A text query is a handful of tokens: (8 × 512) times 512 × 2048 weights.
/// Activations × transposed weights (candle's Linear) against weights ×
/// transposed activations, in ms per call.
fn small_matmuls() -> Result<Value> {
    let x = Tensor::randn(0f32, 1f32, (8, 512), &Device::Cpu)?;
    let w = Tensor::randn(0f32, 1f32, (2048, 512), &Device::Cpu)?;
    let time = |f: &dyn Fn() -> candle_core::Result<Tensor>| -> Result<f64> {
        f()?;
        let (mut runs, started) = (0u32, Instant::now());
        while started.elapsed() < Duration::from_millis(500) {
            std::hint::black_box(f()?);
            runs += 1;
        }
        Ok(started.elapsed().as_secs_f64() * 1e3 / f64::from(runs))
    };
    let activations_first = time(&|| x.matmul(&w.t()?))?;
    let weights_first = time(&|| w.matmul(&x.t()?)?.t()?.contiguous())?;
    Ok(json!({ "x_wt_ms": activations_first, "w_xt_ms": weights_first }))
}

/// Images per second of the image tower on full batches, and the GFLOP/s that is.
pub fn run(args: &Args) -> Result<Value> {
    let kernel = args.kernel.kernel()?;
    let clip = Clip::load_with(&args.model, Device::Cpu, kernel)
        .with_context(|| format!("loading {}", args.model.display()))?;
    let flops = image_flops(&args.model)?;
    let mut rng = StdRng::seed_from_u64(7);
    let side = clip.input_short_side().max(1);
    let batch: Vec<_> = (0..args.batch)
        .map(|_| {
            let photo = RgbImage::from_fn(side + 32, side, |_, _| {
                image::Rgb([rng.random(), rng.random(), rng.random()])
            });
            clip.prepare_image(&photo)
        })
        .collect::<Result<_, _>>()?;
    clip.embed_images(&batch)?; // warm-up
    let (mut images, started) = (0usize, Instant::now());
    while started.elapsed().as_secs_f64() < args.seconds {
        std::hint::black_box(clip.embed_images(&batch)?);
        images += batch.len();
    }
    let per_second = images as f64 / started.elapsed().as_secs_f64();
    Ok(json!({
        "threads": threads(),
        "batch": args.batch,
        "tower_kernel": kernel.map_or("candle".to_owned(), |k| format!("{k:?}")),
        "images_per_second": per_second,
        "ms_per_image": 1e3 / per_second,
        "gflop_per_image": flops / 1e9,
        "gflops": per_second * flops / 1e9,
    }))
}

/// FLOPs of one image through the vision tower and projection, from config.json.
fn image_flops(model: &std::path::Path) -> Result<f64> {
    let text = std::fs::read_to_string(model.join("config.json"))?;
    let config: Value = serde_json::from_str(&text)?;
    let v = &config["vision_config"];
    let get = |key: &str, default: f64| v[key].as_f64().unwrap_or(default);
    let (h, i, layers) =
        (get("hidden_size", 768.0), get("intermediate_size", 3072.0), get("num_hidden_layers", 12.0));
    let (patch, size) = (get("patch_size", 32.0), get("image_size", 224.0));
    let proj = config["projection_dim"].as_f64().unwrap_or(512.0);
    let patches = (size / patch).powi(2);
    let t = patches + 1.0;
    let per_layer = 4.0 * t * h * h * 2.0 + 2.0 * t * t * h * 2.0 + 2.0 * t * h * i * 2.0;
    Ok(patches * 3.0 * patch * patch * h * 2.0 + layers * per_layer + h * proj * 2.0)
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
