//! Pillow's `Image.resize` for 8-bit RGB, reproduced exactly: separable
//! convolution whose support widens with the downscale factor (antialiasing),
//! 22-bit fixed-point weights, a horizontal pass into an 8-bit intermediate,
//! then a vertical pass (Pillow's `libImaging/Resample.c`).
//!
//! CLIP checkpoints were trained on Pillow's output; a generic resizer gives
//! visibly different embeddings on small models.

use std::borrow::Cow;

use image::RgbImage;

const PRECISION_BITS: u32 = 32 - 8 - 2;

/// A Pillow resampling filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Pillow's `BILINEAR` (triangle, support 1).
    Bilinear,
    /// Pillow's `BICUBIC` (a = -0.5, support 2).
    Bicubic,
}

impl Filter {
    fn support(self) -> f64 {
        match self {
            Filter::Bilinear => 1.0,
            Filter::Bicubic => 2.0,
        }
    }

    fn weight(self, x: f64) -> f64 {
        let x = x.abs();
        match self {
            Filter::Bilinear => (1.0 - x).max(0.0),
            Filter::Bicubic => {
                const A: f64 = -0.5;
                if x < 1.0 {
                    ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
                } else if x < 2.0 {
                    (((x - 5.0) * x + 8.0) * x - 4.0) * A
                } else {
                    0.0
                }
            }
        }
    }
}

/// Fixed-point weights of every output pixel along one axis.
struct Coefficients {
    /// First input index each output pixel reads.
    start: Vec<usize>,
    /// Weights, `taps` per output pixel (only the first `len[i]` are used).
    weights: Vec<i32>,
    len: Vec<usize>,
    taps: usize,
}

impl Coefficients {
    /// Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`.
    fn new(in_size: usize, out_size: usize, filter: Filter) -> Self {
        let scale = in_size as f64 / out_size as f64;
        let filterscale = scale.max(1.0);
        let support = filter.support() * filterscale;
        let taps = support.ceil() as usize * 2 + 1;
        let mut c = Coefficients {
            start: Vec::with_capacity(out_size),
            weights: vec![0; out_size * taps],
            len: Vec::with_capacity(out_size),
            taps,
        };
        for xx in 0..out_size {
            let center = (xx as f64 + 0.5) * scale;
            // C's (int) cast truncates toward zero; both ends are then clamped.
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let raw: Vec<f64> =
                (xmin..xmax).map(|x| filter.weight((x as f64 - center + 0.5) / filterscale)).collect();
            let total: f64 = raw.iter().sum();
            for (slot, w) in c.weights[xx * taps..].iter_mut().zip(&raw) {
                *slot = to_fixed(if total != 0.0 { w / total } else { *w });
            }
            c.start.push(xmin);
            c.len.push(xmax - xmin);
        }
        c
    }

    fn taps_of(&self, out: usize) -> (usize, &[i32]) {
        let w = &self.weights[out * self.taps..out * self.taps + self.len[out]];
        (self.start[out], w)
    }

    /// Input rows (or columns) that any output pixel reads.
    fn span(&self) -> std::ops::Range<usize> {
        let last = self.start.len() - 1;
        self.start[0]..self.start[last] + self.len[last]
    }
}

fn to_fixed(w: f64) -> i32 {
    let scaled = w * f64::from(1u32 << PRECISION_BITS);
    (if w < 0.0 { scaled - 0.5 } else { scaled + 0.5 }) as i32
}

fn clip8(acc: i32) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Resizes like Pillow's `image.resize((width, height), filter)`.
pub fn resize(src: &RgbImage, width: u32, height: u32, filter: Filter) -> RgbImage {
    let (in_w, in_h) = src.dimensions();
    let horizontal = (width != in_w).then(|| Coefficients::new(in_w as usize, width as usize, filter));
    let vertical = (height != in_h).then(|| Coefficients::new(in_h as usize, height as usize, filter));
    // The horizontal pass only produces the rows the vertical pass reads.
    let (mid, first_row) = match &horizontal {
        Some(h) => {
            let rows = vertical.as_ref().map_or(0..in_h as usize, Coefficients::span);
            let first = rows.start;
            (Cow::Owned(resample_rows(src, rows, h)), first)
        }
        None => (Cow::Borrowed(src), 0),
    };
    match &vertical {
        Some(v) => resample_columns(&mid, first_row, v),
        None => mid.into_owned(),
    }
}

