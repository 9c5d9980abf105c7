//! CLIP's image preprocessing, equal to transformers' `CLIPImageProcessor`
//! as `preprocessor_config.json` drives it: shortest edge to `size` with
//! Pillow's antialiased filter, center crop, rescale, normalise.
//!
//! Not the `[-1, 1]` scaling of candle's CLIP example: CLIP normalises with
//! the mean and std from the checkpoint.

use std::path::Path;

use image::RgbImage;
use photofind_core::ImageInput;
use serde::Deserialize;

use crate::config::{invalid, read_json};
use crate::error::Result;
use crate::resample::{Filter, resize_window};

const OPENAI_CLIP_MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
// transformers' OPENAI_CLIP_STD (0.26862954, 0.26130258, 0.27577711), as the nearest f32.
const OPENAI_CLIP_STD: [f32; 3] = [0.268_629_55, 0.261_302_6, 0.275_777_1];

/// How the image is first resized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeTo {
    /// The shorter side becomes this long; the aspect ratio is kept.
    ShortestEdge(usize),
    /// Exactly this (height, width).
    Exact(usize, usize),
}

/// `preprocessor_config.json` as data.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocess {
    /// The resize step, if any.
    pub resize: Option<(ResizeTo, Filter)>,
    /// (height, width) of the center crop, if any.
    pub crop: Option<(usize, usize)>,
    /// Multiplier from 0..=255 to the model's range, if any.
    pub rescale: Option<f32>,
    /// Per-channel (mean, std), if normalising.
    pub normalize: Option<([f32; 3], [f32; 3])>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSize {
    Side(usize),
    Map { shortest_edge: Option<usize>, height: Option<usize>, width: Option<usize> },
}

#[derive(Deserialize)]
struct RawPreprocess {
    do_resize: Option<bool>,
    size: Option<RawSize>,
    resample: Option<u32>,
    do_center_crop: Option<bool>,
    crop_size: Option<RawSize>,
    do_rescale: Option<bool>,
    rescale_factor: Option<f32>,
    do_normalize: Option<bool>,
    image_mean: Option<[f32; 3]>,
    image_std: Option<[f32; 3]>,
}

impl Preprocess {
    /// Reads `preprocessor_config.json`, with `CLIPImageProcessor`'s defaults
    /// for missing fields.
    pub fn load(path: &Path) -> Result<Self> {
        let raw: RawPreprocess = read_json(path)?;
        let resize = match raw.do_resize.unwrap_or(true) {
            true => Some((resize_to(path, raw.size.as_ref())?, filter(path, raw.resample.unwrap_or(3))?)),
            false => None,
        };
        let crop = match raw.do_center_crop.unwrap_or(true) {
            true => Some(crop_size(path, raw.crop_size.as_ref())?),
            false => None,
        };
        let rescale = raw.do_rescale.unwrap_or(true).then(|| raw.rescale_factor.unwrap_or(1.0 / 255.0));
        let normalize = raw
            .do_normalize
            .unwrap_or(true)
            .then(|| (raw.image_mean.unwrap_or(OPENAI_CLIP_MEAN), raw.image_std.unwrap_or(OPENAI_CLIP_STD)));
        Ok(Self { resize, crop, rescale, normalize })
    }

    /// The (height, width) this produces from an image of (height, width),
    /// so a loader can check it against the model.
    pub fn output_size(&self, height: usize, width: usize) -> (usize, usize) {
        let resized = self.resize.map_or((height, width), |(to, _)| resized_size(to, height, width));
        self.crop.unwrap_or(resized)
    }

    /// The shorter side a photo must keep for this preprocessing to see
    /// all it uses: what the resize makes it (the larger side for an exact
    /// resize); 0 without a resize (the photo is used as it is).
    pub fn needed_short_side(&self) -> u32 {
        let side = match self.resize {
            Some((ResizeTo::ShortestEdge(side), _)) => side,
            Some((ResizeTo::Exact(h, w), _)) => h.max(w),
            None => 0,
        };
        u32::try_from(side).unwrap_or(0)
    }

    /// Runs every step on an upright RGB photo.
    pub fn apply(&self, photo: &RgbImage) -> ImageInput {
        let resized;
        let photo = match self.resize {
            Some((to, filter)) => {
                let (h, w) = resized_size(to, photo.height() as usize, photo.width() as usize);
                // A crop inside the resized photo: resize only what it keeps.
                let (rows, cols) = match self.crop {
                    Some((ch, cw)) if ch <= h && cw <= w => {
                        let (top, left) = (crop_offset(h, ch) as usize, crop_offset(w, cw) as usize);
                        (top..top + ch, left..left + cw)
                    }
                    _ => (0..h, 0..w),
                };
                resized = resize_window(photo, w as u32, h as u32, filter, rows, cols);
                &resized
            }
            None => photo,
        };
        let (height, width) = self.crop.unwrap_or((photo.height() as usize, photo.width() as usize));
        let data = self.to_planes(photo, height, width);
        ImageInput { height, width, data }
    }

