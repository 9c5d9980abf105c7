//! Reading a photo file into upright 8-bit RGB pixels.

use std::io::{BufRead, BufReader, Cursor, Seek};
use std::path::{Path, PathBuf};

mod big;
mod budget;
pub mod camera;
mod heif;
mod raw;

pub use budget::{DecodeBudget, Reserved, decode_peak};

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, Rgb, RgbImage};

/// Photos above this many pixels are refused before they are decoded, so a
/// decompression bomb fails fast instead of exhausting memory.
pub const MAX_PIXELS: u64 = 250_000_000;

/// Why a photo could not be decoded; always names the file.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The photo.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not an image in a format photofind decodes.
    #[error("{}: not a supported image: {reason}", path.display())]
    Format {
        /// The photo.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// The image declares more pixels than [`MAX_PIXELS`].
    #[error("{}: {width}x{height} pixels is more than photofind decodes ({MAX_PIXELS})", path.display())]
    TooLarge {
        /// The photo.
        path: PathBuf,
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The path is not a regular file (a FIFO, a socket, a device, a folder).
    #[error("{}: not a regular file ({kind})", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// The file is larger than photofind reads.
    #[error("{}: {size} bytes is more than the read limit of {limit} bytes", path.display())]
    TooBig {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The image is damaged part way through.
    #[error("{}: cannot decode: {reason}", path.display())]
    Decode {
        /// The photo.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
}

impl PhotoError {
    /// What went wrong, without the path (a failure record carries it).
    pub fn reason(&self) -> String {
        match self {
            PhotoError::Read { source, .. } => format!("cannot read: {source}"),
            PhotoError::Format { reason, .. } => format!("not a supported image: {reason}"),
            PhotoError::TooLarge { width, height, .. } => {
                format!("{width}x{height} pixels is more than photofind decodes ({MAX_PIXELS})")
            }
            PhotoError::Decode { reason, .. } => format!("cannot decode: {reason}"),
            PhotoError::NotAFile { kind, .. } => format!("not a regular file ({kind})"),
            PhotoError::TooBig { size, limit, .. } => {
                format!("{size} bytes is more than the read limit of {limit} bytes (--max-file-size)")
            }
        }
    }
}

/// Files larger than this are not read unless the caller says otherwise:
/// far above any camera's photo, far below a video named `.jpg`.
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// Reads the file at `path` whole, if it is a regular file of at most
/// `limit` bytes. It is opened without blocking and checked once open, so
/// a FIFO (or a file swapped for one since the walk) can never hang the
/// reader, and the size is checked on the open file, not on an earlier stat.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, PhotoError> {
    use std::io::Read;
    let file = open_regular(path)?;
    let size = file.metadata().map_err(|source| read_error(path, source))?.len();
    if size > limit {
        return Err(PhotoError::TooBig { path: path.to_owned(), size, limit });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|source| read_error(path, source))?;
    if bytes.len() as u64 > limit {
        return Err(PhotoError::TooBig { path: path.to_owned(), size: bytes.len() as u64, limit });
    }
    Ok(bytes)
}

/// Opens `path` for reading without blocking, and only if it is a regular file.
fn open_regular(path: &Path) -> Result<std::fs::File, PhotoError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(|source| read_error(path, source))?;
    let kind = file.metadata().map_err(|source| read_error(path, source))?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let kind = if kind.is_dir() { "a folder" } else { special_kind(&kind) };
    Err(PhotoError::NotAFile { path: path.to_owned(), kind })
}

#[cfg(unix)]
pub(crate) fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    match () {
        _ if kind.is_fifo() => "a FIFO",
        _ if kind.is_socket() => "a socket",
        _ if kind.is_block_device() || kind.is_char_device() => "a device",
        _ => "not a file",
    }
}

#[cfg(not(unix))]
pub(crate) fn special_kind(_: &std::fs::FileType) -> &'static str {
    "not a file"
}

/// The size a photo's header declares and its decoder's bytes per pixel,
/// read without decoding: what [`decode_peak`] needs.
pub fn header(bytes: &[u8]) -> Option<(u32, u32, u64)> {
    if heif::format_name(bytes).is_some() {
        return heif::header(bytes);
    }
    if raw::is_raw(bytes) {
        let preview = raw::preview(bytes, 0).ok()?;
        return Some((preview.width, preview.height, 3));
    }
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    let decoder = reader.into_decoder().ok()?;
    let (width, height) = decoder.dimensions();
    Some((width, height, u64::from(decoder.color_type().bytes_per_pixel())))
}

