//! HEIC/HEIF and AVIF, through the system's libheif (HEVC by libde265, AV1 by dav1d or aom).
//!
//! The primary image is decoded with the container's transformations applied (`irot`, `imir`,
//! `clap`), which is what HEIF says orientation is: the EXIF Orientation tag in a HEIF file is
//! informative only and is never applied on top (iPhones write both, and applying both turns
//! a portrait photo on its side). Neither HEVC nor AV1 can be decoded at a reduced scale, so
//! the photo is decoded at full size, within [`MAX_PIXELS`] checked before decoding.

use std::path::Path;
use std::sync::OnceLock;

use image::{Rgb, RgbImage};
use libheif_rs::{
    ColorSpace, HeifContext, HeifError, HeifErrorCode, HeifErrorSubCode, ImageHandle, LibHeif, RgbChroma,
};

use super::{Decoded, MAX_PIXELS, PhotoError, over_white};

/// Bytes a pixel takes at the decode's peak besides our 8-bit RGB copy: libheif's YCbCr planes
/// (up to 2 bytes a sample, 4:4:4) while it converts them to interleaved 8-bit RGBA.
pub(super) const PEAK_BYTES_PER_PIXEL: u64 = 10;

/// `ftyp` brands of HEVC-coded HEIF (Apple's `heic`, Canon's `heix`, sequences).
const HEIC_BRANDS: &[&[u8; 4]] = &[b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"];
/// `ftyp` brands of AV1-coded HEIF.
const AVIF_BRANDS: &[&[u8; 4]] = &[b"avif", b"avis"];
/// Brands of a HEIF file with no codec named (`mif1` images, `msf1` sequences).
const HEIF_BRANDS: &[&[u8; 4]] = &[b"mif1", b"msf1"];

/// `heic`, `avif` or `heif` when `bytes` start with an ISO-BMFF `ftyp` box of a HEIF brand:
/// its major brand decides, else the first compatible brand that names a codec.
pub(super) fn format_name(bytes: &[u8]) -> Option<&'static str> {
    let size = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    if bytes.get(4..8)? != b"ftyp" || size < 16 {
        return None;
    }
    let ftyp = bytes.get(8..size.min(bytes.len()))?;
    let major = ftyp.get(..4)?;
    let compatible = ftyp.get(8..).unwrap_or_default().chunks_exact(4);
    let named = std::iter::once(major).chain(compatible.clone()).find_map(codec_of);
    named.or_else(|| {
        let generic = std::iter::once(major).chain(compatible).any(|b| HEIF_BRANDS.iter().any(|h| b == *h));
        generic.then_some("heif")
    })
}

fn codec_of(brand: &[u8]) -> Option<&'static str> {
    match () {
        _ if HEIC_BRANDS.iter().any(|b| brand == *b) => Some("heic"),
        _ if AVIF_BRANDS.iter().any(|b| brand == *b) => Some("avif"),
        _ => None,
    }
}

/// libheif, initialised once for the process (its plugins register on first use).
fn libheif() -> &'static LibHeif {
    static LIBHEIF: OnceLock<LibHeif> = OnceLock::new();
    LIBHEIF.get_or_init(LibHeif::new)
}

/// Width and height of the primary image, upright, and the decode's bytes per pixel (for
/// [`super::decode_peak`]), read from the container's boxes without decoding.
pub(super) fn header(bytes: &[u8]) -> Option<(u32, u32, u64)> {
    let context = HeifContext::read_from_bytes(bytes).ok()?;
    let primary = context.primary_image_handle().ok()?;
    Some((primary.width(), primary.height(), PEAK_BYTES_PER_PIXEL))
}

/// Decodes the primary image of `bytes` to upright 8-bit RGB, alpha composited over white.
pub(super) fn decode(path: &Path, bytes: &[u8]) -> Result<Decoded, PhotoError> {
    let failed = |err: HeifError| heif_error(path, bytes, &err);
    let context = HeifContext::read_from_bytes(bytes).map_err(failed)?;
    let primary = context.primary_image_handle().map_err(failed)?;
    let (width, height) = (primary.width(), primary.height());
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooLarge { path: path.to_owned(), width, height });
    }
    let image = decode_primary(path, bytes, &primary)?;
    Ok(Decoded { dimensions: image.dimensions(), image })
}

fn decode_primary(path: &Path, bytes: &[u8], primary: &ImageHandle) -> Result<RgbImage, PhotoError> {
    let alpha = primary.has_alpha_channel();
    let chroma = if alpha { RgbChroma::Rgba } else { RgbChroma::Rgb };
    // No DecodingOptions: libheif-rs 0.20 frees them before libheif reads them, and the
    // defaults are what is wanted (transformations applied; interleaved RGB is 8-bit, so
    // libheif reduces a 10-bit photo itself).
    let decoded = libheif()
        .decode(primary, ColorSpace::Rgb(chroma), None)
        .map_err(|err| heif_error(path, bytes, &err))?;
    let planes = decoded.planes();
    let plane = planes.interleaved.ok_or_else(|| undecoded(path, "libheif gave no RGB pixels"))?;
    let channels = if alpha { 4 } else { 3 };
    let row_bytes = plane.width as usize * channels;
    if plane.stride < row_bytes || plane.data.len() < plane.stride * plane.height as usize {
        return Err(undecoded(path, "libheif gave a malformed RGB plane"));
    }
    let rows = plane.data.chunks(plane.stride).take(plane.height as usize);
    let mut rgb = Vec::with_capacity(plane.width as usize * plane.height as usize * 3);
    for row in rows.map(|row| &row[..row_bytes]) {
        if alpha {
            rgb.extend(
                row.chunks_exact(4).flat_map(|p| Rgb([p[0], p[1], p[2]].map(|c| over_white(c, p[3]))).0),
            );
        } else {
            rgb.extend_from_slice(row);
        }
    }
    RgbImage::from_raw(plane.width, plane.height, rgb)
        .ok_or_else(|| undecoded(path, "libheif gave too few pixels"))
}

