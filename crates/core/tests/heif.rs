//! HEIC/HEIF and AVIF through libheif, against the fixtures `tests/fixtures/make_heif.py`
//! writes with the reference stack (pillow-heif, Pillow's AVIF plugin): upright by the
//! container's transforms and never again by EXIF, the primary image of several, alpha over
//! white, capture dates from the EXIF block, the pixels PIL decodes; damaged files are
//! errors that say why, and an index run embeds the good ones and records the bad.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use image::RgbImage;
use photofind_core::index::{self, Options};
use photofind_core::photo::{self, PhotoError};
use photofind_core::store::{ModelKey, Store};
use support::MeanColour;

fn heif_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/photos/heif")
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(heif_dir().join(name)).expect("fixture")
}

fn reference(name: &str) -> RgbImage {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/reference/heif");
    image::open(dir.join(format!("{name}.png"))).expect("reference").into_rgb8()
}

/// Mean absolute difference of two images' channels, in 0..=255.
fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    let sum: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    sum as f64 / a.as_raw().len() as f64
}

/// A fixture that decodes, and what it decodes to.
struct Good {
    name: &'static str,
    format: &'static str,
    /// Width and height, upright.
    size: (u32, u32),
    taken: Option<&'static str>,
}

const fn good(
    name: &'static str,
    format: &'static str,
    size: (u32, u32),
    taken: Option<&'static str>,
) -> Good {
    Good { name, format, size, taken }
}

const GOOD: &[Good] = &[
    good("exif.heic", "heic", (64, 96), Some("2021-07-04T12:34:56")),
    good("stale-exif.heic", "heic", (96, 64), Some("2019-01-02T03:04:05")),
    good("mirror.heic", "heic", (64, 96), None),
    good("ten-bit.heic", "heic", (96, 64), None),
    good("several.heic", "heic", (48, 80), None),
    good("alpha.avif", "avif", (96, 64), Some("2020-02-29T08:00:00")),
];

#[test]
fn each_fixture_decodes_upright_to_the_reference_pixels() {
    for &Good { name, format, size, .. } in GOOD {
        let bytes = bytes(name);
        assert_eq!(photo::format_name(&bytes), Some(format), "{name}");
        let decoded = photo::decode_for_model(Path::new(name), &bytes, 224).expect(name);
        assert_eq!((decoded.image.dimensions(), decoded.dimensions), (size, size), "{name}");
        let expected = reference(name);
        assert_eq!(expected.dimensions(), size, "{name}: the reference's size");
        // libheif 1.15 + libde265 1.0 here, 1.23 + 1.1 in pillow-heif: the HEVC/AV1 decode
        // is exact, YCbCr to RGB rounds a little differently.
        let diff = mean_abs_diff(&decoded.image, &expected);
        // Measured: 0.02 for the HEICs, 0.3 for the AVIF (libavif's YUV conversion in Pillow).
        assert!(diff < 1.0, "{name}: mean abs difference {diff:.3} from PIL's decode");
    }
}

#[test]
fn exif_orientation_is_not_applied_on_top_of_the_containers_rotation() {
    // Both files carry EXIF Orientation 6; only exif.heic has an irot. Applying the tag as
    // well would give 96x64 for the first and 64x96 for the second.
    for (name, size) in [("exif.heic", (64, 96)), ("stale-exif.heic", (96, 64))] {
        let bytes = bytes(name);
        let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&bytes)).expect("exif");
        let orientation = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY).expect("tag");
        assert_eq!(orientation.value.get_uint(0), Some(6), "{name}: the fixture's EXIF");
        assert_eq!(photo::decode_bytes(Path::new(name), &bytes).expect(name).dimensions(), size, "{name}");
    }
}

#[test]
fn the_file_decodes_as_its_bytes_do_and_the_budget_knows_its_size() {
    for &Good { name, .. } in GOOD {
        let path = heif_dir().join(name);
        let from_file = photo::decode(&path).expect(name);
        assert!(from_file == photo::decode_bytes(&path, &bytes(name)).expect(name), "{name}");
        let (width, height, _) = photo::header(&bytes(name)).expect("header");
        assert_eq!((width, height), from_file.dimensions(), "{name}: header");
        assert!(photo::decode_peak(&bytes(name), 224) >= u64::from(width * height) * 3, "{name}");
    }
}