/// Decodes the photo at `path` into upright RGB: EXIF orientation is applied
/// (for HEIF/AVIF, the container's `irot`/`imir` instead), grey, palette,
/// 16-bit and CMYK images are converted to 8-bit RGB, and transparency is
/// composited over white (as transformers' `convert_to_rgb` does, so a logo
/// on a transparent background looks as CLIP was shown it).
pub fn decode(path: &Path) -> Result<RgbImage, PhotoError> {
    let mut reader = BufReader::new(open_regular(path)?);
    let head = reader.fill_buf().map_err(|source| read_error(path, source))?;
    if heif::format_name(head).is_some() || crate::scan::is_raw(path) {
        // libheif and the RAW reader work in memory: the file is read whole,
        // as the indexer does.
        return decode_bytes(path, &read(path, MAX_FILE_BYTES)?);
    }
    decode_from(path, reader)
}

/// Like [`decode`], for bytes already read from `path` (which only names
/// the photo in errors), so a file is read once to hash and decode it.
pub fn decode_bytes(path: &Path, bytes: &[u8]) -> Result<RgbImage, PhotoError> {
    if heif::format_name(bytes).is_some() {
        return heif::decode(path, bytes).map(|decoded| decoded.image);
    }
    if raw::is_raw(bytes) {
        return raw_preview(path, bytes, 0).map(|decoded| decoded.image);
    }
    decode_from(path, Cursor::new(bytes))
}

/// A photo decoded for a model: its pixels, upright, possibly smaller than
/// the photo, and the photo's own size.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Upright RGB pixels, at least as large as asked for (or the photo's size).
    pub image: RgbImage,
    /// Width and height of the photo itself, upright.
    pub dimensions: (u32, u32),
}

/// Decodes `bytes` no larger than a model needs: a JPEG whose shorter side
/// is at least twice `short_side` is decoded at the smallest DCT scale
/// (1/2, 1/4 or 1/8, by libjpeg-turbo) that keeps its shorter side at least
/// `2 * short_side`, so the model's own resize still averages several
/// pixels into each one it keeps. Anything else (other formats, CMYK, a
/// JPEG libjpeg-turbo refuses, `short_side` 0) is decoded in full by
/// [`decode_bytes`].
///
/// A PNG larger than [`big::STREAM_ABOVE`] pixels is streamed row by row and
/// box-averaged down to the same `2 * short_side` while it is decoded, so a
/// 15k×15k 16-bit scan never exists in memory at full size.
///
/// HEIC/HEIF and AVIF are decoded in full (neither HEVC nor AV1 decodes at a
/// reduced scale). A camera RAW file is its largest embedded JPEG preview
/// whose shorter side is at least `2 * short_side` (sensor data is never
/// demosaiced), oriented by the RAW's own EXIF.
pub fn decode_for_model(path: &Path, bytes: &[u8], short_side: u32) -> Result<Decoded, PhotoError> {
    if heif::format_name(bytes).is_some() {
        return heif::decode(path, bytes);
    }
    if raw::is_raw(bytes) {
        return raw_preview(path, bytes, short_side.saturating_mul(2));
    }
    if short_side > 0
        && let Some(decoded) = scaled_jpeg(path, bytes, short_side.saturating_mul(2))?
    {
        return Ok(decoded);
    }
    if short_side > 0
        && let Some(decoded) = big::streamed_png(path, bytes, short_side.saturating_mul(2))?
    {
        return Ok(decoded);
    }
    let image = decode_bytes(path, bytes)?;
    Ok(Decoded { dimensions: image.dimensions(), image })
}

/// Decodes `bytes` to be looked at (a thumbnail, a larger view) at least
/// `short_side` on its shorter side where the photo allows, as
/// [`decode_for_model`] does, except that a camera RAW file gives its largest
/// embedded preview whatever its size: to show, any preview beats none.
pub fn decode_for_display(path: &Path, bytes: &[u8], short_side: u32) -> Result<Decoded, PhotoError> {
    if raw::is_raw(bytes) {
        return raw_preview(path, bytes, 0);
    }
    decode_for_model(path, bytes, short_side)
}

