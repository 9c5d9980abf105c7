//! Pillow's `Image.resize` for 8-bit RGB, reproduced exactly: separable
//! convolution whose support widens with the downscale factor (antialiasing),
//! 22-bit fixed-point weights, a horizontal pass into an 8-bit intermediate,
//! then a vertical pass (Pillow's `libImaging/Resample.c`).
//!
//! CLIP checkpoints were trained on Pillow's output; a generic resizer gives
//! visibly different embeddings on small models.

use std::borrow::Cow;
use std::ops::Range;

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

    /// Input rows (or columns) that output pixels `outs` read.
    fn span(&self, outs: Range<usize>) -> Range<usize> {
        let last = outs.end - 1;
        self.start[outs.start]..self.start[last] + self.len[last]
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
#[cfg(test)]
pub fn resize(src: &RgbImage, width: u32, height: u32, filter: Filter) -> RgbImage {
    resize_window(src, width, height, filter, 0..height as usize, 0..width as usize)
}

/// The `rows × cols` window of [`resize`]'s result, computed without the
/// rest: each output pixel depends only on its own taps, so the window is
/// the same pixels (a center crop after a resize pays for the crop only).
pub fn resize_window(
    src: &RgbImage,
    width: u32,
    height: u32,
    filter: Filter,
    rows: Range<usize>,
    cols: Range<usize>,
) -> RgbImage {
    let (in_w, in_h) = src.dimensions();
    assert!(rows.end <= height as usize && cols.end <= width as usize, "the window lies inside the result");
    if rows.is_empty() || cols.is_empty() {
        return RgbImage::new(cols.len() as u32, rows.len() as u32);
    }
    let horizontal = (width != in_w).then(|| Coefficients::new(in_w as usize, width as usize, filter));
    let vertical = (height != in_h).then(|| Coefficients::new(in_h as usize, height as usize, filter));
    // The horizontal pass only produces the rows the vertical pass reads.
    let (mid, first_row, mid_cols) = match &horizontal {
        Some(h) => {
            let needed = vertical.as_ref().map_or(rows.clone(), |v| v.span(rows.clone()));
            let first = needed.start;
            let width = cols.len();
            (Cow::Owned(resample_rows(src, needed, h, cols.clone())), first, 0..width)
        }
        None => (Cow::Borrowed(src), 0, cols.clone()),
    };
    match &vertical {
        Some(v) => resample_columns(&mid, first_row, v, rows, mid_cols),
        None => match mid {
            // The horizontal pass made exactly the window's rows and columns.
            Cow::Owned(window) => window,
            Cow::Borrowed(src) => {
                let (x, y) = (cols.start as u32, rows.start as u32);
                image::imageops::crop_imm(src, x, y, cols.len() as u32, rows.len() as u32).to_image()
            }
        },
    }
}

/// Horizontal pass: output columns `cols` of input rows `rows`.
fn resample_rows(src: &RgbImage, rows: Range<usize>, c: &Coefficients, cols: Range<usize>) -> RgbImage {
    let out_w = cols.len();
    let mut out = RgbImage::new(out_w as u32, rows.len() as u32);
    let stride = src.width() as usize * 3;
    let input = src.as_raw();
    let output: &mut [u8] = &mut out;
    for (row_out, y) in output.chunks_exact_mut(out_w * 3).zip(rows) {
        let row_in = &input[y * stride..(y + 1) * stride];
        for (x, px) in cols.clone().zip(row_out.chunks_exact_mut(3)) {
            let (start, weights) = c.taps_of(x);
            let mut acc = [1i32 << (PRECISION_BITS - 1); 3];
            let taps = &row_in[start * 3..(start + weights.len()) * 3];
            for (p, &w) in taps.chunks_exact(3).zip(weights) {
                acc[0] += i32::from(p[0]) * w;
                acc[1] += i32::from(p[1]) * w;
                acc[2] += i32::from(p[2]) * w;
            }
            px.copy_from_slice(&acc.map(clip8));
        }
    }
    out
}

/// Vertical pass: output rows `rows`, from columns `cols` of `mid`, whose
/// row 0 is input row `offset`.
fn resample_columns(
    mid: &RgbImage,
    offset: usize,
    c: &Coefficients,
    rows: Range<usize>,
    cols: Range<usize>,
) -> RgbImage {
    let stride = mid.width() as usize * 3;
    let width = cols.len() * 3;
    let mut out = RgbImage::new(cols.len() as u32, rows.len() as u32);
    let input = mid.as_raw();
    let output: &mut [u8] = &mut out;
    let mut acc = vec![0i32; width];
    for (y, row_out) in rows.zip(output.chunks_exact_mut(width)) {
        let (start, weights) = c.taps_of(y);
        acc.fill(1 << (PRECISION_BITS - 1));
        for (i, &w) in weights.iter().enumerate() {
            let row = start + i - offset;
            add_row(&mut acc, &input[row * stride + cols.start * 3..][..width], w);
        }
        for (o, &a) in row_out.iter_mut().zip(&acc) {
            *o = clip8(a);
        }
    }
    out
}

/// `acc[i] += row[i] · w`: AVX2's 8-lane multiply where the CPU has it
/// (the build targets baseline x86-64, whose SSE2 has no 32-bit multiply),
/// the same integers either way.
fn add_row(acc: &mut [i32], row: &[u8], w: i32) {
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx2() {
        // SAFETY: `add_row_avx2` only needs AVX2, which the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { add_row_avx2(acc, row, w) };
    }
    add_row_with(acc, row, w);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn add_row_avx2(acc: &mut [i32], row: &[u8], w: i32) {
    add_row_with(acc, row, w);
}

#[inline(always)]
fn add_row_with(acc: &mut [i32], row: &[u8], w: i32) {
    for (a, &p) in acc.iter_mut().zip(row) {
        *a += i32::from(p) * w;
    }
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
    fn a_window_of_the_resize_is_the_same_pixels_as_cropping_it() {
        let src = RgbImage::from_fn(61, 47, |x, y| {
            image::Rgb([(x * 7 + y * 3) as u8, (x * y) as u8, ((x ^ y) * 5) as u8])
        });
        for (w, h) in [(20, 15), (61, 20), (20, 47), (61, 47), (90, 70)] {
            let full = resize(&src, w, h, Filter::Bicubic);
            for (rows, cols) in [(0..h, 0..w), (2..h - 3, 4..w - 1), (h / 2..h / 2 + 1, 0..1)] {
                let window = resize_window(
                    &src,
                    w,
                    h,
                    Filter::Bicubic,
                    rows.start as usize..rows.end as usize,
                    cols.start as usize..cols.end as usize,
                );
                let cropped = image::imageops::crop_imm(
                    &full,
                    cols.start,
                    rows.start,
                    cols.len() as u32,
                    rows.len() as u32,
                )
                .to_image();
                assert_eq!(window, cropped, "{w}×{h}, rows {rows:?}, columns {cols:?}");
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
