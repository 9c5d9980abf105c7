//! Which camera and lens took a photo, from its EXIF `Make`, `Model` and `LensModel`: what
//! the preview's details show. Like [`super::capture_time`], missing or malformed EXIF gives
//! nothing and never an error.
//!
//! ```
//! use photofind_core::photo::camera::make_and_model;
//!
//! assert_eq!(make_and_model(Some("Apple"), Some("iPhone 12")).as_deref(), Some("Apple iPhone 12"));
//! let nikon = make_and_model(Some("NIKON CORPORATION"), Some("NIKON D850"));
//! assert_eq!(nikon.as_deref(), Some("NIKON D850"));
//! ```

use std::io::Cursor;

use exif::{Exif, In, Value};

const MAKE: u16 = 0x010f;
const MODEL: u16 = 0x0110;
const LENS_MODEL: u16 = 0xa434;

/// Words of a maker's name that are not its brand (`NIKON CORPORATION`, `OLYMPUS IMAGING
/// CORP.`, `LEICA CAMERA AG`), compared lower case without punctuation.
const NOT_THE_BRAND: &[&str] = &[
    "ag",
    "camera",
    "co",
    "coltd",
    "company",
    "corp",
    "corporation",
    "gmbh",
    "imaging",
    "inc",
    "limited",
    "ltd",
    "optical",
];

/// Canon's uuid box in a CR3's `moov`, holding `CMT1` (IFD0) and `CMT2` (the EXIF IFD).
const CR3_CANON_UUID: [u8; 16] = *b"\x85\xc0\xb6\x87\x82\x0f\x11\xe0\x81\x11\xf4\xce\x46\x2b\x6a\x48";

/// The camera and lens a photo's EXIF names; either may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Camera {
    /// Make and model as one name, e.g. `Apple iPhone 12`, `Canon EOS R5`, `NIKON D850`.
    pub make_model: Option<String>,
    /// The lens, e.g. `RF24-105mm F4 L IS USM`.
    pub lens: Option<String>,
}

/// The camera and lens of the photo in `bytes` (JPEG, PNG, WebP, TIFF, HEIF/AVIF or a camera
/// RAW file). A HEIF file's EXIF is the block libheif finds for its primary image; a RAW's is
/// its own IFDs (a CR3's `CMT1`/`CMT2`, a RAF's embedded JPEG).
pub fn camera(bytes: &[u8]) -> Camera {
    let blocks = exif_blocks(bytes);
    let text = |tag| blocks.iter().find_map(|exif| ascii(exif, tag));
    let mut model = text(MODEL);
    let mut make = text(MAKE);
    if model.is_none() && super::raw::format_name(bytes) == Some("raf") {
        model = raf_camera_name(bytes);
        make = make.or_else(|| Some("FUJIFILM".to_owned()));
    }
    Camera { make_model: make_and_model(make.as_deref(), model.as_deref()), lens: text(LENS_MODEL) }
}

/// Make and model as a person names the camera: the model alone when it already starts with
/// the brand (`Canon` + `Canon EOS R5`, `NIKON CORPORATION` + `NIKON D850`), else the brand
/// (the make without `Corporation`, `Co., Ltd.` and the like) and the model.
pub fn make_and_model(make: Option<&str>, model: Option<&str>) -> Option<String> {
    let brand: Vec<&str> = make
        .unwrap_or_default()
        .split_whitespace()
        .filter(|word| !NOT_THE_BRAND.contains(&&*bare(word)))
        .collect();
    let model = model.map(str::trim).filter(|model| !model.is_empty());
    match model {
        None => (!brand.is_empty()).then(|| brand.join(" ")),
        Some(model) => {
            let first = model.split_whitespace().next().map(bare).unwrap_or_default();
            if brand.is_empty() || brand.iter().any(|word| bare(word) == first) {
                Some(model.to_owned())
            } else {
                Some(format!("{} {model}", brand.join(" ")))
            }
        }
    }
}

