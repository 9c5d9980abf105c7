//! `cargo bench -p photofind-bench`: the parts on their own, on what the
//! repository carries (the fixture checkpoint and a generated camera-sized
//! JPEG). The library-scale figures come from `bench/run`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use image::ImageEncoder;
use photofind_clip::Clip;
use photofind_core::store::{ModelKey, Store};
use photofind_core::{Embedder, photo};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// A 12 MP JPEG from a fixture photo, with noise so it compresses like a camera's.
fn camera_jpeg() -> Vec<u8> {
    let source = image::open(fixtures().join("photos/astronaut.png")).expect("fixture").to_rgb8();
    let mut big = image::imageops::resize(&source, 4000, 3000, image::imageops::FilterType::Triangle);
    let mut state = 0x2545_f491_u32;
    for pixel in big.pixels_mut() {
        for c in &mut pixel.0 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *c = c.saturating_add_signed((state % 17) as i8 - 8);
        }
    }
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 92)
        .write_image(big.as_raw(), 4000, 3000, image::ExtendedColorType::Rgb8)
        .expect("encodes");
    bytes
}

fn decode(c: &mut Criterion) {
    let clip = Clip::load(&fixtures().join("models/tiny-p32-quickgelu")).expect("fixture model");
    let bytes = camera_jpeg();
    let path = Path::new("camera.jpg");
    let mut group = c.benchmark_group("12 MP JPEG to model input");
    group.sample_size(10);
    group.bench_function("full decode + prepare", |b| {
        b.iter(|| clip.prepare_image(&photo::decode_for_model(path, &bytes, 0).expect("decodes").image))
    });
    group.bench_function("DCT-scaled decode + prepare", |b| {
        let side = clip.input_short_side();
        b.iter(|| clip.prepare_image(&photo::decode_for_model(path, &bytes, side).expect("decodes").image))
    });
    group.finish();
}

fn text(c: &mut Criterion) {
    let clip = Clip::load(&fixtures().join("models/tiny-p32-quickgelu")).expect("fixture model");
    c.bench_function("text tower (fixture model)", |b| {
        b.iter(|| clip.embed_texts(&["sunset over mountains"]))
    });
}

fn nearest(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let model = ModelKey { id: "bench".into(), dims: 512 };
    let store = Store::open(dir.path(), Some(&model)).expect("opens");
    let mut draw = photofind_bench_synth::Draw::new(photofind_bench_synth::Kind::Clustered, 512, 1);
    let vectors: Vec<Vec<f32>> = (0..10_000).map(|_| draw.next()).collect();
    photofind_bench_synth::fill(&store, &model, &vectors, 10_000).expect("fills");
    let query = draw.next();
    c.bench_function("nearest 10 of 10k (512 dims)", |b| b.iter(|| store.nearest(&model, &query, 10, None)));
}

#[path = "../src/synth.rs"]
#[allow(dead_code, missing_docs)]
mod photofind_bench_synth;

criterion_group!(benches, decode, text, nearest);
criterion_main!(benches);
