//! The CLIP network on candle. Pure computation: no file access; the
//! `VarBuilder` prefixes are the checkpoint's tensor names.

use candle_core::{DType, Device, IndexOp, Module, Result, Tensor};
use candle_nn::{Embedding, VarBuilder};

use crate::attention::{Heads, attend_tensors};
use crate::dense::Dense;
use crate::gemm::Kernel;
use crate::norm::{LayerNorm, layer_norm};
use crate::patches::PatchEmbedding;

use crate::config::{Activation, ClipConfig, TextConfig, TowerConfig, VisionConfig};

impl Module for Activation {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        match self {
            Activation::QuickGelu => crate::fused::quick_gelu(xs),
            Activation::Gelu => xs.gelu_erf(),
            Activation::GeluTanh => xs.gelu(),
        }
    }
}

struct Attention {
    /// q, k and v projected by one product (their weights stacked): the
    /// activations are read and packed once, not three times.
    qkv: Dense,
    out_proj: Dense,
    heads: usize,
    head_dim: usize,
}

impl Attention {
    fn new(vb: VarBuilder, c: &TowerConfig) -> Result<Self> {
        let d = c.hidden_size;
        let [q, k, v] = ["q_proj", "k_proj", "v_proj"].map(|name| candle_nn::linear(d, d, vb.pp(name)));
        let (q, k, v) = (q?, k?, v?);
        let weight = Tensor::cat(&[q.weight(), k.weight(), v.weight()], 0)?;
        let bias = match (q.bias(), k.bias(), v.bias()) {
            (Some(q), Some(k), Some(v)) => Some(Tensor::cat(&[q, k, v], 0)?),
            _ => candle_core::bail!("the q, k and v projections have biases"),
        };
        Ok(Self {
            qkv: Dense::from_linear(candle_nn::Linear::new(weight, bias))?,
            out_proj: Dense::new(d, d, vb.pp("out_proj"))?,
            heads: c.num_attention_heads,
            head_dim: d / c.num_attention_heads,
        })
    }

    /// (batch, seq, hidden) -> (batch, heads, seq, head_dim)
    fn split_heads(&self, xs: Tensor, batch: usize, seq: usize) -> Result<Tensor> {
        xs.reshape((batch, seq, self.heads, self.head_dim))?.transpose(1, 2)?.contiguous()
    }

    fn halve(&mut self) -> Result<()> {
        [&mut self.qkv, &mut self.out_proj].into_iter().try_for_each(Dense::halve)
    }

    fn pack(&mut self, kernel: Kernel) -> Result<()> {
        [&mut self.qkv, &mut self.out_proj].into_iter().try_for_each(|dense| dense.pack(kernel))
    }

    /// `residual + attention(xs)`, the sum fused into the output projection.
    fn forward(&self, xs: &Tensor, mask: Option<&Tensor>, residual: &Tensor) -> Result<Tensor> {
        let (batch, seq, hidden) = xs.dims3()?;
        let scale = (self.head_dim as f64).powf(-0.5);
        let qkv = self.qkv.forward(xs)?;
        let heads = Heads { seq, heads: self.heads, head_dim: self.head_dim, scale: scale as f32 };
        if let Some(out) = attend_tensors(&qkv, mask, heads) {
            let out = Tensor::from_vec(out, (batch, seq, hidden), xs.device())?;
            return self.out_proj.forward_onto(&out, residual);
        }
        // Other devices: candle's ops.
        let part = |i: usize| qkv.narrow(2, i * hidden, hidden);
        let q = self.split_heads((part(0)? * scale)?, batch, seq)?;
        let (k, v) = (self.split_heads(part(1)?, batch, seq)?, self.split_heads(part(2)?, batch, seq)?);
        let scores = q.matmul(&k.t()?)?;
        let scores = match mask {
            Some(mask) => scores.broadcast_add(mask)?,
            None => scores,
        };
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = weights.matmul(&v)?.transpose(1, 2)?.reshape((batch, seq, hidden))?;
        self.out_proj.forward_onto(&out, residual)
    }
}

