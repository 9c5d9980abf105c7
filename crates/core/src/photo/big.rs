//! Very large PNGs (scans, panoramas, 16-bit masters) decoded a row at a
//! time and box-averaged down while they stream, so decoding one needs a
//! few rows and the small output, not width × height × 6 bytes.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, RgbImage};
use png::{BitDepth, ColorType, Transformations};

use super::{Decoded, MAX_PIXELS, PhotoError, exif_orientation, over_white};

/// PNGs above this many pixels are streamed (below it, a full decode is
/// cheap and exactly what the reference preprocessing sees).
pub const STREAM_ABOVE: u64 = 40_000_000;

/// Whether [`streamed_png`] takes this PNG (from its IHDR: size, interlace).
pub(super) fn streams(bytes: &[u8], width: u32, height: u32, min_short: u32) -> bool {
    let interlaced = bytes.get(28).is_some_and(|&b| b != 0);
    u64::from(width) * u64::from(height) > STREAM_ABOVE
        && !interlaced
        && width.min(height) / min_short.max(1) >= 2
}

/// The streamed, reduced decode of a large PNG, or `None` where it does not
/// apply (not a PNG, small enough, interlaced, too small to reduce).
pub(super) fn streamed_png(path: &Path, bytes: &[u8], min_short: u32) -> Result<Option<Decoded>, PhotoError> {
    if image::guess_format(bytes).ok() != Some(image::ImageFormat::Png) {
        return Ok(None);
    }
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(Transformations::normalize_to_color8());
    let Ok(mut reader) = decoder.read_info() else { return Ok(None) };
    let info = reader.info();
    let (width, height) = (info.width, info.height);
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(PhotoError::TooLarge { path: path.to_owned(), width, height });
    }
    let factor = width.min(height) / min_short.max(1);
    if pixels <= STREAM_ABOVE || info.interlaced || factor < 2 {
        return Ok(None);
    }
    let (color, depth) = reader.output_color_type();
    if depth != BitDepth::Eight {
        return Ok(None);
    }
    let mut shrink = Shrink::new(width, height, factor);
    let decode_error =
        |e: png::DecodingError| PhotoError::Decode { path: path.to_owned(), reason: e.to_string() };
    let mut rgb = vec![0u8; width as usize * 3];
    let mut y = 0;
    while y < height {
        let Some(row) = reader.next_row().map_err(decode_error)? else { break };
        to_rgb(color, row.data(), &mut rgb);
        shrink.add_row(&rgb);
        y += 1;
    }
    if y < height {
        return Err(PhotoError::Decode {
            path: path.to_owned(),
            reason: "the file ends early (truncated?)".into(),
        });
    }
    let mut image = DynamicImage::ImageRgb8(shrink.finish());
    let mut dimensions = (width, height);
    if let Some(orientation) = exif_orientation(bytes) {
        image.apply_orientation(orientation);
        if matches!(
            orientation,
            image::metadata::Orientation::Rotate90
                | image::metadata::Orientation::Rotate270
                | image::metadata::Orientation::Rotate90FlipH
                | image::metadata::Orientation::Rotate270FlipH
        ) {
            dimensions = (height, width);
        }
    }
    Ok(Some(Decoded { image: image.into_rgb8(), dimensions }))
}

/// One 8-bit row of any colour type as RGB, transparency over white.
fn to_rgb(color: ColorType, row: &[u8], out: &mut [u8]) {
    let px = out.chunks_exact_mut(3);
    match color {
        ColorType::Rgb => out.copy_from_slice(&row[..out.len()]),
        ColorType::Rgba => px.zip(row.chunks_exact(4)).for_each(|(o, p)| {
            for c in 0..3 {
                o[c] = over_white(p[c], p[3]);
            }
        }),
        ColorType::Grayscale => px.zip(row).for_each(|(o, &g)| o.fill(g)),
        ColorType::GrayscaleAlpha => {
            px.zip(row.chunks_exact(2)).for_each(|(o, p)| o.fill(over_white(p[0], p[1])))
        }
        // EXPAND turns palettes into RGB(A); nothing else reaches here.
        ColorType::Indexed => out.fill(0),
    }
}

/// Box-averages rows into `factor` × `factor` cells as they arrive.
struct Shrink {
    width: u32,
    factor: u32,
    out_width: u32,
    sums: Vec<u32>,
    counts: Vec<u32>,
    rows_in_band: u32,
    out: Vec<u8>,
}

impl Shrink {
    fn new(width: u32, height: u32, factor: u32) -> Self {
        let out_width = width.div_ceil(factor);
        let out_height = height.div_ceil(factor);
        Self {
            width,
            factor,
            out_width,
            sums: vec![0; out_width as usize * 3],
            counts: vec![0; out_width as usize],
            rows_in_band: 0,
            out: Vec::with_capacity(out_width as usize * out_height as usize * 3),
        }
    }

    fn add_row(&mut self, rgb: &[u8]) {
        for x in 0..self.width as usize {
            let cell = x / self.factor as usize;
            for c in 0..3 {
                self.sums[cell * 3 + c] += u32::from(rgb[x * 3 + c]);
            }
            self.counts[cell] += 1;
        }
        self.rows_in_band += 1;
        if self.rows_in_band == self.factor {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for (cell, &count) in self.counts.iter().enumerate() {
            for c in 0..3 {
                let sum = self.sums[cell * 3 + c];
                self.out.push(((sum + count / 2) / count.max(1)) as u8);
            }
        }
        self.sums.fill(0);
        self.counts.fill(0);
        self.rows_in_band = 0;
    }

    fn finish(mut self) -> RgbImage {
        if self.rows_in_band > 0 {
            self.flush();
        }
        let height = (self.out.len() / (self.out_width as usize * 3)) as u32;
        RgbImage::from_raw(self.out_width, height, self.out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_average_and_edge_cells_average_what_they_hold() {
        let mut shrink = Shrink::new(3, 3, 2);
        for row in [[0u8, 0, 0, 10, 10, 10, 90, 90, 90], [20, 20, 20, 30, 30, 30, 10, 10, 10], [4; 9]] {
            shrink.add_row(&row);
        }
        let image = shrink.finish();
        assert_eq!(image.dimensions(), (2, 2));
        assert_eq!(image.get_pixel(0, 0).0, [15, 15, 15]); // (0 + 10 + 20 + 30) / 4
        assert_eq!(image.get_pixel(1, 0).0, [50, 50, 50]); // (90 + 10) / 2
        assert_eq!(image.get_pixel(0, 1).0, [4, 4, 4]);
    }

    #[test]
    fn grey_and_alpha_rows_become_rgb_over_white() {
        let mut out = [0u8; 6];
        to_rgb(ColorType::GrayscaleAlpha, &[100, 255, 100, 0], &mut out);
        assert_eq!(out, [100, 100, 100, 255, 255, 255]);
    }
}
