//! Decoding a large JPEG at a DCT scale (what indexing does) instead of in
//! full changes no embedding by more than cosine 0.999, on both fixture
//! checkpoints (which are built to be sensitive to pixel changes), and
//! keeps EXIF orientation and the photo's own size.

use std::path::{Path, PathBuf};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ImageEncoder, RgbImage};
use photofind_clip::Clip;
use photofind_core::{Embedder, photo};

const BAR: f32 = 0.999;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// A camera-sized JPEG made from a fixture photo: upscaled, with sensor-like
/// noise (deterministic), EXIF orientation `orientation` when given.
fn camera_jpeg(name: &str, width: u32, height: u32, orientation: Option<u16>) -> Vec<u8> {
    let source = image::open(fixtures().join("photos").join(name)).expect("fixture").to_rgb8();
    let mut big = image::imageops::resize(&source, width, height, FilterType::CatmullRom);
    let mut state = 0x2545_f491_u32;
    for pixel in big.pixels_mut() {
        for c in &mut pixel.0 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *c = c.saturating_add_signed((state % 13) as i8 - 6);
        }
    }
    let mut bytes = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut bytes, 92);
    if let Some(o) = orientation {
        // A little-endian TIFF block with one tag: Orientation (0x0112), SHORT, 1 value.
        let [lo, hi] = o.to_le_bytes();
        let tiff =
            [b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, lo, hi, 0, 0, 0, 0, 0, 0];
        encoder.set_exif_metadata(tiff.to_vec()).expect("exif");
    }
    encoder.write_image(big.as_raw(), width, height, image::ExtendedColorType::Rgb8).expect("encodes");
    bytes
}

fn embed(clip: &Clip, image: &RgbImage) -> photofind_core::Embedding {
    let input = clip.prepare_image(image).expect("prepares");
    clip.embed_images(&[input]).expect("embeds").remove(0)
}

#[test]
fn a_dct_scaled_decode_embeds_like_the_full_decode() {
    let photos = [("astronaut.png", 3000, 2250), ("coffee.png", 2400, 3200), ("rocket.jpg", 4000, 2700)];
    for model in ["tiny-p32-quickgelu", "tiny-p16-gelu"] {
        let clip = Clip::load(&fixtures().join("models").join(model)).expect("loads");
        let side = clip.input_short_side();
        assert!(side > 0, "{model} resizes to a shortest edge");
        for (name, width, height) in photos {
            let bytes = camera_jpeg(name, width, height, None);
            let path = Path::new(name);
            let full = photo::decode_bytes(path, &bytes).expect("decodes");
            let fast = photo::decode_for_model(path, &bytes, side).expect("decodes");
            let short = fast.image.width().min(fast.image.height());
            assert!(
                short >= 2 * side && short < width.min(height) / 2,
                "{model} {name}: decoded {short}px short side"
            );
            assert_eq!(fast.dimensions, (width, height), "the photo's own size is kept");
            let cosine = embed(&clip, &full).cosine(&embed(&clip, &fast.image));
            eprintln!("{model} {name}: decoded at {short}px, cosine {cosine:.6}");
            assert!(cosine >= BAR, "{model} {name}: cosine {cosine} < {BAR}");
        }
    }
}

#[test]
fn a_scaled_decode_turns_the_photo_upright_like_the_full_decode() {
    let clip = Clip::load(&fixtures().join("models/tiny-p32-quickgelu")).expect("loads");
    let bytes = camera_jpeg("astronaut.png", 3200, 2000, Some(6));
    let full = photo::decode_bytes(Path::new("rotated.jpg"), &bytes).expect("decodes");
    let fast =
        photo::decode_for_model(Path::new("rotated.jpg"), &bytes, clip.input_short_side()).expect("decodes");
    assert_eq!(full.dimensions(), (2000, 3200), "orientation 6: rotated to portrait");
    assert_eq!(fast.dimensions, (2000, 3200));
    assert!(fast.image.height() > fast.image.width());
    let cosine = embed(&clip, &full).cosine(&embed(&clip, &fast.image));
    assert!(cosine >= BAR, "cosine {cosine}");
}

#[test]
fn small_photos_and_other_formats_are_decoded_whole() {
    for name in ["cat.png", "rocket.jpg", "variants/cmyk.jpg"] {
        let path = fixtures().join("photos").join(name);
        let bytes = std::fs::read(&path).expect("fixture");
        let fast = photo::decode_for_model(&path, &bytes, 224).expect("decodes");
        assert_eq!(fast.image, photo::decode_bytes(&path, &bytes).expect("decodes"), "{name}");
    }
}
