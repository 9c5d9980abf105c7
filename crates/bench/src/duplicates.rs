//! Near-duplicate grouping (`photofind_core::duplicates`) on synthetic
//! clustered unit vectors, one photo in ten with 1–4 near copies at cosine
//! 0.96–0.99 to it: time, pairs checked, copies found with their photo, and
//! groups that wrongly hold two photos.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use photofind_core::duplicates::grouping;
use photofind_core::store::PhotoId;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use crate::synth::{Draw, Kind};

#[derive(clap::Args)]
pub struct Args {
    /// Photos (vectors, copies included).
    #[arg(long, default_value_t = 100_000)]
    n: usize,
    /// Vector length.
    #[arg(long, default_value_t = 512)]
    dims: usize,
    /// Cosine at and above which photos group.
    #[arg(long, default_value_t = 0.95)]
    threshold: f32,
    /// Weight of one direction every photo shares (CLIP's photo vectors have
    /// a large common component; 0: none).
    #[arg(long, default_value_t = 0.0)]
    shared: f32,
}

/// The synthetic library: vectors by id, each planted copy with its
/// photo, and which ids are photos (not copies).
struct Planted {
    vectors: Vec<(PhotoId, Vec<f32>)>,
    copies: Vec<(PhotoId, PhotoId)>,
    photos: Vec<bool>,
}

pub fn run(args: &Args) -> Result<Value> {
    let planted = plant(args);
    let started = Instant::now();
    let found = grouping(&planted.vectors, args.threshold);
    let seconds = started.elapsed().as_secs_f64();
    let group_of: HashMap<PhotoId, usize> =
        found.groups.iter().enumerate().flat_map(|(g, ids)| ids.iter().map(move |&id| (id, g))).collect();
    let joined =
        planted.copies.iter().filter(|(p, c)| group_of.get(p).is_some_and(|g| group_of.get(c) == Some(g)));
    let mixed =
        found.groups.iter().filter(|ids| ids.iter().filter(|&&id| planted.photos[id as usize]).count() > 1);
    Ok(json!({
        "n": args.n,
        "dims": args.dims,
        "threshold": args.threshold,
        "shared": args.shared,
        "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "seconds": seconds,
        "checks": found.checks,
        "groups": found.groups.len(),
        "copies": planted.copies.len(),
        "copies_found": joined.count() as f64 / planted.copies.len().max(1) as f64,
        "groups_of_two_photos": mixed.count(),
    }))
}

fn plant(args: &Args) -> Planted {
    let mut draw = Draw::new(Kind::Clustered, args.dims, 1);
    let mut sideways = Draw::new(Kind::Uniform, args.dims, 2);
    let shared = sideways.next();
    let mut rng = StdRng::seed_from_u64(3);
    let mut planted = Planted { vectors: Vec::with_capacity(args.n), copies: Vec::new(), photos: Vec::new() };
    while planted.vectors.len() < args.n {
        let photo = unit(draw.next().iter().zip(&shared).map(|(x, s)| x + args.shared * s).collect());
        let id = planted.vectors.len() as PhotoId;
        let copies = if rng.random_range(0..10) == 0 { rng.random_range(1..=4usize) } else { 0 };
        let copies = copies.min(args.n - planted.vectors.len() - 1);
        let near: Vec<Vec<f32>> =
            (0..copies).map(|_| towards(&photo, &sideways.next(), rng.random_range(0.96..0.99))).collect();
        planted.vectors.push((id, photo));
        planted.photos.push(true);
        for (k, copy) in (1..).zip(near) {
            planted.copies.push((id, id + k));
            planted.vectors.push((id + k, copy));
            planted.photos.push(false);
        }
    }
    planted
}

/// The unit vector at `cosine` to unit `v`, turned towards `other`.
fn towards(v: &[f32], other: &[f32], cosine: f32) -> Vec<f32> {
    let along: f32 = v.iter().zip(other).map(|(a, b)| a * b).sum();
    let across = unit(other.iter().zip(v).map(|(o, x)| o - along * x).collect());
    let sine = (1.0 - cosine * cosine).sqrt();
    v.iter().zip(&across).map(|(x, y)| cosine * x + sine * y).collect()
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}