#[test]
fn capture_dates_come_from_the_exif_block() {
    for &Good { name, taken, .. } in GOOD {
        assert_eq!(photo::capture_time(&bytes(name)).as_deref(), taken, "{name}");
    }
}

/// (file, what the reason must say) of each damaged fixture.
const BAD: &[(&str, &str)] = &[
    ("truncated.heic", "the HEIC file ends early (truncated?)"),
    ("garbage.heic", "the HEIC file's coded image is damaged: Decoder plugin generated an error"),
    // libheif 1.15 checks `pitm` as it reads: "'pitm' box references a non-existing image".
    (
        "no-primary.heic",
        "the HEIC file names an item it lacks: Invalid input: Non-existing item ID referenced: 'pitm'",
    ),
];

#[test]
fn damaged_files_are_decode_errors_that_say_why() {
    for &(name, says) in BAD {
        let path = heif_dir().join(name);
        let err = photo::decode_for_model(&path, &bytes(name), 224).expect_err(name);
        assert!(matches!(err, PhotoError::Decode { .. }), "{name}: {err:?}");
        assert!(err.reason().contains(says), "{name}: {}", err.reason());
        assert!(err.to_string().contains(name), "{err}");
        assert_eq!(photo::capture_time(&bytes(name)), None, "{name}");
    }
}

#[test]
fn every_cut_of_a_heic_is_an_error_or_an_image_never_a_panic() {
    let whole = bytes("exif.heic");
    for len in (0..whole.len()).step_by(97) {
        let cut = &whole[..len];
        if let Ok(decoded) = photo::decode_for_model(Path::new("cut.heic"), cut, 224) {
            assert_eq!(decoded.dimensions, (64, 96), "a cut at {len} decoded to another size");
        }
        let _ = (photo::header(cut), photo::capture_time(cut), photo::format_name(cut));
    }
}

#[test]
fn an_index_run_embeds_the_good_files_and_records_the_bad() {
    let data = tempfile::tempdir().expect("tmp");
    let store =
        Store::open(data.path(), Some(&ModelKey { id: "mean-colour".into(), dims: 4 })).expect("opens");
    let options = Options { workers: 2, ..Options::default() };
    let model = MeanColour::new(None);
    let summary = index::run(&store, &model, &[heif_dir()], &options, &AtomicBool::new(false), &mut |_| {})
        .expect("runs");
    let p = &summary.progress;
    assert_eq!((p.embedded, p.failed), (GOOD.len() as u64, BAD.len() as u64));
    let mut failed: Vec<_> = store
        .failures()
        .expect("failures")
        .into_iter()
        .map(|f| (f.path.file_name().expect("name").to_string_lossy().into_owned(), f.reason))
        .collect();
    failed.sort();
    assert_eq!(failed.len(), BAD.len());
    let mut bad = BAD.to_vec();
    bad.sort();
    for ((name, reason), (expected, says)) in failed.iter().zip(bad) {
        assert_eq!(name, expected);
        assert!(reason.contains(says), "{name}: {reason}");
    }
}

#[test]
fn a_heic_that_is_only_its_ftyp_box_is_an_error_not_a_photo() {
    // scripts/make-bad-corpus's photo.heic.
    let bytes = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic";
    assert_eq!(photo::format_name(bytes), Some("heic"));
    let err = photo::decode_for_model(Path::new("photo.heic"), bytes, 224).expect_err("no meta box");
    assert_eq!(
        err.reason(),
        "cannot decode: libheif cannot read this HEIC file: Invalid input: No 'meta' box"
    );
    assert_eq!(photo::header(bytes), None);
}

#[test]
fn heics_decoded_on_several_threads_at_once_decode_as_on_one() {
    // The app decodes on index workers and thumbnail threads at the same time.
    let bytes = bytes("exif.heic");
    let alone = photo::decode_bytes(Path::new("exif.heic"), &bytes).expect("decodes");
    let decoded: Vec<RgbImage> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..8)
            .map(|_| s.spawn(|| photo::decode_bytes(Path::new("exif.heic"), &bytes).expect("decodes")))
            .collect();
        threads.into_iter().map(|t| t.join().expect("joins")).collect()
    });
    for image in decoded {
        assert!(mean_abs_diff(&image, &alone) < 0.01, "a decode on a busy libheif differs");
    }
}
