//! The contract between photofind and a model that puts photos and texts in
//! one vector space.

use std::error::Error as StdError;

use image::RgbImage;

/// A model that embeds photos and texts into the same space.
///
/// Preparing an image is separate from embedding it so the indexer can
/// decode and preprocess on many threads while one owner runs the model on
/// batches.
pub trait Embedder: Send + Sync {
    /// A stable name for the model; vectors of different models never mix.
    fn model_id(&self) -> &str;

    /// Length of every vector this model returns.
    fn dims(&self) -> usize;

    /// The shorter side (in pixels) this model's preparation resizes a
    /// photo to, so photos can be decoded no larger than needed (see
    /// [`crate::photo::decode_for_model`]); 0 when it takes any size as is.
    fn input_short_side(&self) -> u32 {
        0
    }

    /// Turns an upright RGB photo into the model's input (resize, crop,
    /// normalise). Cheap enough to run on worker threads.
    fn prepare_image(&self, photo: &RgbImage) -> Result<ImageInput, EmbedError>;

    /// Embeds prepared images; one L2-normalised vector per input, in order.
    fn embed_images(&self, batch: &[ImageInput]) -> Result<Vec<Embedding>, EmbedError>;

    /// Embeds texts; one L2-normalised vector per text, in order.
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError>;
}

/// Pixels ready for a model: planar channels (CHW), already normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageInput {
    /// Height in pixels.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
    /// `3 * height * width` values, channel-major.
    pub data: Vec<f32>,
}

/// An L2-normalised vector, as every [`Embedder`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Scales `values` to unit length. A zero vector stays zero.
    pub fn normalized(mut values: Vec<f32>) -> Self {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            values.iter_mut().for_each(|v| *v /= norm);
        }
        Self(values)
    }

    /// The components.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Cosine similarity; for unit vectors this is the dot product.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }

    /// The components, by value.
    pub fn into_vec(self) -> Vec<f32> {
        self.0
    }
}

/// Why a model could not embed its input.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// An image in the batch has another size than the model takes.
    #[error("image {index} of the batch is {received:?} (height, width); the model takes {expected:?}")]
    InputSize {
        /// Position in the batch.
        index: usize,
        /// (height, width) the model takes.
        expected: (usize, usize),
        /// (height, width) that was given.
        received: (usize, usize),
    },
    /// The tokenizer rejected a text.
    #[error("cannot tokenize {text:?}: {reason}")]
    Tokenize {
        /// The text.
        text: String,
        /// What the tokenizer said.
        reason: String,
    },
    /// The model itself failed while running.
    #[error("the model failed: {0}")]
    Inference(#[source] Box<dyn StdError + Send + Sync>),
    /// A text model paired with an image model whose vectors it cannot be compared with.
    #[error(
        "text model {text_model} gives {text_dims}-dimensional vectors, image model {image_model} {image_dims}: not one space"
    )]
    OtherSpace {
        /// The text model.
        text_model: String,
        /// Its vectors' length.
        text_dims: usize,
        /// The image model.
        image_model: String,
        /// Its vectors' length.
        image_dims: usize,
    },
}

/// A model that embeds texts only, trained to land in an image model's
/// space (`sentence-transformers/clip-ViT-B-32-multilingual-v1` lands in
/// OpenAI CLIP ViT-B/32's), so its queries search that model's index.
pub trait TextEmbedder: Send + Sync {
    /// A stable name for the model.
    fn model_id(&self) -> &str;

    /// Length of every vector it returns (its image model's).
    fn dims(&self) -> usize;

    /// Embeds texts; one L2-normalised vector per text, in order.
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError>;
}

/// An image model whose texts another model reads: photos (and the index)
/// are the image model's, queries in words the text model's.
pub struct WithTexts<'a> {
    images: &'a dyn Embedder,
    texts: &'a dyn TextEmbedder,
}

impl<'a> WithTexts<'a> {
    /// Pairs them; refused when their vectors differ in length.
    pub fn new(images: &'a dyn Embedder, texts: &'a dyn TextEmbedder) -> Result<Self, EmbedError> {
        if images.dims() != texts.dims() {
            return Err(EmbedError::OtherSpace {
                text_model: texts.model_id().to_owned(),
                text_dims: texts.dims(),
                image_model: images.model_id().to_owned(),
                image_dims: images.dims(),
            });
        }
        Ok(Self { images, texts })
    }

    /// The model reading texts.
    pub fn text_model(&self) -> &str {
        self.texts.model_id()
    }
}

impl Embedder for WithTexts<'_> {
    fn model_id(&self) -> &str {
        self.images.model_id()
    }

    fn dims(&self) -> usize {
        self.images.dims()
    }

    fn input_short_side(&self) -> u32 {
        self.images.input_short_side()
    }

    fn prepare_image(&self, photo: &RgbImage) -> Result<ImageInput, EmbedError> {
        self.images.prepare_image(photo)
    }

    fn embed_images(&self, batch: &[ImageInput]) -> Result<Vec<Embedding>, EmbedError> {
        self.images.embed_images(batch)
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
        self.texts.embed_texts(texts)
    }
}
