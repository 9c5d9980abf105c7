//! Synthetic libraries: unit vectors (uniform on the sphere, or in
//! clusters, as photos of the same scenes are) written into a real store
//! the way indexing writes them.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use photofind_core::store::{Change, Embedded, ModelKey, Store};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// How the vectors are spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Uniform on the unit sphere: the hardest case for trees.
    Uniform,
    /// Around 1,000 centres (cosine ≈ 0.8 to their centre).
    Clustered,
}

const CENTRES: usize = 1000;
const SPREAD: f32 = 0.5;

/// Draws unit vectors; the same seed gives the same vectors.
pub struct Draw {
    rng: StdRng,
    dims: usize,
    centres: Vec<Vec<f32>>,
    kind: Kind,
}

impl Draw {
    pub fn new(kind: Kind, dims: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let centres = (0..CENTRES).map(|_| unit(gaussian(&mut rng, dims))).collect();
        Self { rng, dims, centres, kind }
    }

    /// One more vector.
    pub fn next(&mut self) -> Vec<f32> {
        let noise = gaussian(&mut self.rng, self.dims);
        match self.kind {
            Kind::Uniform => unit(noise),
            Kind::Clustered => {
                let centre = &self.centres[self.rng.random_range(0..CENTRES)];
                let scale = SPREAD / (self.dims as f32).sqrt();
                unit(centre.iter().zip(noise).map(|(c, n)| c + scale * n).collect())
            }
        }
    }
}

fn gaussian(rng: &mut StdRng, dims: usize) -> Vec<f32> {
    (0..dims)
        .map(|_| {
            let (u1, u2): (f32, f32) = (rng.random::<f32>().max(f32::MIN_POSITIVE), rng.random());
            (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
        })
        .collect()
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

/// Writes `vectors` as photos into `store` under `model`, `chunk` per
/// transaction (each commit rebuilds the index, as indexing does).
/// Returns the time it took.
pub fn fill(store: &Store, model: &ModelKey, vectors: &[Vec<f32>], chunk: usize) -> Result<Duration> {
    let started = Instant::now();
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for (c, part) in vectors.chunks(chunk.max(1)).enumerate() {
        let changes: Vec<Change> = part
            .iter()
            .enumerate()
            .map(|(i, vector)| {
                let n = c * chunk + i;
                let mut hash = [0u8; 32];
                hash[..8].copy_from_slice(&(n as u64).to_le_bytes());
                Change::Embedded(Embedded {
                    hash,
                    path: PathBuf::from(format!("/bench/library/{:03}/IMG_{n:07}.jpg", n / 1000)),
                    size: 4_000_000,
                    modified: when,
                    dimensions: (4000, 3000),
                    format: "jpeg".into(),
                    captured: Some("2024-06-01T12:00:00".into()),
                    model: model.clone(),
                    vector: vector.clone(),
                })
            })
            .collect();
        store.commit(&changes, 0x9e37_79b9)?;
    }
    Ok(started.elapsed())
}