/// A word lower case with its punctuation dropped (`Co.,` is `co`).
fn bare(word: &str) -> String {
    word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The EXIF blocks of a photo, most telling first.
fn exif_blocks(bytes: &[u8]) -> Vec<Exif> {
    if super::heif::format_name(bytes).is_some() {
        return super::heif::exif(bytes).and_then(parse_tiff).into_iter().collect();
    }
    match super::raw::format_name(bytes) {
        Some("cr3") => [b"CMT1", b"CMT2"].into_iter().filter_map(|name| cr3_block(bytes, name)).collect(),
        Some("raf") => {
            let jpeg = super::raw::preview(bytes, 0).ok().map(|preview| preview.jpeg);
            jpeg.and_then(container).into_iter().collect()
        }
        Some(_) => parse_tiff(as_tiff(bytes)).into_iter().collect(),
        None => container(bytes).into_iter().collect(),
    }
}

/// The EXIF of a JPEG, PNG, WebP or TIFF file.
fn container(bytes: &[u8]) -> Option<Exif> {
    let reader = exif::Reader::new().continue_on_error(true).read_from_container(&mut Cursor::new(bytes));
    reader.or_else(|err| err.distill_partial_result(|_| {})).ok()
}

/// A bare EXIF block (a TIFF header and its IFDs), keeping what parses of a damaged one (an
/// IFD chain that loops back, as Olympus writes them).
fn parse_tiff(tiff: Vec<u8>) -> Option<Exif> {
    let reader = exif::Reader::new().continue_on_error(true).read_raw(tiff);
    reader.or_else(|err| err.distill_partial_result(|_| {})).ok()
}

/// A TIFF-based RAW as a TIFF: Olympus (`IIRO`, `MMOR`) and Panasonic (`IIU\0`) write their
/// own magic number where TIFF has 42, over the same layout.
fn as_tiff(bytes: &[u8]) -> Vec<u8> {
    let mut tiff = bytes.to_vec();
    let magic: Option<[u8; 2]> = match tiff.get(..2) {
        Some(b"II") => Some([42, 0]),
        Some(b"MM") => Some([0, 42]),
        _ => None,
    };
    if let (Some(magic), Some(slot)) = (magic, tiff.get_mut(2..4)) {
        slot.copy_from_slice(&magic);
    }
    tiff
}

/// The `CMT1` (IFD0) or `CMT2` (the EXIF IFD, read as an IFD0) TIFF of a CR3.
fn cr3_block(bytes: &[u8], name: &[u8; 4]) -> Option<Exif> {
    let moov = boxes(bytes).find(|(kind, _)| kind == b"moov")?.1;
    let canon = boxes(moov)
        .find_map(|(kind, body)| body.strip_prefix(&CR3_CANON_UUID).filter(|_| &kind == b"uuid"))?;
    let tiff = boxes(canon).find(|(kind, _)| kind == name)?.1;
    parse_tiff(tiff.to_vec())
}

/// The ISO-BMFF boxes of `data`, as (type, body); stops at the first that runs past the end.
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, rest.len()),
            1 => (16, usize::try_from(u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?)).ok()?),
            size => (8, size),
        };
        let body = rest.get(header..size)?;
        rest = &rest[size..];
        Some((kind, body))
    })
}

/// A RAF's camera name, in its header after the magic, version and camera id.
fn raf_camera_name(bytes: &[u8]) -> Option<String> {
    let name = bytes.get(28..60)?;
    let name = name.split(|&b| b == 0).next()?;
    let name = String::from_utf8_lossy(name).trim().to_owned();
    (!name.is_empty()).then_some(name)
}

