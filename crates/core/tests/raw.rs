//! Camera RAW files through their embedded JPEG preview, against the fixtures
//! `tests/fixtures/make_raw.py` writes (one small container per format): the
//! largest preview that is large enough, upright by the RAW's own EXIF, the
//! capture date; a RAW without a large enough preview fails saying so.

use std::path::{Path, PathBuf};

use photofind_core::photo;

fn raw_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/photos/raw")
}

fn fixture(name: &str) -> (PathBuf, Vec<u8>) {
    let path = raw_dir().join(name);
    let bytes = std::fs::read(&path).expect("fixture");
    (path, bytes)
}

#[test]
fn a_dng_is_its_large_preview_upright_by_the_raws_orientation() {
    let (path, bytes) = fixture("preview.dng");
    assert_eq!(photo::format_name(&bytes), Some("dng"));
    // The preview is 672×448 and the RAW says Orientation 6 (rotate 90° clockwise).
    let decoded = photo::decode_for_model(&path, &bytes, 224).expect("decodes");
    assert_eq!(decoded.dimensions, (448, 672));
    assert_eq!(decoded.image.dimensions(), (448, 672), "448 is 2× a 224 input: no DCT scaling");
    assert!(photo::capture_time(&bytes).is_some(), "the RAW's DateTimeOriginal");
    let full = photo::decode(&path).expect("decodes by path");
    assert_eq!(full.dimensions(), (448, 672), "a plain decode is the largest preview");
}

#[test]
fn a_raw_without_a_large_enough_preview_fails_and_says_so() {
    let (path, bytes) = fixture("tiny.dng");
    let err = photo::decode_for_model(&path, &bytes, 224).expect_err("160×120 is too small");
    let reason = err.reason();
    assert!(reason.contains("no embedded preview of at least 448 px (largest: 160×120)"), "{reason}");
    let (path, bytes) = fixture("truncated.dng");
    let err = photo::decode_for_model(&path, &bytes, 224).expect_err("the preview is cut");
    assert_eq!(
        err.reason(),
        "not a supported image: this RAW file ends inside its embedded preview (is it truncated?)"
    );
}

#[test]
fn every_raw_container_gives_its_preview_and_names_its_format() {
    for (name, format) in [
        ("sample.cr2", "cr2"),
        ("sample.cr3", "cr3"),
        ("sample.nef", "nef"),
        ("sample.orf", "orf"),
        ("sample.raf", "raf"),
        ("sample.rw2", "rw2"),
    ] {
        let (path, bytes) = fixture(name);
        assert_eq!(photo::format_name(&bytes), Some(format), "{name}");
        let decoded = photo::decode_for_model(&path, &bytes, 0).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (w, h) = decoded.dimensions;
        assert_eq!(w.max(h), 300, "{name}: its 300×200 preview, not the sensor data");
        assert!(photo::header(&bytes).is_some(), "{name}: the budget knows its size");
    }
}