struct EncoderLayer {
    self_attn: Attention,
    layer_norm1: LayerNorm,
    fc1: Dense,
    fc2: Dense,
    activation: Activation,
    layer_norm2: LayerNorm,
}

impl EncoderLayer {
    fn new(vb: VarBuilder, c: &TowerConfig) -> Result<Self> {
        let (d, eps) = (c.hidden_size, c.layer_norm_eps);
        Ok(Self {
            self_attn: Attention::new(vb.pp("self_attn"), c)?,
            layer_norm1: layer_norm(d, eps, vb.pp("layer_norm1"))?,
            fc1: Dense::new(d, c.intermediate_size, vb.pp("mlp.fc1"))?,
            fc2: Dense::new(c.intermediate_size, d, vb.pp("mlp.fc2"))?,
            activation: c.activation,
            layer_norm2: layer_norm(d, eps, vb.pp("layer_norm2"))?,
        })
    }

    fn forward(&self, xs: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let xs = self.self_attn.forward(&self.layer_norm1.forward(xs)?, mask, xs)?;
        self.mlp_onto(&self.layer_norm2.forward(&xs)?, &xs, MLP_BLOCK_ROWS)
    }

    /// `xs + fc2(activation(fc1(normed)))`, at most `block_rows` rows at a
    /// time (see [`MLP_BLOCK_ROWS`]).
    fn mlp_onto(&self, normed: &Tensor, xs: &Tensor, block_rows: usize) -> Result<Tensor> {
        let dims = xs.dims().to_vec();
        let width = dims.last().copied().unwrap_or(0);
        let rows = xs.elem_count() / width.max(1);
        let blocks = rows.div_ceil(block_rows.max(1));
        if blocks <= 1 {
            return self.fc2.forward_onto(&self.mlp_hidden(normed)?, xs);
        }
        let (normed, xs) = (normed.reshape((rows, width))?, xs.reshape((rows, width))?);
        let per_block = rows.div_ceil(blocks);
        let outs = (0..rows)
            .step_by(per_block)
            .map(|start| {
                let len = per_block.min(rows - start);
                let hidden = self.mlp_hidden(&normed.narrow(0, start, len)?)?;
                self.fc2.forward_onto(&hidden, &xs.narrow(0, start, len)?)
            })
            .collect::<Result<Vec<_>>>()?;
        Tensor::cat(&outs, 0)?.reshape(dims)
    }

    /// `activation(fc1(xs))`; QuickGELU applied inside the product where
    /// fc1's weights are packed (its output still in cache).
    fn mlp_hidden(&self, xs: &Tensor) -> Result<Tensor> {
        if self.activation == Activation::QuickGelu
            && let Some(hidden) = self.fc1.forward_then(xs, &crate::fused::quick_gelu_in_place)?
        {
            return Ok(hidden);
        }
        self.activation.forward(&self.fc1.forward(xs)?)
    }
}

/// Rows per block of the MLP. In blocks, fc1's output (four times as wide:
/// 9.8 MB for 16 images) is never whole: each block's (≤ 4.9 MB) stays in
/// cache and reuses the allocator's memory, where the whole one came back as
/// fresh pages from the OS on most layers (glibc's malloc gives chunks that
/// large back on free): 2,200 page faults an image before, ~150 after, and
/// 13–23 % more images/s in the f32 tower on the Zen 5 VM.
const MLP_BLOCK_ROWS: usize = 400;

struct Encoder {
    layers: Vec<EncoderLayer>,
}

impl Encoder {
    fn new(vb: VarBuilder, c: &TowerConfig) -> Result<Self> {
        let vb = vb.pp("layers");
        let layers =
            (0..c.num_hidden_layers).map(|i| EncoderLayer::new(vb.pp(i), c)).collect::<Result<_>>()?;
        Ok(Self { layers })
    }

    fn forward(&self, xs: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        self.layers.iter().try_fold(xs.clone(), |xs, layer| layer.forward(&xs, mask))
    }

    /// Every linear layer's products on `kernel`, weights packed (see [`Dense::pack`]).
    fn pack(&mut self, kernel: Kernel) -> Result<()> {
        for layer in &mut self.layers {
            layer.self_attn.pack(kernel)?;
            layer.fc1.pack(kernel)?;
            layer.fc2.pack(kernel)?;
        }
        Ok(())
    }

