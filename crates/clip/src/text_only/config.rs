//! The files of a sentence-transformers directory as data: `config.json` (DistilBERT),
//! `sentence_bert_config.json`, `modules.json`, and each module's `config.json`. Both the layout
//! sentence-transformers 2 wrote (the published checkpoints) and the one version 6 writes are read.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{invalid, read_json};
use crate::error::{Error, Result};

/// The DistilBERT encoder, as `config.json` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DistilBertConfig {
    /// Width of the residual stream.
    pub dim: usize,
    /// Transformer layers.
    pub n_layers: usize,
    /// Attention heads; divides `dim`.
    pub n_heads: usize,
    /// Width of each feed-forward block.
    pub hidden_dim: usize,
    /// Learned positions, so the longest input.
    pub max_position_embeddings: usize,
    /// Rows of the token embedding.
    pub vocab_size: usize,
    /// The id padding is written with (any id works: padding is masked).
    pub pad_token_id: u32,
}

/// transformers' `DistilBertConfig`; every field optional, as there.
#[derive(Deserialize)]
struct RawDistilBert {
    model_type: Option<String>,
    dim: Option<usize>,
    n_layers: Option<usize>,
    n_heads: Option<usize>,
    hidden_dim: Option<usize>,
    activation: Option<String>,
    max_position_embeddings: Option<usize>,
    vocab_size: Option<usize>,
    sinusoidal_pos_embds: Option<bool>,
    pad_token_id: Option<u32>,
}

impl DistilBertConfig {
    /// Reads and checks `config.json`, with transformers' defaults.
    pub fn load(path: &Path) -> Result<Self> {
        let raw: RawDistilBert = read_json(path)?;
        if let Some(kind) = raw.model_type.as_deref().filter(|kind| *kind != "distilbert") {
            return Err(invalid(path, "model_type", kind, "only DistilBERT text models are supported"));
        }
        let activation = raw.activation.as_deref().unwrap_or("gelu");
        if activation != "gelu" {
            return Err(invalid(path, "activation", activation, "only gelu is supported"));
        }
        if raw.sinusoidal_pos_embds == Some(true) {
            return Err(invalid(path, "sinusoidal_pos_embds", true, "only learned positions are supported"));
        }
        let config = Self {
            dim: raw.dim.unwrap_or(768),
            n_layers: raw.n_layers.unwrap_or(6),
            n_heads: raw.n_heads.unwrap_or(12),
            hidden_dim: raw.hidden_dim.unwrap_or(3072),
            max_position_embeddings: raw.max_position_embeddings.unwrap_or(512),
            vocab_size: raw.vocab_size.unwrap_or(30522),
            pad_token_id: raw.pad_token_id.unwrap_or(0),
        };
        config.check(path)?;
        Ok(config)
    }

    fn check(&self, path: &Path) -> Result<()> {
        if self.n_heads == 0 || !self.dim.is_multiple_of(self.n_heads) {
            return Err(invalid(path, "n_heads", self.n_heads, "must divide dim"));
        }
        for (field, value) in [
            ("dim", self.dim),
            ("hidden_dim", self.hidden_dim),
            ("max_position_embeddings", self.max_position_embeddings),
            ("vocab_size", self.vocab_size),
        ] {
            if value == 0 {
                return Err(invalid(path, field, value, "must be positive"));
            }
        }
        Ok(())
    }
}

/// The activation after a Dense module's product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenseActivation {
    /// `torch.nn.Identity`.
    Identity,
    /// `torch.nn.Tanh`, sentence-transformers' default.
    Tanh,
}

/// One Dense module: `activation(x Wᵀ + b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseConfig {
    /// Its directory (`2_Dense`), holding `config.json` and `model.safetensors`.
    pub dir: PathBuf,
    /// Input width.
    pub in_features: usize,
    /// Output width.
    pub out_features: usize,
    /// Whether `linear.bias` is there.
    pub bias: bool,
    /// What follows the product.
    pub activation: DenseActivation,
}

#[derive(Deserialize)]
struct RawDense {
    in_features: usize,
    out_features: usize,
    bias: Option<bool>,
    activation_function: Option<String>,
    module_input_name: Option<String>,
    module_output_name: Option<String>,
    use_residual: Option<bool>,
}

