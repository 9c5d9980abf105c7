//! A text-only model that embeds into an image model's space: a sentence-transformers directory
//! holding a DistilBERT, mean pooling and Dense modules, such as
//! `sentence-transformers/clip-ViT-B-32-multilingual-v1`, whose vectors land in the space of
//! OpenAI's CLIP ViT-B/32, so photos embedded with that model answer queries in 50+ languages
//! without being embedded again.
//!
//! The files read: `config.json`, `model.safetensors`, `tokenizer.json`, `modules.json`,
//! `sentence_bert_config.json` (and `tokenizer_config.json` when that lacks `max_seq_length`),
//! then each module's `config.json` (`1_Pooling/`, `2_Dense/`) and the Dense weights
//! (`2_Dense/model.safetensors`).

mod config;
mod distilbert;
mod pooling;
mod tokenize;

use std::path::Path;

use candle_core::{Device, Module, Tensor};
use candle_nn::VarBuilder;
use photofind_core::{EmbedError, Embedding};

use crate::error::{Error, Result};
use crate::model::COMPUTE_DTYPE;
use crate::weights::Weights;
use crate::{inference, to_embeddings};
use config::{DenseConfig, DistilBertConfig, Pipeline};
use distilbert::DistilBert;
use pooling::DenseLayer;
use tokenize::WordPieceTokenizer;

/// Texts embedded in one forward pass; more are split into batches of this many.
const BATCH: usize = 64;

/// A loaded text-only model, ready to embed queries.
pub struct TextModel {
    id: String,
    tokenizer: WordPieceTokenizer,
    encoder: DistilBert,
    dense: Vec<DenseLayer>,
    dims: usize,
    max_seq_length: usize,
    device: Device,
}

impl TextModel {
    /// Loads a sentence-transformers directory on the best device this build has.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_on(dir, crate::best_device())
    }

    /// Loads a sentence-transformers directory on `device`.
    pub fn load_on(dir: &Path, device: Device) -> Result<Self> {
        let config = DistilBertConfig::load(&dir.join("config.json"))?;
        let pipeline = Pipeline::load(dir)?;
        let max_seq_length = config::max_seq_length(dir, &config)?;
        let tokenizer = WordPieceTokenizer::load(
            &dir.join("tokenizer.json"),
            max_seq_length,
            config.vocab_size,
            config.pad_token_id,
        )?;
        config::check_pooling(&pipeline.pooling, config.dim)?;
        let encoder = load_encoder(&dir.join("model.safetensors"), &config, &device)?;
        let (dense, dims) = load_dense(&pipeline, config.dim, &device)?;
        Ok(Self { id: crate::model_id(dir), tokenizer, encoder, dense, dims, max_seq_length, device })
    }

    /// The model's id: its directory's name.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Length of the vectors: the last Dense module's `out_features`.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The longest input in tokens, `[CLS]` and `[SEP]` included; longer texts are cut.
    pub fn max_seq_length(&self) -> usize {
        self.max_seq_length
    }

    /// The ids the model sees for `text`: `[CLS]`, its tokens, `[SEP]`.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        self.tokenizer.ids(text)
    }

    /// One L2-normalised vector per text. Texts are batched with an attention mask, so the
    /// padding of a batch never changes a vector.
    pub fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            vectors.extend(self.embed_batch(batch)?);
        }
        Ok(vectors)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
        let tokens = self.tokenizer.batch(texts)?;
        let shape = (texts.len(), tokens.longest);
        let ids = Tensor::from_vec(tokens.ids, shape, &self.device).map_err(inference)?;
        let mask = Tensor::from_vec(tokens.mask, shape, &self.device).map_err(inference)?;
        let hidden = self.encoder.forward(&ids, &mask).map_err(inference)?;
        let pooled = pooling::mean_pool(&hidden, &mask).map_err(inference)?;
        let features =
            self.dense.iter().try_fold(pooled, |xs, layer| layer.forward(&xs)).map_err(inference)?;
        to_embeddings(&features)
    }
}

/// Opens a safetensors file, naming it in every error.
fn open_weights(path: &Path) -> Result<Weights> {
    if !path.is_file() {
        let source = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        return Err(Error::Read { path: path.to_owned(), source });
    }
    Weights::open(path).map_err(|source| Error::Weights { path: path.to_owned(), source })
}

fn load_encoder(path: &Path, config: &DistilBertConfig, device: &Device) -> Result<DistilBert> {
    let weights = open_weights(path)?;
    // A model saved from a task head (`DistilBertForMaskedLM`…) prefixes the encoder's names.
    let prefixed = !weights.has("embeddings.word_embeddings.weight")
        && weights.has("distilbert.embeddings.word_embeddings.weight");
    let vb = VarBuilder::from_backend(Box::new(weights), COMPUTE_DTYPE, device.clone());
    let vb = if prefixed { vb.pp("distilbert") } else { vb };
    DistilBert::new(vb, config).map_err(|source| Error::Weights { path: path.to_owned(), source })
}

/// The Dense modules, each fed by the one before; returns them and the final width.
fn load_dense(pipeline: &Pipeline, dim: usize, device: &Device) -> Result<(Vec<DenseLayer>, usize)> {
    let mut width = dim;
    let mut layers = Vec::with_capacity(pipeline.dense.len());
    for dir in &pipeline.dense {
        let config = DenseConfig::load(dir, width)?;
        let path = dir.join("model.safetensors");
        let weights = open_weights(&path)?;
        let vb = VarBuilder::from_backend(Box::new(weights), COMPUTE_DTYPE, device.clone());
        layers.push(DenseLayer::new(vb, &config).map_err(|source| Error::Weights { path, source })?);
        width = config.out_features;
    }
    Ok((layers, width))
}

impl photofind_core::TextEmbedder for TextModel {
    fn model_id(&self) -> &str {
        self.id()
    }

    fn dims(&self) -> usize {
        self.dims()
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
        TextModel::embed_texts(self, texts)
    }
}