    fn halve(&mut self) -> Result<()> {
        for layer in &mut self.layers {
            layer.self_attn.halve()?;
            layer.fc1.halve()?;
            layer.fc2.halve()?;
        }
        Ok(())
    }
}

/// `text_model` plus `text_projection`.
struct TextTower {
    token_embedding: Embedding,
    position_embedding: Tensor,
    encoder: Encoder,
    final_layer_norm: LayerNorm,
    projection: Dense,
}

impl TextTower {
    fn new(vb: VarBuilder, c: &TextConfig, projection_dim: usize) -> Result<Self> {
        let d = c.tower.hidden_size;
        let text = vb.pp("text_model");
        let embeddings = text.pp("embeddings");
        Ok(Self {
            token_embedding: candle_nn::embedding(c.vocab_size, d, embeddings.pp("token_embedding"))?,
            position_embedding: embeddings
                .pp("position_embedding")
                .get((c.max_position_embeddings, d), "weight")?,
            encoder: Encoder::new(text.pp("encoder"), &c.tower)?,
            final_layer_norm: layer_norm(d, c.tower.layer_norm_eps, text.pp("final_layer_norm"))?,
            projection: Dense::no_bias(d, projection_dim, vb.pp("text_projection"))?,
        })
    }

    /// `ids`: (batch, seq) u32; `pooled`: for each row, the position of its
    /// first eos. Tokens after it may be anything: the causal mask keeps them
    /// from reaching the pooled position.
    fn forward(&self, ids: &Tensor, pooled: &[usize]) -> Result<Tensor> {
        let (batch, seq) = ids.dims2()?;
        let xs = self.token_embedding.forward(ids)?.broadcast_add(&self.position_embedding.i(..seq)?)?;
        let mask = causal_mask(seq, ids.device())?;
        let xs = self.final_layer_norm.forward(&self.encoder.forward(&xs, Some(&mask))?)?;
        let rows: Vec<u32> = pooled.iter().enumerate().map(|(b, &p)| (b * seq + p) as u32).collect();
        let rows = Tensor::new(rows.as_slice(), ids.device())?;
        let pooled = xs.reshape((batch * seq, ()))?.index_select(&rows, 0)?;
        self.projection.forward(&pooled)
    }
}

fn causal_mask(seq: usize, device: &Device) -> Result<Tensor> {
    let mask: Vec<f32> =
        (0..seq).flat_map(|i| (0..seq).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 })).collect();
    Tensor::from_slice(&mask, (seq, seq), device)
}

/// `vision_model` plus `visual_projection`.
struct VisionTower {
    patch_embedding: PatchEmbedding,
    class_embedding: Tensor,
    position_embedding: Tensor,
    pre_layernorm: LayerNorm,
    encoder: Encoder,
    post_layernorm: LayerNorm,
    projection: Dense,
}

impl VisionTower {
    fn new(vb: VarBuilder, c: &VisionConfig, projection_dim: usize) -> Result<Self> {
        let (d, eps) = (c.tower.hidden_size, c.tower.layer_norm_eps);
        let vision = vb.pp("vision_model");
        let embeddings = vision.pp("embeddings");
        let patches = (c.image_size / c.patch_size).pow(2);
        Ok(Self {
            patch_embedding: PatchEmbedding::new(
                c.num_channels,
                d,
                c.patch_size,
                embeddings.pp("patch_embedding"),
            )?,
            class_embedding: embeddings.get(d, "class_embedding")?,
            position_embedding: embeddings.pp("position_embedding").get((patches + 1, d), "weight")?,
            // The checkpoint's own spelling.
            pre_layernorm: layer_norm(d, eps, vision.pp("pre_layrnorm"))?,
            encoder: Encoder::new(vision.pp("encoder"), &c.tower)?,
            post_layernorm: layer_norm(d, eps, vision.pp("post_layernorm"))?,
            projection: Dense::no_bias(d, projection_dim, vb.pp("visual_projection"))?,
        })
    }