impl DenseConfig {
    /// Reads `dir/config.json`; `in_features` must be `width`, the output of what precedes it.
    pub fn load(dir: &Path, width: usize) -> Result<Self> {
        let path = dir.join("config.json");
        let raw: RawDense = read_json(&path)?;
        if raw.in_features != width {
            let (expected, found) = (width, raw.in_features);
            return Err(Error::DimensionMismatch { path, field: "in_features", expected, found });
        }
        if raw.use_residual == Some(true) {
            return Err(invalid(&path, "use_residual", true, "residual Dense modules are not supported"));
        }
        for (field, name) in
            [("module_input_name", &raw.module_input_name), ("module_output_name", &raw.module_output_name)]
        {
            if let Some(name) = name.as_deref().filter(|name| *name != "sentence_embedding") {
                return Err(invalid(&path, field, name, "only sentence_embedding is supported"));
            }
        }
        let activation = dense_activation(&path, raw.activation_function.as_deref())?;
        let (in_features, out_features, bias) = (raw.in_features, raw.out_features, raw.bias.unwrap_or(true));
        Ok(Self { dir: dir.to_owned(), in_features, out_features, bias, activation })
    }
}

/// sentence-transformers imports the class named; these are the ones we run. A missing name
/// means its default, Tanh.
fn dense_activation(path: &Path, name: Option<&str>) -> Result<DenseActivation> {
    match name {
        Some("torch.nn.modules.linear.Identity" | "torch.nn.Identity") => Ok(DenseActivation::Identity),
        None | Some("torch.nn.modules.activation.Tanh" | "torch.nn.Tanh") => Ok(DenseActivation::Tanh),
        Some(other) => {
            Err(Error::UnsupportedActivation { path: path.to_owned(), activation: other.to_owned() })
        }
    }
}

/// `1_Pooling/config.json`, old (`pooling_mode_*_tokens` flags) or new (`pooling_mode`).
#[derive(Deserialize)]
struct RawPooling {
    pooling_mode: Option<serde_json::Value>,
    embedding_dimension: Option<usize>,
    word_embedding_dimension: Option<usize>,
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
    #[serde(default)]
    pooling_mode_weightedmean_tokens: bool,
    #[serde(default)]
    pooling_mode_lasttoken: bool,
}

/// Checks that the pooling module in `dir` takes the mean of `width`-wide token vectors.
pub fn check_pooling(dir: &Path, width: usize) -> Result<()> {
    let path = dir.join("config.json");
    let raw: RawPooling = read_json(&path)?;
    if let Some(found) = raw.embedding_dimension.or(raw.word_embedding_dimension).filter(|&d| d != width) {
        return Err(Error::DimensionMismatch {
            path,
            field: "word_embedding_dimension",
            expected: width,
            found,
        });
    }
    let modes = pooling_modes(&raw);
    if modes != ["mean"] {
        return Err(Error::UnsupportedPooling { path, mode: modes.join("+") });
    }
    Ok(())
}

/// The modes in use, as sentence-transformers reads them: with no flag set, the mean.
fn pooling_modes(raw: &RawPooling) -> Vec<String> {
    match &raw.pooling_mode {
        Some(serde_json::Value::String(mode)) => vec![mode.clone()],
        Some(serde_json::Value::Array(modes)) => {
            modes.iter().map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned)).collect()
        }
        Some(other) => vec![other.to_string()],
        None => {
            let flags = [
                (raw.pooling_mode_cls_token, "cls"),
                (raw.pooling_mode_max_tokens, "max"),
                (raw.pooling_mode_mean_tokens, "mean"),
                (raw.pooling_mode_mean_sqrt_len_tokens, "mean_sqrt_len_tokens"),
                (raw.pooling_mode_weightedmean_tokens, "weightedmean"),
                (raw.pooling_mode_lasttoken, "lasttoken"),
            ];
            let modes: Vec<String> =
                flags.iter().filter(|(on, _)| *on).map(|(_, m)| (*m).to_owned()).collect();
            if modes.is_empty() { vec!["mean".to_owned()] } else { modes }
        }
    }
}

/// The modules after the Transformer, from `modules.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// The pooling module's directory.
    pub pooling: PathBuf,
    /// The Dense modules' directories, in order.
    pub dense: Vec<PathBuf>,
}

#[derive(Deserialize)]
struct RawModule {
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

impl Pipeline {
    /// Reads `dir/modules.json`: a Transformer in `dir` itself, then Pooling, then any Dense
    /// modules, then at most a Normalize (embeddings are normalised anyway).
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("modules.json");
        let modules: Vec<RawModule> = read_json(&path)?;
        let refuse = |index: usize, module: &RawModule, reason| Error::UnsupportedModule {
            path: path.clone(),
            index,
            module: module.kind.clone(),
            reason,
        };
        let mut stage = Stage::Start;
        let (mut pooling, mut dense) = (None, Vec::new());
        for (index, module) in modules.iter().enumerate() {
            let kind = module.kind.rsplit('.').next().unwrap_or_default();
            let next = stage.next(kind).ok_or_else(|| refuse(index, module, stage.expects()))?;
            let sub = module_dir(dir, &module.path).ok_or_else(|| refuse(index, module, BAD_PATH))?;
            match next {
                Stage::Transformer if sub != dir => {
                    return Err(refuse(index, module, "must be the directory itself"));
                }
                Stage::Pooling => pooling = Some(sub),
                Stage::Dense => dense.push(sub),
                _ => {}
            }
            stage = next;
        }
        let missing = |module| Error::MissingModule { path: path.clone(), module };
        match stage {
            Stage::Start => Err(missing("Transformer")),
            Stage::Transformer => Err(missing("Pooling")),
            _ => Ok(Self { pooling: pooling.ok_or_else(|| missing("Pooling"))?, dense }),
        }
    }
}