/// A camera RAW file's embedded preview of at least `min_short` pixels on
/// its shorter side (the largest when 0), decoded upright: the RAW's own
/// orientation wins over the preview's (cameras store the preview as the
/// sensor saw it). No preview large enough is the file's failure, with why.
fn raw_preview(path: &Path, bytes: &[u8], min_short: u32) -> Result<Decoded, PhotoError> {
    let preview = raw::preview(bytes, min_short)
        .map_err(|err| PhotoError::Format { path: path.to_owned(), reason: err.to_string() })?;
    let orientation = u8::try_from(preview.orientation)
        .ok()
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    if min_short > 0
        && let Some(decoded) = jpeg_at_scale(path, preview.jpeg, min_short, Some(orientation))?
    {
        return Ok(decoded);
    }
    let mut decoder = open_decoder(path, Cursor::new(preview.jpeg))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooLarge { path: path.to_owned(), width, height });
    }
    let _ = decoder.orientation(); // the JPEG's own tag: not this photo's
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(path, e))?;
    image.apply_orientation(orientation);
    let image = to_rgb(image);
    Ok(Decoded { dimensions: image.dimensions(), image })
}

/// The DCT-scaled decode, or `None` where it does not apply.
fn scaled_jpeg(path: &Path, bytes: &[u8], min_short: u32) -> Result<Option<Decoded>, PhotoError> {
    jpeg_at_scale(path, bytes, min_short, None)
}

/// The DCT-scaled decode oriented by `orientation`, else by the JPEG's own
/// EXIF; `None` where it does not apply.
fn jpeg_at_scale(
    path: &Path,
    bytes: &[u8],
    min_short: u32,
    orientation: Option<Orientation>,
) -> Result<Option<Decoded>, PhotoError> {
    if image::guess_format(bytes).ok() != Some(image::ImageFormat::Jpeg) {
        return Ok(None);
    }
    let Ok(header) = turbojpeg::read_header(bytes) else { return Ok(None) };
    if !matches!(header.colorspace, turbojpeg::Colorspace::YCbCr | turbojpeg::Colorspace::Gray) {
        return Ok(None);
    }
    let (width, height) = (header.width as u64, header.height as u64);
    if width * height > MAX_PIXELS {
        return Err(PhotoError::TooLarge {
            path: path.to_owned(),
            width: width as u32,
            height: height as u32,
        });
    }
    let Some(denom) = jpeg_denom(header.width as u32, header.height as u32, min_short) else {
        return Ok(None);
    };
    let (w, h) = (width.div_ceil(denom) as usize, height.div_ceil(denom) as usize);
    let mut out = turbojpeg::Image {
        pixels: vec![0u8; w * h * 3],
        width: w,
        pitch: w * 3,
        height: h,
        format: turbojpeg::PixelFormat::RGB,
    };
    let Ok(mut decompressor) = turbojpeg::Decompressor::new() else { return Ok(None) };
    if decompressor.decompress(bytes, out.as_deref_mut()).is_err() {
        return Ok(None); // truncated or odd: the full decoder copes, or says why
    }
    let Some(pixels) = RgbImage::from_raw(w as u32, h as u32, out.pixels) else { return Ok(None) };
    let mut image = DynamicImage::ImageRgb8(pixels);
    let mut dimensions = (width as u32, height as u32);
    if let Some(orientation) = orientation.or_else(|| exif_orientation(bytes)) {
        image.apply_orientation(orientation);
        if matches!(
            orientation,
            Orientation::Rotate90
                | Orientation::Rotate270
                | Orientation::Rotate90FlipH
                | Orientation::Rotate270FlipH
        ) {
            dimensions = (dimensions.1, dimensions.0);
        }
    }
    Ok(Some(Decoded { image: image.into_rgb8(), dimensions }))
}

/// The DCT scale (1/8, 1/4, 1/2) a JPEG is decoded at so its shorter side
/// stays at least `min_short`; `None` for a full decode.
pub(crate) fn jpeg_denom(width: u32, height: u32, min_short: u32) -> Option<u64> {
    let short = u64::from(width.min(height));
    [8u64, 4, 2].into_iter().find(|d| short.div_ceil(*d) >= u64::from(min_short))
}

pub(crate) fn exif_orientation(bytes: &[u8]) -> Option<Orientation> {
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).ok()?;
    let value = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?.value.get_uint(0)?;
    Orientation::from_exif(u8::try_from(value).ok()?)
}