    /// `pixels`: (batch, 3, size, size).
    fn forward(&self, pixels: &Tensor) -> Result<Tensor> {
        let batch = pixels.dim(0)?;
        let patches = self.patch_embedding.forward(pixels)?;
        let hidden = self.class_embedding.dim(0)?;
        let class = self.class_embedding.reshape((1, 1, hidden))?.broadcast_as((batch, 1, hidden))?;
        let xs = Tensor::cat(&[&class, &patches], 1)?.broadcast_add(&self.position_embedding)?;
        let xs = self.encoder.forward(&self.pre_layernorm.forward(&xs)?, None)?;
        let cls = self.post_layernorm.forward(&xs.i((.., 0))?)?;
        self.projection.forward(&cls)
    }
}

/// Both towers; outputs are projected but not yet normalised.
pub struct ClipModel {
    text: TextTower,
    vision: VisionTower,
}

impl ClipModel {
    /// Builds the model from weights named as in transformers' `CLIPModel`.
    pub fn new(vb: VarBuilder, c: &ClipConfig) -> Result<Self> {
        Ok(Self {
            text: TextTower::new(vb.clone(), &c.text, c.projection_dim)?,
            vision: VisionTower::new(vb, &c.vision, c.projection_dim)?,
        })
    }

    /// Runs the image tower's linear layers and patch embedding on `kernel`,
    /// their weights packed for it (see [`crate::gemm`]).
    pub fn pack_vision(&mut self, kernel: Kernel) -> Result<()> {
        self.vision.patch_embedding.pack(kernel)?;
        self.vision.encoder.pack(kernel)
    }

    /// Keeps the text tower's linear weights in f16 (see [`Dense::halve`]):
    /// half the memory a text query reads, and half the text tower's RAM.
    pub fn halve_text(&mut self) -> Result<()> {
        self.text.encoder.halve()?;
        self.text.projection.halve()
    }

    /// Text features for padded `ids` pooled at `eos_positions`.
    pub fn text_features(&self, ids: &Tensor, eos_positions: &[usize]) -> Result<Tensor> {
        self.text.forward(ids, eos_positions)
    }

    /// Image features for (batch, 3, H, W) pixels.
    pub fn image_features(&self, pixels: &Tensor) -> Result<Tensor> {
        self.vision.forward(pixels)
    }
}

/// The weights' dtype when computing: always f32 on CPU.
pub const COMPUTE_DTYPE: DType = DType::F32;

#[cfg(test)]
mod tests {
    use super::*;
    use candle_nn::VarMap;

    #[test]
    fn the_mlp_in_blocks_equals_it_whole() {
        let config = TowerConfig {
            hidden_size: 24,
            intermediate_size: 96,
            num_hidden_layers: 1,
            num_attention_heads: 2,
            activation: Activation::QuickGelu,
            layer_norm_eps: 1e-5,
        };
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        let mut layer = EncoderLayer::new(vb, &config).expect("layer");
        let xs = Tensor::randn(0f32, 1f32, (3, 50, 24), &Device::Cpu).expect("xs");
        let normed = layer.layer_norm2.forward(&xs).expect("norm");
        for kernel in [None, Some(Kernel::Portable)] {
            if let Some(kernel) = kernel {
                layer.fc1.pack(kernel).expect("pack");
                layer.fc2.pack(kernel).expect("pack");
            }
            let whole = layer.mlp_onto(&normed, &xs, usize::MAX).expect("whole");
            // 150 rows in blocks of 37, 37, 37, 37 and 2 (ragged).
            let blocked = layer.mlp_onto(&normed, &xs, 37).expect("blocked");
            assert_eq!(blocked.dims(), whole.dims());
            let diff = (blocked - &whole).and_then(|d| d.abs()?.max_all()?.to_scalar::<f32>()).expect("diff");
            // The packed path sums each row in one order whatever the block;
            // candle's gemm picks its blocking by the matrix's size.
            let bar = if kernel.is_some() { 0.0 } else { 1e-5 };
            assert!(diff <= bar, "{kernel:?}: {diff}");
            assert_ne!(
                whole.to_vec3::<f32>().expect("v"),
                xs.to_vec3::<f32>().expect("v"),
                "the MLP adds something"
            );
        }
    }
}
