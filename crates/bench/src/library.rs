//! A scale library on disk: N small distinct JPEGs in year/month folders
//! (`OUT/2011/01/IMG_000123.jpg` …, 15 years, so up to 180 folders), the
//! shape of a real camera library, for benchmarking the watching service
//! over 100,000 photos (bench/live).
//!
//! Each photo is a gradient between two random colours with a few random
//! patches on top, drawn from a generator seeded by (seed, number): the same
//! seed gives the same bytes, and no two photos share pixels (photofind
//! stores one vector per content, so copies would not be embedded again).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

const FIRST_YEAR: u32 = 2011;
const YEARS: usize = 15;
const FOLDERS: usize = YEARS * 12;
const QUALITY: u8 = 85;
const PATCHES: usize = 3;

#[derive(clap::Args)]
pub struct Args {
    /// How many photos.
    #[arg(long)]
    count: usize,
    /// The library's folder (made when missing).
    #[arg(long)]
    out: PathBuf,
    /// Another seed gives other photos.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Width in pixels (the height is 3/4 of it).
    #[arg(long, default_value_t = 96)]
    size: u32,
}

/// What one run wrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Made {
    /// Photos written now.
    pub written: usize,
    /// Photos already there, left alone.
    pub kept: usize,
    /// Bytes written now.
    pub bytes: u64,
}

pub fn run(args: &Args) -> Result<Value> {
    let started = Instant::now();
    let size = (args.size.max(8), (args.size * 3 / 4).max(8));
    let made = make(&args.out, args.count, args.seed, size)?;
    Ok(json!({
        "out": args.out,
        "count": args.count,
        "seed": args.seed,
        "size": [size.0, size.1],
        "folders": FOLDERS.min(args.count),
        "written": made.written,
        "kept": made.kept,
        "bytes_written": made.bytes,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

/// Writes photos `0..count` under `out` (those already there are kept),
/// spread over the threads the machine has.
pub fn make(out: &Path, count: usize, seed: u64, size: (u32, u32)) -> Result<Made> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                scope.spawn(move || make_some(out, count, seed, size, (first..count).step_by(threads)))
            })
            .collect();
        let mut made = Made::default();
        for worker in workers {
            let part = worker.join().map_err(|_| anyhow::anyhow!("a writer thread panicked"))??;
            made.written += part.written;
            made.kept += part.kept;
            made.bytes += part.bytes;
        }
        Ok(made)
    })
}

fn make_some(
    out: &Path,
    count: usize,
    seed: u64,
    size: (u32, u32),
    numbers: impl Iterator<Item = usize>,
) -> Result<Made> {
    let mut made = Made::default();
    for n in numbers {
        let path = photo_path(out, n, count);
        if path.exists() {
            made.kept += 1;
            continue;
        }
        made.bytes += write_photo(&path, &jpeg(n, seed, size)?)?;
        made.written += 1;
    }
    Ok(made)
}

/// Where photo `n` of `count` lives: numbers run in order through the
/// months, as a camera's do.
pub fn photo_path(out: &Path, n: usize, count: usize) -> PathBuf {
    let folder = n * FOLDERS / count.max(1);
    let (year, month) = (FIRST_YEAR + (folder / 12) as u32, folder % 12 + 1);
    out.join(format!("{year}")).join(format!("{month:02}")).join(format!("IMG_{n:06}.jpg"))
}

/// Writes through a temporary name, so a run stopped half-way leaves no
/// truncated photo that the next run would keep.
fn write_photo(path: &Path, bytes: &[u8]) -> Result<u64> {
    let folder = path.parent().context("a photo path has a folder")?;
    std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    let partial = path.with_extension("jpg.partial");
    std::fs::File::create(&partial)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&partial, path))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(bytes.len() as u64)
}

/// Photo `n`'s JPEG bytes.
pub fn jpeg(n: usize, seed: u64, size: (u32, u32)) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, QUALITY).encode_image(&pixels(n, seed, size))?;
    Ok(bytes)
}

fn pixels(n: usize, seed: u64, (width, height): (u32, u32)) -> RgbImage {
    // Multiplying spreads the seeds apart, so seed s photo n+1 is not seed s+1 photo n.
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ n as u64);
    let (from, to): ([f32; 3], [f32; 3]) = (rng.random(), rng.random());
    let angle = rng.random::<f32>() * std::f32::consts::TAU;
    let (dx, dy) = (angle.cos() / width as f32, angle.sin() / height as f32);
    let mut image = RgbImage::from_fn(width, height, |x, y| {
        let t = (0.5 + (x as f32 * dx + y as f32 * dy) / 2.0).clamp(0.0, 1.0);
        Rgb(std::array::from_fn(|c| ((from[c] + (to[c] - from[c]) * t) * 255.0) as u8))
    });
    for _ in 0..PATCHES {
        let (w, h) = (rng.random_range(width / 8..width / 2), rng.random_range(height / 8..height / 2));
        let (x0, y0) = (rng.random_range(0..width - w), rng.random_range(0..height - h));
        let colour = Rgb(rng.random());
        (y0..y0 + h).for_each(|y| (x0..x0 + w).for_each(|x| image.put_pixel(x, y, colour)));
    }
    image
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const SIZE: (u32, u32) = (96, 72);

    #[test]
    fn photos_are_distinct_spread_over_months_and_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let count = 360;
        let made = make(dir.path(), count, 7, SIZE).unwrap();
        assert_eq!((made.written, made.kept), (count, 0));

        let paths: Vec<PathBuf> = (0..count).map(|n| photo_path(dir.path(), n, count)).collect();
        let folders: HashSet<_> = paths.iter().map(|p| p.parent().unwrap().to_owned()).collect();
        assert_eq!(folders.len(), FOLDERS);
        assert!(paths[0].ends_with("2011/01/IMG_000000.jpg"), "{}", paths[0].display());
        assert!(paths[count - 1].ends_with("2025/12/IMG_000359.jpg"), "{}", paths[count - 1].display());

        let bytes: HashSet<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
        let pixels: HashSet<Vec<u8>> = paths.iter().map(|p| image::open(p).unwrap().into_bytes()).collect();
        assert_eq!((bytes.len(), pixels.len()), (count, count));

        let again = make(dir.path(), count, 7, SIZE).unwrap();
        assert_eq!((again.written, again.kept), (0, count));
    }

    #[test]
    fn the_seed_decides_the_photos() {
        assert_eq!(jpeg(3, 1, SIZE).unwrap(), jpeg(3, 1, SIZE).unwrap());
        assert_ne!(jpeg(3, 1, SIZE).unwrap(), jpeg(3, 2, SIZE).unwrap());
        assert_ne!(jpeg(3, 1, SIZE).unwrap(), jpeg(4, 1, SIZE).unwrap());
    }
}
