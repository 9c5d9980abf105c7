//! Decoding photos: colour modes and EXIF orientation end as upright 8-bit
//! RGB; bad files are errors that name the file.

use std::path::{Path, PathBuf};

use image::RgbImage;
use photofind_core::photo::{self, PhotoError, content_hash, decode, decode_bytes};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn fixture(file: &str) -> RgbImage {
    decode(&fixtures().join(file)).expect("fixture decodes")
}

/// The variants the fixture generator derived from an original, with that
/// original, as its reference file records them.
fn derived_variants() -> Vec<(String, String)> {
    let path = fixtures().join("reference/tiny-p32-quickgelu.json");
    let reference: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json");
    reference["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter_map(|i| Some((i["file"].as_str()?.to_owned(), i["reference_of"].as_str()?.to_owned())))
        .collect()
}

#[test]
fn exif_orientation_and_16_bit_decode_to_the_upright_8_bit_original() {
    let lossless: Vec<_> =
        derived_variants().into_iter().filter(|(file, _)| file.ends_with(".png")).collect();
    assert!(lossless.len() >= 4, "expected oriented-3/6/8 and rgb16 PNGs, got {lossless:?}");
    for (variant, original) in lossless {
        assert!(fixture(&variant) == fixture(&original), "{variant} differs from {original}");
    }
}

#[test]
fn grey_becomes_three_equal_channels() {
    let grey = fixture("photos/variants/grey.png");
    assert!(grey.pixels().all(|p| p[0] == p[1] && p[1] == p[2]));
    assert!(grey.pixels().any(|p| p[0] != grey.get_pixel(0, 0)[0]), "not a flat image");
}

#[test]
fn alpha_palette_and_cmyk_decode_to_rgb() {
    for file in ["rgba.png", "palette.png", "cmyk.jpg"] {
        let image = fixture(&format!("photos/variants/{file}"));
        assert!(image.width() > 0 && image.pixels().any(|p| p[0] != p[2]), "{file} lost its colour");
    }
}

#[test]
fn a_missing_file_is_a_read_error_naming_it() {
    let err = decode(Path::new("/nonexistent/beach.jpg")).expect_err("missing");
    assert!(matches!(err, PhotoError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/beach.jpg"), "{err}");
}

#[test]
fn text_named_jpg_is_not_a_supported_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.jpg");
    std::fs::write(&path, "shopping list: milk, eggs").expect("write");
    let err = decode(&path).expect_err("text");
    assert!(matches!(err, PhotoError::Format { .. }), "{err:?}");
    assert!(err.to_string().contains("notes.jpg"), "{err}");
}

#[test]
fn a_truncated_jpeg_is_a_decode_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let whole = std::fs::read(fixtures().join("photos/rocket.jpg")).expect("read");
    let path = dir.path().join("truncated.jpg");
    std::fs::write(&path, &whole[..whole.len() / 3]).expect("write");
    // Some decoders fill the missing rows with grey; either way no panic,
    // and an error must name the file.
    if let Err(err) = decode(&path) {
        assert!(err.to_string().contains("truncated.jpg"), "{err}");
    }
}

#[test]
fn a_declared_size_over_the_limit_is_refused_before_decoding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, png_header(60_000, 60_000)).expect("write");
    let err = decode(&path).expect_err("bomb");
    assert!(matches!(err, PhotoError::TooLarge { width: 60_000, height: 60_000, .. }), "{err:?}");
}

/// A PNG declaring `width`x`height` RGB, with a few bytes of pixel data.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x63, 0x00, 0x00]);
    png
}

fn png_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let body = [&kind[..], data].concat();
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(&body);
    png.extend_from_slice(&crc32(&body).to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn decoding_bytes_equals_decoding_the_file() {
    for file in ["photos/rocket.jpg", "photos/variants/oriented-6.jpg", "photos/variants/rgba.png"] {
        let path = fixtures().join(file);
        let bytes = std::fs::read(&path).expect("read");
        assert!(decode_bytes(&path, &bytes).expect("decodes") == fixture(file), "{file}");
    }
}

#[test]
fn errors_from_bytes_name_the_path_given() {
    let err = decode_bytes(Path::new("/photos/notes.jpg"), b"not a photo").expect_err("text");
    assert!(err.to_string().contains("/photos/notes.jpg"), "{err}");
}

#[test]
fn the_content_hash_is_blake3_of_the_bytes() {
    // blake3's published hash of the empty input.
    let empty = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
    let hex: String = content_hash(b"").iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, empty);
    let photo = std::fs::read(fixtures().join("photos/cat.png")).expect("read");
    let mut edited = photo.clone();
    edited[100] ^= 1;
    assert_ne!(content_hash(&photo), content_hash(&edited));
}

#[test]
fn a_fifo_named_like_a_photo_is_refused_without_waiting_for_a_writer() {
    // Regression: an indexed path replaced by a FIFO blocked its reader forever.
    let dir = tempfile::tempdir().expect("tmp");
    let fifo = dir.path().join("photo.jpg");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs").success());
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || tx.send(photo::read(&path, photo::MAX_FILE_BYTES).map(|_| ())));
    let outcome = rx.recv_timeout(std::time::Duration::from_secs(5)).expect("returned without waiting");
    assert!(matches!(outcome, Err(photo::PhotoError::NotAFile { kind: "a FIFO", .. })), "{outcome:?}");
}

#[test]
fn reads_are_capped_and_only_files_are_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("big.jpg");
    std::fs::write(&file, vec![7u8; 100]).expect("writes");
    assert_eq!(photo::read(&file, 100).expect("fits").len(), 100);
    let err = photo::read(&file, 99).expect_err("over the cap");
    assert!(matches!(err, photo::PhotoError::TooBig { size: 100, limit: 99, .. }), "{err:?}");
    assert!(err.to_string().contains("big.jpg"), "{err}");
    let folder = photo::read(dir.path(), 1000).expect_err("a folder is not a photo");
    assert!(matches!(folder, photo::PhotoError::NotAFile { kind: "a folder", .. }), "{folder:?}");
}