const BAD_PATH: &str = "its path must be a relative directory inside the model";

/// Where the modules of `modules.json` are in the pipeline so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Start,
    Transformer,
    Pooling,
    Dense,
    Normalize,
}

impl Stage {
    /// The stage after a module of class `kind`, if it may come here.
    fn next(self, kind: &str) -> Option<Self> {
        match (self, kind) {
            (Self::Start, "Transformer") => Some(Self::Transformer),
            (Self::Transformer, "Pooling") => Some(Self::Pooling),
            (Self::Pooling | Self::Dense, "Dense") => Some(Self::Dense),
            (Self::Pooling | Self::Dense, "Normalize") => Some(Self::Normalize),
            _ => None,
        }
    }

    fn expects(self) -> &'static str {
        match self {
            Self::Start => "expected a Transformer first",
            Self::Transformer => "expected Pooling after the Transformer",
            Self::Pooling | Self::Dense => "expected Dense or Normalize after Pooling",
            Self::Normalize => "nothing may follow Normalize",
        }
    }
}

/// `dir/path` for a path of plain components; `None` for `..`, absolute paths and the like.
fn module_dir(dir: &Path, path: &str) -> Option<PathBuf> {
    let safe = |part: &str| !part.is_empty() && part != "." && part != ".." && !part.contains('\\');
    if path.is_empty() {
        return Some(dir.to_owned());
    }
    path.split('/').all(safe).then(|| dir.join(path))
}

/// `sentence_bert_config.json`.
#[derive(Deserialize)]
struct RawSentenceBert {
    max_seq_length: Option<usize>,
    #[serde(default)]
    do_lower_case: bool,
}

/// `tokenizer_config.json`, where sentence-transformers 6 keeps the length.
#[derive(Deserialize)]
struct RawTokenizerConfig {
    model_max_length: Option<f64>,
}

/// The longest input in tokens, `[CLS]` and `[SEP]` included: `max_seq_length` of
/// `sentence_bert_config.json`, else `model_max_length` of `tokenizer_config.json`, never more
/// than the model has positions for.
pub fn max_seq_length(dir: &Path, config: &DistilBertConfig) -> Result<usize> {
    let path = dir.join("sentence_bert_config.json");
    let raw: RawSentenceBert = read_json(&path)?;
    if raw.do_lower_case {
        return Err(invalid(&path, "do_lower_case", true, "lowercasing models are not supported"));
    }
    let positions = config.max_position_embeddings;
    let Some(length) = raw.max_seq_length else { return Ok(tokenizer_max_length(dir)?.min(positions)) };
    if length == 0 || length > positions {
        return Err(invalid(
            &path,
            "max_seq_length",
            length,
            "must be positive and at most max_position_embeddings",
        ));
    }
    Ok(length)
}

/// `model_max_length` of `tokenizer_config.json`; no file or no value means no limit.
fn tokenizer_max_length(dir: &Path) -> Result<usize> {
    let path = dir.join("tokenizer_config.json");
    if !path.is_file() {
        return Ok(usize::MAX);
    }
    let raw: RawTokenizerConfig = read_json(&path)?;
    // transformers writes a huge float (1e30) for "no limit".
    Ok(raw.model_max_length.filter(|&n| n >= 1.0 && n < usize::MAX as f64).map_or(usize::MAX, |n| n as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_stay_inside_the_model() {
        let dir = Path::new("/m");
        assert_eq!(module_dir(dir, ""), Some(dir.to_owned()));
        assert_eq!(module_dir(dir, "2_Dense"), Some(dir.join("2_Dense")));
        for bad in ["..", "../x", "/etc", "a//b", "a\\b", "."] {
            assert_eq!(module_dir(dir, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn pipelines_go_transformer_pooling_dense_normalize() {
        let order = |kinds: &[&str]| kinds.iter().try_fold(Stage::Start, |stage, kind| stage.next(kind));
        assert!(order(&["Transformer", "Pooling", "Dense", "Dense", "Normalize"]).is_some());
        assert!(order(&["Transformer", "Pooling"]).is_some());
        for bad in
            [&["Pooling"][..], &["Transformer", "Dense"], &["Transformer", "Pooling", "Normalize", "Dense"]]
        {
            assert!(order(bad).is_none(), "{bad:?}");
        }
    }
}