/// blake3 of a photo's bytes: its identity in the library, wherever it lives.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// The image format of `bytes` by their signature, lower case (`jpeg`,
/// `png`, `webp`, `gif`, `bmp`, `tiff`; `heic`, `avif` or `heif` by the
/// `ftyp` brand), if photofind knows it.
pub fn format_name(bytes: &[u8]) -> Option<&'static str> {
    use image::ImageFormat as F;
    if let Some(name) = heif::format_name(bytes).or_else(|| raw::format_name(bytes)) {
        return Some(name);
    }
    Some(match image::guess_format(bytes).ok()? {
        F::Jpeg => "jpeg",
        F::Png => "png",
        F::WebP => "webp",
        F::Gif => "gif",
        F::Bmp => "bmp",
        F::Tiff => "tiff",
        _ => return None,
    })
}

/// When the photo was taken, from its EXIF `DateTimeOriginal` (or
/// `DateTime`), as `YYYY-MM-DDTHH:MM:SS` in the camera's local time. Missing
/// or malformed EXIF gives `None`: it never makes a photo fail. A HEIF
/// file's EXIF is the block libheif finds for its primary image.
pub fn capture_time(bytes: &[u8]) -> Option<String> {
    if heif::format_name(bytes).is_some() {
        return capture_time_in_tiff(heif::exif(bytes)?);
    }
    if raw::is_raw(bytes) {
        return raw::capture_time(bytes);
    }
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).ok()?;
    taken(&exif)
}

/// [`capture_time`] of a bare EXIF block (a TIFF header and its IFDs), as
/// HEIF and camera RAW files carry it.
pub(crate) fn capture_time_in_tiff(tiff: Vec<u8>) -> Option<String> {
    taken(&exif::Reader::new().read_raw(tiff).ok()?)
}

fn taken(exif: &exif::Exif) -> Option<String> {
    [exif::Tag::DateTimeOriginal, exif::Tag::DateTime].into_iter().find_map(|tag| {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        let exif::Value::Ascii(ref lines) = field.value else { return None };
        let t = exif::DateTime::from_ascii(lines.first()?).ok()?;
        (t.year > 0 && (1..=12).contains(&t.month) && (1..=31).contains(&t.day)).then(|| {
            format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year, t.month, t.day, t.hour, t.minute, t.second)
        })
    })
}

fn decode_from(path: &Path, reader: impl BufRead + Seek) -> Result<RgbImage, PhotoError> {
    let mut decoder = open_decoder(path, reader)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooLarge { path: path.to_owned(), width, height });
    }
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(path, e))?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok(to_rgb(image))
}

fn to_rgb(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        Rgb([r, g, b].map(|c| over_white(c, a)))
    })
}

/// One channel of Pillow's `alpha_composite` of a pixel over opaque white,
/// in its fixed-point arithmetic so the result is bit-identical.
pub(crate) fn over_white(channel: u8, alpha: u8) -> u8 {
    const PRECISION_BITS: u32 = 7;
    let (c, a) = (u32::from(channel), u32::from(alpha));
    let blend = c * (a << PRECISION_BITS) + 255 * ((255 - a) << PRECISION_BITS) + (0x80 << PRECISION_BITS);
    let divided = ((blend >> 8) + blend) >> 8;
    (divided >> PRECISION_BITS) as u8
}

fn open_decoder<'a, R: BufRead + Seek + 'a>(
    path: &Path,
    reader: R,
) -> Result<impl ImageDecoder + use<'a, R>, PhotoError> {
    let mut reader =
        ImageReader::new(reader).with_guessed_format().map_err(|source| read_error(path, source))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    reader.into_decoder().map_err(|e| decode_error(path, e))
}

fn read_error(path: &Path, source: std::io::Error) -> PhotoError {
    PhotoError::Read { path: path.to_owned(), source }
}

fn decode_error(path: &Path, err: image::ImageError) -> PhotoError {
    let path = path.to_owned();
    match err {
        image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::Decode { path, reason: "the file ends early (truncated?)".into() }
        }
        image::ImageError::IoError(source) => PhotoError::Read { path, source },
        image::ImageError::Unsupported(e) => PhotoError::Format { path, reason: e.to_string() },
        image::ImageError::Limits(e) => PhotoError::Decode { path, reason: e.to_string() },
        other => PhotoError::Decode { path, reason: other.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::over_white;

    #[test]
    fn opaque_keeps_the_colour_and_transparent_becomes_white() {
        for c in [0, 1, 127, 254, 255] {
            assert_eq!(over_white(c, 255), c);
            assert_eq!(over_white(c, 0), 255);
        }
        // Values Pillow's alpha_composite gives (it agrees on all 65536 pairs).
        assert_eq!(over_white(0, 127), 128);
        assert_eq!(over_white(100, 200), 133);
    }
}
