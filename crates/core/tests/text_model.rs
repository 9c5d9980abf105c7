//! A text-only model paired with the library's image model: queries in words
//! go through it, photos and the index stay the image model's, and a model
//! of another space is refused before any search.

mod support;

use image::{Rgb, RgbImage};
use photofind_core::search::{Query, Term};
use photofind_core::store::ModelKey;
use photofind_core::{EmbedError, Embedding, Library, TextEmbedder, WithTexts};
use support::MeanColour;

/// Reads every text as "something red" (the stand-in's vector of pure red), or at `dims`.
struct Reds {
    dims: usize,
}

impl TextEmbedder for Reds {
    fn model_id(&self) -> &str {
        "reds"
    }
    fn dims(&self) -> usize {
        self.dims
    }
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
        Ok(texts.iter().map(|_| Embedding::normalized(vec![1.0, 0.0, 0.0, 0.5])).collect())
    }
}

#[test]
fn words_are_read_by_the_text_model_against_the_image_models_index() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("Pictures");
    std::fs::create_dir_all(&root).expect("mkdir");
    for (name, colour) in
        [("red.png", [220, 20, 20]), ("blue.png", [20, 20, 220]), ("green.png", [20, 220, 20])]
    {
        RgbImage::from_pixel(8, 8, Rgb(colour)).save(root.join(name)).expect("writes");
    }
    let images = MeanColour::new(None);
    let library = Library::open(&dir.path().join("data"), Some(&ModelKey::of(&images))).expect("opens");
    let (root, _) = library.add_root(&root).expect("adds");
    support::index_root(&library, &images, &root);

    let texts = Reds { dims: 4 };
    let paired = WithTexts::new(&images, &texts).expect("one space");
    assert_eq!(paired.text_model(), "reds");
    let query = Query { positive: vec![Term::Text("etwas Rotes".into())], limit: 3, ..Query::default() };
    let results = library.search(&paired, &query).expect("searches");
    assert_eq!(results.model, "mean-colour", "the image model's index answered");
    let first = results.hits[0].photo.path.file_name().expect("a name").to_owned();
    assert_eq!(first, "red.png");

    let other = Reds { dims: 8 };
    let refused = WithTexts::new(&images, &other).err().expect("refused");
    assert!(matches!(refused, EmbedError::OtherSpace { text_dims: 8, image_dims: 4, .. }), "{refused}");
}
