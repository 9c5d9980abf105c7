//! `config.json` and `preprocessor_config.json` as data, with the defaults
//! transformers uses for fields a checkpoint leaves out.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The activation inside each transformer MLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `x * sigmoid(1.702 x)`, the original CLIP.
    QuickGelu,
    /// Exact GELU with erf.
    Gelu,
    /// GELU's tanh approximation.
    GeluTanh,
}

/// One tower (text or vision) of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct TowerConfig {
    /// Width of the residual stream.
    pub hidden_size: usize,
    /// Width of the MLP.
    pub intermediate_size: usize,
    /// Number of transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads; divides `hidden_size`.
    pub num_attention_heads: usize,
    /// MLP activation.
    pub activation: Activation,
    /// Epsilon of every layer norm.
    pub layer_norm_eps: f64,
}

/// The text tower.
#[derive(Debug, Clone, PartialEq)]
pub struct TextConfig {
    /// Shape of the transformer.
    pub tower: TowerConfig,
    /// Size of the token vocabulary.
    pub vocab_size: usize,
    /// Longest token sequence, bos and eos included.
    pub max_position_embeddings: usize,
}

/// The vision tower.
#[derive(Debug, Clone, PartialEq)]
pub struct VisionConfig {
    /// Shape of the transformer.
    pub tower: TowerConfig,
    /// Side of the square input image.
    pub image_size: usize,
    /// Side of one square patch.
    pub patch_size: usize,
    /// Input channels (3).
    pub num_channels: usize,
}

/// The whole model, as `config.json` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipConfig {
    /// The text tower.
    pub text: TextConfig,
    /// The vision tower.
    pub vision: VisionConfig,
    /// Length of the shared embedding.
    pub projection_dim: usize,
}

#[derive(Deserialize)]
struct RawClip {
    #[serde(default)]
    text_config: RawTower,
    #[serde(default)]
    vision_config: RawTower,
    projection_dim: Option<usize>,
}

/// Every field optional: transformers writes only those that differ from
/// its defaults.
#[derive(Deserialize, Default)]
struct RawTower {
    hidden_size: Option<usize>,
    intermediate_size: Option<usize>,
    num_hidden_layers: Option<usize>,
    num_attention_heads: Option<usize>,
    hidden_act: Option<String>,
    layer_norm_eps: Option<f64>,
    vocab_size: Option<usize>,
    max_position_embeddings: Option<usize>,
    image_size: Option<usize>,
    patch_size: Option<usize>,
    num_channels: Option<usize>,
}

/// Defaults of transformers' `CLIPTextConfig` / `CLIPVisionConfig`.
struct TowerDefaults {
    hidden_size: usize,
    intermediate_size: usize,
    num_attention_heads: usize,
}

const TEXT_DEFAULTS: TowerDefaults =
    TowerDefaults { hidden_size: 512, intermediate_size: 2048, num_attention_heads: 8 };
const VISION_DEFAULTS: TowerDefaults =
    TowerDefaults { hidden_size: 768, intermediate_size: 3072, num_attention_heads: 12 };

impl ClipConfig {
    /// Reads and checks `config.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let raw: RawClip = read_json(path)?;
        let text_tower = tower(path, &raw.text_config, &TEXT_DEFAULTS)?;
        let vision_tower = tower(path, &raw.vision_config, &VISION_DEFAULTS)?;
        let config = ClipConfig {
            text: TextConfig {
                tower: text_tower,
                vocab_size: raw.text_config.vocab_size.unwrap_or(49408),
                max_position_embeddings: raw.text_config.max_position_embeddings.unwrap_or(77),
            },
            vision: VisionConfig {
                tower: vision_tower,
                image_size: raw.vision_config.image_size.unwrap_or(224),
                patch_size: raw.vision_config.patch_size.unwrap_or(32),
                num_channels: raw.vision_config.num_channels.unwrap_or(3),
            },
            projection_dim: raw.projection_dim.unwrap_or(512),
        };
        config.check(path)?;
        Ok(config)
    }

    fn check(&self, path: &Path) -> Result<()> {
        let v = &self.vision;
        if v.patch_size == 0 || !v.image_size.is_multiple_of(v.patch_size) {
            return Err(invalid(path, "vision_config.patch_size", v.patch_size, "must divide image_size"));
        }
        if v.num_channels != 3 {
            return Err(invalid(path, "vision_config.num_channels", v.num_channels, "photofind feeds RGB"));
        }
        for (field, value) in [
            ("projection_dim", self.projection_dim),
            ("text_config.max_position_embeddings", self.text.max_position_embeddings),
            ("text_config.vocab_size", self.text.vocab_size),
        ] {
            if value == 0 {
                return Err(invalid(path, field, value, "must be positive"));
            }
        }
        Ok(())
    }
}

fn tower(path: &Path, raw: &RawTower, defaults: &TowerDefaults) -> Result<TowerConfig> {
    let hidden_size = raw.hidden_size.unwrap_or(defaults.hidden_size);
    let num_attention_heads = raw.num_attention_heads.unwrap_or(defaults.num_attention_heads);
    if num_attention_heads == 0 || !hidden_size.is_multiple_of(num_attention_heads) {
        return Err(invalid(path, "num_attention_heads", num_attention_heads, "must divide hidden_size"));
    }
    let act = raw.hidden_act.as_deref().unwrap_or("quick_gelu");
    Ok(TowerConfig {
        hidden_size,
        intermediate_size: raw.intermediate_size.unwrap_or(defaults.intermediate_size),
        num_hidden_layers: raw.num_hidden_layers.unwrap_or(12),
        num_attention_heads,
        activation: activation(path, act)?,
        layer_norm_eps: raw.layer_norm_eps.unwrap_or(1e-5),
    })
}

fn activation(path: &Path, name: &str) -> Result<Activation> {
    match name {
        "quick_gelu" => Ok(Activation::QuickGelu),
        "gelu" => Ok(Activation::Gelu),
        "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
        other => Err(invalid(path, "hidden_act", other, "expected quick_gelu, gelu or gelu_new")),
    }
}

pub(crate) fn invalid(path: &Path, field: &'static str, value: impl ToString, reason: &'static str) -> Error {
    Error::InvalidConfig { path: path.to_owned(), field, value: value.to_string(), reason }
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
    serde_json::from_slice(&bytes).map_err(|source| Error::Json { path: path.to_owned(), source })
}