    /// Center-crops (zero-padding where the photo is smaller, as transformers
    /// does), rescales and normalises into channel-major floats.
    fn to_planes(&self, photo: &RgbImage, height: usize, width: usize) -> Vec<f32> {
        let top = crop_offset(photo.height() as usize, height);
        let left = crop_offset(photo.width() as usize, width);
        let scale = self.rescale.unwrap_or(1.0);
        let (mean, std) = self.normalize.unwrap_or(([0.0; 3], [1.0; 3]));
        let mut data = vec![0.0f32; 3 * height * width];
        for c in 0..3 {
            let plane = &mut data[c * height * width..(c + 1) * height * width];
            for (y, row) in plane.chunks_exact_mut(width).enumerate() {
                for (x, out) in row.iter_mut().enumerate() {
                    let value = pixel(photo, y as i64 + top, x as i64 + left, c);
                    *out = (value * scale - mean[c]) / std[c];
                }
            }
        }
        data
    }
}

/// Offset of the crop window in the source; negative when the source is
/// smaller and gets padded (transformers' `center_crop`).
fn crop_offset(source: usize, crop: usize) -> i64 {
    let (source, crop) = (source as i64, crop as i64);
    if source >= crop { (source - crop) / 2 } else { -((crop - source + 1) / 2) }
}

fn pixel(photo: &RgbImage, y: i64, x: i64, c: usize) -> f32 {
    let inside = (0..photo.height() as i64).contains(&y) && (0..photo.width() as i64).contains(&x);
    if inside { f32::from(photo.get_pixel(x as u32, y as u32)[c]) } else { 0.0 }
}

/// transformers' `get_resize_output_image_size` with `default_to_square=False`.
fn resized_size(to: ResizeTo, height: usize, width: usize) -> (usize, usize) {
    match to {
        ResizeTo::Exact(h, w) => (h, w),
        ResizeTo::ShortestEdge(side) => {
            let (short, long) = if width <= height { (width, height) } else { (height, width) };
            let new_long = (side as f64 * long as f64 / short as f64) as usize;
            if width <= height { (new_long, side) } else { (side, new_long) }
        }
    }
}

fn resize_to(path: &Path, size: Option<&RawSize>) -> Result<ResizeTo> {
    match size {
        None => Ok(ResizeTo::ShortestEdge(224)),
        Some(RawSize::Side(side)) => Ok(ResizeTo::ShortestEdge(*side)),
        Some(RawSize::Map { shortest_edge: Some(side), .. }) => Ok(ResizeTo::ShortestEdge(*side)),
        Some(RawSize::Map { height: Some(h), width: Some(w), .. }) => Ok(ResizeTo::Exact(*h, *w)),
        Some(RawSize::Map { .. }) => {
            Err(invalid(path, "size", "{..}", "expected shortest_edge, or height and width"))
        }
    }
    .and_then(|to| match to {
        ResizeTo::ShortestEdge(0) | ResizeTo::Exact(0, _) | ResizeTo::Exact(_, 0) => {
            Err(invalid(path, "size", 0, "must be positive"))
        }
        to => Ok(to),
    })
}

fn crop_size(path: &Path, size: Option<&RawSize>) -> Result<(usize, usize)> {
    let (h, w) = match size {
        None => (224, 224),
        Some(RawSize::Side(side)) => (*side, *side),
        Some(RawSize::Map { height: Some(h), width: Some(w), .. }) => (*h, *w),
        Some(RawSize::Map { .. }) => {
            return Err(invalid(path, "crop_size", "{..}", "expected height and width"));
        }
    };
    if h == 0 || w == 0 {
        return Err(invalid(path, "crop_size", 0, "must be positive"));
    }
    Ok((h, w))
}

/// Pillow's resampling filter numbers, as `resample` stores them.
fn filter(path: &Path, resample: u32) -> Result<Filter> {
    match resample {
        2 => Ok(Filter::Bilinear),
        3 => Ok(Filter::Bicubic),
        other => Err(invalid(path, "resample", other, "photofind supports 2 (bilinear) and 3 (bicubic)")),
    }
}