fn resample_rows(src: &RgbImage, rows: std::ops::Range<usize>, c: &Coefficients) -> RgbImage {
    let out_w = c.start.len();
    let mut out = RgbImage::new(out_w as u32, rows.len() as u32);
    let stride = src.width() as usize * 3;
    let input = src.as_raw();
    let output: &mut [u8] = &mut out;
    for (row_out, y) in output.chunks_exact_mut(out_w * 3).zip(rows) {
        let row_in = &input[y * stride..(y + 1) * stride];
        for (x, px) in row_out.chunks_exact_mut(3).enumerate() {
            let (start, weights) = c.taps_of(x);
            let mut acc = [1i32 << (PRECISION_BITS - 1); 3];
            for (i, &w) in weights.iter().enumerate() {
                let p = &row_in[(start + i) * 3..(start + i) * 3 + 3];
                for ch in 0..3 {
                    acc[ch] += i32::from(p[ch]) * w;
                }
            }
            px.copy_from_slice(&acc.map(clip8));
        }
    }
    out
}

/// Vertical pass; `offset` is the input row that `mid`'s row 0 holds.
fn resample_columns(mid: &RgbImage, offset: usize, c: &Coefficients) -> RgbImage {
    let width = mid.width() as usize;
    let out_h = c.start.len();
    let mut out = RgbImage::new(width as u32, out_h as u32);
    let stride = width * 3;
    let input = mid.as_raw();
    let output: &mut [u8] = &mut out;
    let mut acc = vec![0i32; stride];
    for (y, row_out) in output.chunks_exact_mut(stride).enumerate() {
        let (start, weights) = c.taps_of(y);
        acc.fill(1 << (PRECISION_BITS - 1));
        for (i, &w) in weights.iter().enumerate() {
            let row = start + i - offset;
            let row_in = &input[row * stride..(row + 1) * stride];
            for (a, &p) in acc.iter_mut().zip(row_in) {
                *a += i32::from(p) * w;
            }
        }
        for (o, &a) in row_out.iter_mut().zip(&acc) {
            *o = clip8(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_of_each_output_pixel_sum_to_one_in_fixed_point() {
        for (in_size, out_size) in [(640, 224), (100, 224), (4000, 224), (225, 224)] {
            let c = Coefficients::new(in_size, out_size, Filter::Bicubic);
            for x in 0..out_size {
                let (_, weights) = c.taps_of(x);
                let sum: i32 = weights.iter().sum();
                // Each weight is rounded on its own: at most half a unit off.
                let slack = weights.len() as i32 / 2 + 1;
                assert!((sum - (1 << PRECISION_BITS)).abs() <= slack, "{in_size}->{out_size} at {x}: {sum}");
            }
        }
    }

    #[test]
    fn a_flat_image_stays_flat() {
        let src = RgbImage::from_pixel(37, 53, image::Rgb([200, 10, 99]));
        let out = resize(&src, 11, 80, Filter::Bicubic);
        assert!(out.pixels().all(|p| p.0 == [200, 10, 99]));
    }

    #[test]
    fn downscaling_averages_over_the_widened_support() {
        // A one-pixel line in 8x is antialiased into grey, not dropped or kept whole.
        let mut src = RgbImage::new(64, 1);
        for x in 0..64 {
            src.put_pixel(x, 0, image::Rgb(if x == 36 { [255; 3] } else { [0; 3] }));
        }
        let out = resize(&src, 8, 1, Filter::Bicubic);
        let peak = out.pixels().map(|p| p[0]).max().unwrap_or(0);
        assert!((20..60).contains(&peak), "peak {peak}");
    }
}
