//! What the core's integration tests share: a stand-in model that counts
//! its calls, and small photos of distinct content.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use image::{Rgb, RgbImage};
use photofind_core::{EmbedError, Embedder, Embedding, ImageInput};

/// Embeds an image as its mean colour (plus a constant), so distinct
/// colours give distinct vectors. Fails after `fail_after` images if set.
pub struct MeanColour {
    /// Images embedded so far.
    pub embedded: AtomicUsize,
    fail_after: Option<usize>,
    cancel_after: Option<(usize, Arc<AtomicBool>)>,
}

impl MeanColour {
    pub fn new(fail_after: Option<usize>) -> Self {
        Self { embedded: AtomicUsize::new(0), fail_after, cancel_after: None }
    }

    /// Sets `flag` once `after` images are embedded (a user pressing Ctrl-C
    /// mid-run, at a moment that does not depend on the machine's speed).
    pub fn cancelling(after: usize, flag: Arc<AtomicBool>) -> Self {
        Self { cancel_after: Some((after, flag)), ..Self::new(None) }
    }
}

impl Embedder for MeanColour {
    fn model_id(&self) -> &str {
        "mean-colour"
    }
    fn dims(&self) -> usize {
        4
    }
    fn prepare_image(&self, photo: &RgbImage) -> Result<ImageInput, EmbedError> {
        let n = f32::from(u16::try_from(photo.pixels().len().min(60_000)).unwrap_or(1));
        let mut mean = [0f32; 3];
        for p in photo.pixels() {
            (0..3).for_each(|c| mean[c] += f32::from(p.0[c]) / 255.0);
        }
        Ok(ImageInput { height: 1, width: 1, data: mean.iter().map(|m| m / n).collect() })
    }
    fn embed_images(&self, batch: &[ImageInput]) -> Result<Vec<Embedding>, EmbedError> {
        let before = self.embedded.fetch_add(batch.len(), Ordering::SeqCst);
        if self.fail_after.is_some_and(|limit| before + batch.len() > limit) {
            return Err(EmbedError::Inference("the GPU fell off".into()));
        }
        if let Some((after, flag)) = &self.cancel_after
            && before + batch.len() >= *after
        {
            flag.store(true, Ordering::SeqCst);
        }
        Ok(batch.iter().map(|i| Embedding::normalized(vec![i.data[0], i.data[1], i.data[2], 0.5])).collect())
    }
    fn embed_texts(&self, _: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
        Ok(vec![])
    }
}

impl MeanColour {
    /// Images embedded so far.
    pub fn calls(&self) -> usize {
        self.embedded.load(Ordering::SeqCst)
    }
}

/// A small PNG whose bytes differ for every `n` (its pixels encode `n`).
pub fn distinct_png(path: &Path, n: usize) -> PathBuf {
    let colour = Rgb([(n % 251) as u8, (n / 251 % 251) as u8, (n * 29 % 256) as u8]);
    let mut image = RgbImage::from_pixel(8, 8, colour);
    image.put_pixel(0, 0, Rgb([(n & 0xff) as u8, (n >> 8 & 0xff) as u8, (n >> 16 & 0xff) as u8]));
    image.save(path).expect("writes a png");
    path.to_owned()
}

/// A second stand-in model, in another space than [`MeanColour`]: an image
/// is its mean colour backwards (3 dims, blue offset), embedded `delay` per batch, so a
/// test can watch work that takes a while.
pub struct Reversed {
    /// Images embedded so far.
    pub embedded: AtomicUsize,
    delay: std::time::Duration,
}

impl Reversed {
    pub fn new(delay: std::time::Duration) -> Self {
        Self { embedded: AtomicUsize::new(0), delay }
    }

    /// Images embedded so far.
    pub fn calls(&self) -> usize {
        self.embedded.load(Ordering::SeqCst)
    }
}

impl Embedder for Reversed {
    fn model_id(&self) -> &str {
        "reversed"
    }
    fn dims(&self) -> usize {
        3
    }
    fn prepare_image(&self, photo: &RgbImage) -> Result<ImageInput, EmbedError> {
        MeanColour::new(None).prepare_image(photo)
    }
    fn embed_images(&self, batch: &[ImageInput]) -> Result<Vec<Embedding>, EmbedError> {
        std::thread::sleep(self.delay);
        self.embedded.fetch_add(batch.len(), Ordering::SeqCst);
        // Never a zero vector (a black photo): a constant in the first component.
        Ok(batch.iter().map(|i| Embedding::normalized(vec![i.data[2] + 0.3, i.data[1], i.data[0]])).collect())
    }
    fn embed_texts(&self, _: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
        Ok(vec![])
    }
}

/// Indexes `root` of `library` with `model`, one worker, to the end.
pub fn index_root(library: &photofind_core::Library, model: &dyn Embedder, root: &Path) {
    let options = photofind_core::index::Options { workers: 1, ..photofind_core::index::Options::default() };
    photofind_core::index::run(
        library.store(),
        model,
        std::slice::from_ref(&root.to_path_buf()),
        &options,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .expect("indexes");
}
