//! HEIC/HEIF/AVIF and a camera RAW's preview embed as the reference stack
//! would: the vector of each HEIF fixture as photofind decodes it equals the
//! vector of the same photo as PIL + pillow-heif decode it
//! (`tests/fixtures/reference/heif/*.png`, written by make_heif.py) at
//! cosine ≥ 0.999, on both fixture checkpoints (built to be sensitive to
//! pixel changes). The CLIP engine itself is proven equal to transformers
//! given the same pixels (`reference.rs`).

use std::path::{Path, PathBuf};

use image::RgbImage;
use photofind_clip::Clip;
use photofind_core::{Embedder, photo};

const BAR: f32 = 0.999;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn embed(clip: &Clip, image: &RgbImage) -> photofind_core::Embedding {
    let input = clip.prepare_image(image).expect("prepares");
    clip.embed_images(&[input]).expect("embeds").remove(0)
}

#[test]
fn a_heif_fixture_embeds_like_the_reference_decode_of_it() {
    for model in ["tiny-p32-quickgelu", "tiny-p16-gelu"] {
        let clip = Clip::load(&fixtures().join("models").join(model)).expect("loads");
        for name in
            ["exif.heic", "stale-exif.heic", "mirror.heic", "ten-bit.heic", "several.heic", "alpha.avif"]
        {
            let path = fixtures().join("photos/heif").join(name);
            let bytes = std::fs::read(&path).expect("fixture");
            let ours = photo::decode_for_model(&path, &bytes, clip.input_short_side()).expect("decodes");
            let reference = image::open(fixtures().join("reference/heif").join(format!("{name}.png")))
                .expect("reference")
                .into_rgb8();
            let cosine = embed(&clip, &ours.image).cosine(&embed(&clip, &reference));
            assert!(cosine >= BAR, "{model} {name}: cosine {cosine:.6} < {BAR}");
        }
    }
}

#[test]
fn a_raw_embeds_as_its_preview_turned_upright() {
    let clip = Clip::load(&fixtures().join("models/tiny-p32-quickgelu")).expect("loads");
    let path = fixtures().join("photos/raw/preview.dng");
    let bytes = std::fs::read(&path).expect("fixture");
    let decoded = photo::decode_for_model(&path, &bytes, clip.input_short_side()).expect("decodes");
    assert_eq!(decoded.dimensions, (448, 672), "the 672×448 preview, rotated by the RAW's Orientation 6");
    let sideways = image::imageops::rotate270(&decoded.image);
    let upright = embed(&clip, &decoded.image);
    assert!(upright.cosine(&embed(&clip, &sideways)) < BAR, "orientation changes the vector");
}