/// The text of the primary image's field numbered `tag`, trimmed; `None` when empty. Looked up
/// by number: a CR3's `CMT2` holds the EXIF IFD's fields as an IFD0's.
fn ascii(exif: &Exif, tag: u16) -> Option<String> {
    let field = exif.fields().find(|field| field.tag.number() == tag && field.ifd_num == In::PRIMARY)?;
    let Value::Ascii(ref lines) = field.value else { return None };
    let text = String::from_utf8_lossy(lines.first()?);
    let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::{Path, PathBuf};

    use exif::{Field, Tag};

    fn fixture(name: &str) -> Vec<u8> {
        let path: PathBuf =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/photos").join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// `jpeg` with an EXIF block holding `fields` (in IFD0 for TIFF tags, the EXIF IFD for
    /// the others) inserted after its start-of-image marker.
    fn with_exif(jpeg: &[u8], fields: &[(Tag, &str)]) -> Vec<u8> {
        let fields: Vec<Field> = fields
            .iter()
            .map(|(tag, text)| Field {
                tag: *tag,
                ifd_num: In::PRIMARY,
                value: Value::Ascii(vec![text.as_bytes().to_vec()]),
            })
            .collect();
        let mut writer = exif::experimental::Writer::new();
        fields.iter().for_each(|field| writer.push_field(field));
        let mut tiff = Cursor::new(Vec::new());
        writer.write(&mut tiff, false).expect("writes EXIF");
        let body = [b"Exif\0\0".as_slice(), tiff.get_ref()].concat();
        let length = u16::try_from(body.len() + 2).expect("fits a segment").to_be_bytes();
        [&jpeg[..2], &[0xff, 0xe1], &length, &body, &jpeg[2..]].concat()
    }

    #[test]
    fn a_jpeg_names_its_camera_and_lens() {
        let jpeg = with_exif(
            &fixture("rocket.jpg"),
            &[
                (Tag::Make, "Apple"),
                (Tag::Model, "iPhone 12"),
                (Tag::LensModel, "iPhone 12 back dual wide camera 4.2mm f/1.6"),
            ],
        );
        let expected = Camera {
            make_model: Some("Apple iPhone 12".into()),
            lens: Some("iPhone 12 back dual wide camera 4.2mm f/1.6".into()),
        };
        assert_eq!(camera(&jpeg), expected);
    }

    #[test]
    fn a_photo_without_exif_names_no_camera() {
        for name in ["rocket.jpg", "cat.png", "heif/several.heic"] {
            assert_eq!(camera(&fixture(name)), Camera::default(), "{name}");
        }
        assert_eq!(camera(b"not a photo"), Camera::default());
    }

    #[test]
    fn a_heic_names_the_camera_of_its_primary_images_exif() {
        let camera = camera(&fixture("heif/exif.heic"));
        assert_eq!(camera, Camera { make_model: Some("photofind fixture".into()), lens: None });
    }

    #[test]
    fn raw_files_name_their_maker_from_their_own_ifds() {
        let cases = [
            ("raw/preview.dng", "photofind RAW fixture"),
            ("raw/sample.nef", "NIKON"),
            ("raw/sample.cr2", "Canon"),
            ("raw/sample.cr3", "Canon"),
            ("raw/sample.orf", "OLYMPUS"), // its IFD chain loops back to IFD0
            ("raw/sample.rw2", "Panasonic"),
            ("raw/sample.raf", "FUJIFILM X-FIXTURE"),
        ];
        for (name, expected) in cases {
            assert_eq!(camera(&fixture(name)).make_model.as_deref(), Some(expected), "{name}");
        }
    }

    #[test]
    fn make_and_model_read_as_people_name_cameras() {
        let cases = [
            (Some("Apple"), Some("iPhone 12"), Some("Apple iPhone 12")),
            (Some("Apple"), Some("Apple iPhone 12"), Some("Apple iPhone 12")),
            (Some("Canon"), Some("Canon EOS R5"), Some("Canon EOS R5")),
            (Some("NIKON CORPORATION"), Some("NIKON D850"), Some("NIKON D850")),
            (Some("NIKON CORPORATION"), Some("COOLPIX P1000"), Some("NIKON COOLPIX P1000")),
            (Some("OLYMPUS IMAGING CORP."), Some("E-M5"), Some("OLYMPUS E-M5")),
            (Some("PENTAX Corporation "), Some("PENTAX K100D Super "), Some("PENTAX K100D Super")),
            (
                Some("EASTMAN KODAK COMPANY"),
                Some("KODAK DX6490 ZOOM DIGITAL CAMERA"),
                Some("KODAK DX6490 ZOOM DIGITAL CAMERA"),
            ),
            (Some("Minolta Co., Ltd."), Some("DiMAGE 7"), Some("Minolta DiMAGE 7")),
            (Some("LEICA CAMERA AG"), None, Some("LEICA")),
            (Some("samsung"), Some("SM-G991B"), Some("samsung SM-G991B")),
            (None, Some("X100V"), Some("X100V")),
            (Some("  "), Some(" "), None),
            (None, None, None),
        ];
        for (make, model, expected) in cases {
            assert_eq!(make_and_model(make, model).as_deref(), expected, "{make:?} {model:?}");
        }
    }
}
