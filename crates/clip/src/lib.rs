//! CLIP for photofind: a candle implementation of
//! [`photofind_core::Embedder`] that loads any Hugging Face CLIP checkpoint
//! directory (`config.json`, `model.safetensors`, `tokenizer.json`,
//! `preprocessor_config.json`) — ViT-B/32, B/16, L/14 or a tiny test model.
//!
//! [`TextModel`] is the other kind: a text-only sentence-transformers model (DistilBERT, mean
//! pooling, Dense) whose vectors land in an image model's space, such as
//! `clip-ViT-B-32-multilingual-v1` for queries in 50+ languages against photos embedded with
//! CLIP ViT-B/32.
//!
//! ```no_run
//! use photofind_core::{Embedder, photo};
//!
//! let clip = photofind_clip::Clip::load("models/clip-vit-base-patch32".as_ref())?;
//! let photo = photo::decode("beach.jpg".as_ref())?;
//! let image = clip.embed_images(&[clip.prepare_image(&photo)?])?;
//! let text = clip.embed_texts(&["a sunny beach"])?;
//! println!("similarity {}", image[0].cosine(&text[0]));
//!
//! let multilingual =
//!     photofind_clip::TextModel::load("models/clip-vit-b-32-multilingual-v1".as_ref())?;
//! let query = multilingual.embed_texts(&["ein sonniger Strand"])?;
//! println!("similarity {}", image[0].cosine(&query[0]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod attention;
mod config;
mod dense;
mod error;
mod fused;
pub mod gemm;
mod isa;
mod model;
mod norm;
mod patches;
mod preprocess;
mod resample;
mod text_only;
mod tokenize;
mod weights;

use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use image::RgbImage;
use photofind_core::{EmbedError, Embedder, Embedding, ImageInput};

pub use config::{Activation, ClipConfig, TextConfig, TowerConfig, VisionConfig};
pub use error::{Error, Result};
pub use isa::Isa;
pub use preprocess::{Preprocess, ResizeTo};
pub use resample::Filter;
pub use text_only::TextModel;
pub use tokenize::{ClipTokenizer, TokenBatch};

use model::{COMPUTE_DTYPE, ClipModel};

/// A contiguous f32 CPU tensor's values (from its `storage_and_layout`);
/// `None` for any other tensor. The CPU paths read tensors through this.
pub(crate) fn cpu_slice<'a>(
    storage: &'a candle_core::Storage,
    layout: &candle_core::Layout,
) -> Option<&'a [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (candle_core::Storage::Cpu(candle_core::CpuStorage::F32(data)), Some((start, end))) => {
            Some(&data[start..end])
        }
        _ => None,
    }
}

/// A loaded CLIP checkpoint, ready to embed photos and texts.
pub struct Clip {
    id: String,
    config: ClipConfig,
    preprocess: Preprocess,
    tokenizer: ClipTokenizer,
    model: ClipModel,
    device: Device,
}