/// The primary image's EXIF as a bare TIFF block (libheif's `Exif` item without the 4-byte
/// offset that precedes the TIFF header), for [`super::capture_time`].
pub(super) fn exif(bytes: &[u8]) -> Option<Vec<u8>> {
    let context = HeifContext::read_from_bytes(bytes).ok()?;
    let primary = context.primary_image_handle().ok()?;
    let mut ids = [0; 1];
    if primary.metadata_block_ids(&mut ids, b"Exif") == 0 {
        return None;
    }
    let block = primary.metadata(ids[0]).ok()?;
    let offset = u32::from_be_bytes(block.get(..4)?.try_into().ok()?) as usize;
    let tiff = block.get(4..)?;
    let start = if tiff.get(offset..offset + 4).is_some_and(is_tiff_header) {
        offset
    } else {
        // Some writers get the offset wrong; the header is then near the start.
        tiff.windows(4).take(64).position(is_tiff_header)?
    };
    Some(tiff[start..].to_vec())
}

fn is_tiff_header(bytes: &[u8]) -> bool {
    bytes == b"MM\0*" || bytes == b"II*\0"
}

fn undecoded(path: &Path, reason: &str) -> PhotoError {
    PhotoError::Decode { path: path.to_owned(), reason: reason.to_owned() }
}

/// libheif's error as a [`PhotoError`] a user can act on, naming the format (`HEIC`):
/// damaged data is a decode error, a file libheif does not take (an unsupported codec or
/// feature) a format error.
fn heif_error(path: &Path, bytes: &[u8], err: &HeifError) -> PhotoError {
    let path = path.to_owned();
    let kind = format_name(bytes).unwrap_or("heif").to_ascii_uppercase();
    let message = err.message.trim();
    let detail = if message.is_empty() { format!("{:?}", err.sub_code) } else { message.to_owned() };
    let reason = match (err.code, err.sub_code) {
        // The HEVC/AV1 decoder's own complaint (a NAL unit running past its data is also
        // "end of data" there, but the file is whole: the stream is what is broken).
        (HeifErrorCode::DecoderPluginError, _) => {
            format!("the {kind} file's coded image is damaged: {detail}")
        }
        (_, HeifErrorSubCode::EndOfData) => format!("the {kind} file ends early (truncated?): {detail}"),
        (_, HeifErrorSubCode::NoOrInvalidPrimaryItem) => {
            format!("the {kind} file has no primary image: {detail}")
        }
        (_, HeifErrorSubCode::NonExistingItemReferenced) => {
            format!("the {kind} file names an item it lacks: {detail}")
        }
        (HeifErrorCode::UnsupportedFileType | HeifErrorCode::UnsupportedFeature, _) => {
            return PhotoError::Format {
                path,
                reason: format!("libheif cannot decode this {kind} file: {detail}"),
            };
        }
        (HeifErrorCode::MemoryAllocationError, _) => {
            format!("libheif ran out of memory on this {kind} file: {detail}")
        }
        _ => format!("libheif cannot read this {kind} file: {detail}"),
    };
    PhotoError::Decode { path, reason }
}

#[cfg(test)]
mod tests {
    use super::format_name;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len() as u32;
        let mut bytes = [&size.to_be_bytes(), b"ftyp", major, &[0u8; 4][..]].concat();
        compatible.iter().for_each(|b| bytes.extend_from_slice(*b));
        bytes
    }

    #[test]
    fn the_format_is_named_by_the_ftyp_brands() {
        let cases = [
            (ftyp(b"heic", &[b"mif1", b"heic"]), Some("heic")), // iPhone
            (ftyp(b"heix", &[b"mif1"]), Some("heic")),          // Canon .HIF
            (ftyp(b"mif1", &[b"mif1", b"heic"]), Some("heic")),
            (ftyp(b"avif", &[b"mif1", b"miaf"]), Some("avif")),
            (ftyp(b"mif1", &[b"avif"]), Some("avif")),
            (ftyp(b"mif1", &[b"miaf"]), Some("heif")),
            (ftyp(b"isom", &[b"mp41"]), None), // an MP4
        ];
        for (bytes, name) in cases {
            assert_eq!(format_name(&bytes), name, "{}", String::from_utf8_lossy(&bytes[8..12]));
        }
        assert_eq!(format_name(b"\xff\xd8\xff\xe0"), None);
        assert_eq!(format_name(&[0, 0, 0, 200, b'f', b't', b'y', b'p', b'h', b'e']), None);
    }
}