impl Clip {
    /// Loads a checkpoint directory on the best device this build has: a
    /// GPU when built with the `cuda` or `metal` feature and one is there,
    /// else the CPU.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_on(dir, best_device())
    }

    /// Loads a checkpoint directory on `device`, the image tower at the
    /// process's precision ([`gemm::Precision::current`]) and within its
    /// instruction-set cap (`PHOTOFIND_MAX_ISA`, see [`Isa`]).
    pub fn load_on(dir: &Path, device: Device) -> Result<Self> {
        let precision = gemm::Precision::current()
            .map_err(|message| Error::Setting { name: "PHOTOFIND_PRECISION", message })?;
        Isa::cap().map_err(|message| Error::Setting { name: "PHOTOFIND_MAX_ISA", message })?;
        Self::load_at(dir, device, precision)
    }

    /// Loads a checkpoint directory on `device`, the image tower at `precision`
    /// (see [`gemm::Precision`]; a GPU always multiplies in f32).
    /// `auto` also keeps the text tower's weights in f16 where that is the
    /// faster query ([`dense::halved_weights_pay`]).
    pub fn load_at(dir: &Path, device: Device, precision: gemm::Precision) -> Result<Self> {
        let cpu = device.is_cpu();
        let kernel = if cpu { gemm::Kernel::detect(precision) } else { None };
        let mut clip = Self::load_with(dir, device, kernel)?;
        if cpu && precision == gemm::Precision::Auto && dense::halved_weights_pay() {
            clip.halve_text()?;
        }
        Ok(clip)
    }

    /// [`Clip::load_on`] with the image tower's linear layers on `kernel`
    /// (see [`gemm`]), or on candle's matmul for `None`: for benchmarks and
    /// tests; `load` picks the faster for the CPU.
    pub fn load_with(dir: &Path, device: Device, kernel: Option<gemm::Kernel>) -> Result<Self> {
        let config = ClipConfig::load(&dir.join("config.json"))?;
        let preprocess_path = dir.join("preprocessor_config.json");
        let preprocess = Preprocess::load(&preprocess_path)?;
        check_input_size(&preprocess_path, &preprocess, &config)?;
        let tokenizer =
            ClipTokenizer::load(&dir.join("tokenizer.json"), config.text.max_position_embeddings)?;
        let weights = dir.join("model.safetensors");
        let model = load_model(&weights, &config, &device)?;
        let mut clip = Self { id: model_id(dir), config, preprocess, tokenizer, model, device };
        if let Some(kernel) = kernel {
            clip.use_kernel(kernel)?;
        }
        Ok(clip)
    }

    /// Runs the image tower's linear layers on `kernel`, their weights packed
    /// for it (see [`gemm`]). `load` already does this where [`gemm::Kernel::detect`]
    /// finds the packed path faster than candle's; tests force each kernel.
    pub fn use_kernel(&mut self, kernel: gemm::Kernel) -> Result<()> {
        let id = self.id.clone();
        self.model.pack_vision(kernel).map_err(|source| Error::Weights { path: id.into(), source })
    }

    /// Keeps the text tower's weights in f16 from now on: a text query reads
    /// half the bytes (it is bound by reading them), and the tower takes half
    /// the memory; the image tower is untouched.
    pub fn halve_text(&mut self) -> Result<()> {
        let id = self.id.clone();
        self.model.halve_text().map_err(|source| Error::Weights { path: id.into(), source })
    }

    /// The model's shape.
    pub fn config(&self) -> &ClipConfig {
        &self.config
    }

    /// The model's preprocessing.
    pub fn preprocess(&self) -> &Preprocess {
        &self.preprocess
    }

    /// The model's tokenizer.
    pub fn tokenizer(&self) -> &ClipTokenizer {
        &self.tokenizer
    }

    fn pixels(&self, batch: &[ImageInput]) -> Result<Tensor, EmbedError> {
        let side = self.config.vision.image_size;
        let mut data = Vec::with_capacity(batch.len() * 3 * side * side);
        for (index, input) in batch.iter().enumerate() {
            if (input.height, input.width) != (side, side) || input.data.len() != 3 * side * side {
                let received = (input.height, input.width);
                return Err(EmbedError::InputSize { index, expected: (side, side), received });
            }
            data.extend_from_slice(&input.data);
        }
        Tensor::from_vec(data, (batch.len(), 3, side, side), &self.device).map_err(inference)
    }
}

/// The first GPU of an enabled backend, else the CPU.
fn best_device() -> Device {
    #[cfg(feature = "cuda")]
    if let Ok(device) = Device::new_cuda(0) {
        return device;
    }
    #[cfg(feature = "metal")]
    if let Ok(device) = Device::new_metal(0) {
        return device;
    }
    Device::Cpu
}

fn model_id(dir: &Path) -> String {
    let name = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    name.file_name().map_or_else(|| name.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn check_input_size(path: &Path, preprocess: &Preprocess, config: &ClipConfig) -> Result<()> {
    let side = config.vision.image_size;
    let (h, w) = preprocess.output_size(side, side);
    if (h, w) != (side, side) {
        return Err(config::invalid(
            path,
            "crop_size",
            format!("{h}x{w}"),
            "must equal the model's image_size",
        ));
    }
    Ok(())
}

fn load_model(path: &Path, config: &ClipConfig, device: &Device) -> Result<ClipModel> {
    if !path.is_file() {
        let source = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        return Err(Error::Read { path: path.to_owned(), source });
    }
    let weights_error = |source| Error::Weights { path: path.to_owned(), source };
    let weights = weights::Weights::open(path).map_err(weights_error)?;
    let vb = VarBuilder::from_backend(Box::new(weights), COMPUTE_DTYPE, device.clone());
    ClipModel::new(vb, config).map_err(weights_error)
}

fn inference(err: candle_core::Error) -> EmbedError {
    EmbedError::Inference(Box::new(err))
}

fn to_embeddings(features: &Tensor) -> Result<Vec<Embedding>, EmbedError> {
    let rows: Vec<Vec<f32>> = features.to_vec2().map_err(inference)?;
    Ok(rows.into_iter().map(Embedding::normalized).collect())
}

impl Embedder for Clip {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dims(&self) -> usize {
        self.config.projection_dim
    }

    fn input_short_side(&self) -> u32 {
        self.preprocess.needed_short_side()
    }

    fn prepare_image(&self, photo: &RgbImage) -> Result<ImageInput, EmbedError> {
        Ok(self.preprocess.apply(photo))
    }

    fn embed_images(&self, batch: &[ImageInput]) -> Result<Vec<Embedding>, EmbedError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let features = self.model.image_features(&self.pixels(batch)?).map_err(inference)?;
        to_embeddings(&features)
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let tokens = self.tokenizer.batch(texts)?;
        let ids =
            Tensor::from_vec(tokens.ids, (texts.len(), tokens.longest), &self.device).map_err(inference)?;
        let features = self.model.text_features(&ids, &tokens.eos_positions).map_err(inference)?;
        to_embeddings(&features)
    }
}
