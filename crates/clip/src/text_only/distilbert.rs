//! DistilBERT on candle, as transformers' `DistilBertModel` computes it. Pure computation: the
//! `VarBuilder` prefixes are the checkpoint's tensor names (`embeddings.*`, `transformer.layer.N.*`).

use candle_core::{DType, IndexOp, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, VarBuilder};

use super::config::DistilBertConfig;
use crate::dense::Dense;

/// DistilBERT's layer norms all use this epsilon, whatever the config says.
const LAYER_NORM_EPS: f64 = 1e-12;

struct Attention {
    q_lin: Dense,
    k_lin: Dense,
    v_lin: Dense,
    out_lin: Dense,
    heads: usize,
    head_dim: usize,
}

impl Attention {
    fn new(vb: VarBuilder, c: &DistilBertConfig) -> Result<Self> {
        let d = c.dim;
        Ok(Self {
            q_lin: Dense::new(d, d, vb.pp("q_lin"))?,
            k_lin: Dense::new(d, d, vb.pp("k_lin"))?,
            v_lin: Dense::new(d, d, vb.pp("v_lin"))?,
            out_lin: Dense::new(d, d, vb.pp("out_lin"))?,
            heads: c.n_heads,
            head_dim: d / c.n_heads,
        })
    }

    /// (batch, seq, dim) -> (batch, heads, seq, head_dim)
    fn split_heads(&self, xs: Tensor, batch: usize, seq: usize) -> Result<Tensor> {
        xs.reshape((batch, seq, self.heads, self.head_dim))?.transpose(1, 2)?.contiguous()
    }

    /// `mask`: (batch, 1, 1, seq), 0 for tokens and -inf for padding, so no query attends to it.
    fn forward(&self, xs: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (batch, seq, dim) = xs.dims3()?;
        let scale = (self.head_dim as f64).powf(-0.5);
        let q = self.split_heads((self.q_lin.forward(xs)? * scale)?, batch, seq)?;
        let k = self.split_heads(self.k_lin.forward(xs)?, batch, seq)?;
        let v = self.split_heads(self.v_lin.forward(xs)?, batch, seq)?;
        let scores = q.matmul(&k.t()?)?.broadcast_add(mask)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = weights.matmul(&v)?.transpose(1, 2)?.reshape((batch, seq, dim))?;
        self.out_lin.forward(&out)
    }
}

/// One `transformer.layer.N`: post-norm attention, then a post-norm GELU feed-forward block.
struct Layer {
    attention: Attention,
    sa_layer_norm: LayerNorm,
    lin1: Dense,
    lin2: Dense,
    output_layer_norm: LayerNorm,
}

impl Layer {
    fn new(vb: VarBuilder, c: &DistilBertConfig) -> Result<Self> {
        let (d, h) = (c.dim, c.hidden_dim);
        Ok(Self {
            attention: Attention::new(vb.pp("attention"), c)?,
            sa_layer_norm: candle_nn::layer_norm(d, LAYER_NORM_EPS, vb.pp("sa_layer_norm"))?,
            lin1: Dense::new(d, h, vb.pp("ffn.lin1"))?,
            lin2: Dense::new(h, d, vb.pp("ffn.lin2"))?,
            output_layer_norm: candle_nn::layer_norm(d, LAYER_NORM_EPS, vb.pp("output_layer_norm"))?,
        })
    }

    fn forward(&self, xs: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let attended = self.sa_layer_norm.forward(&(self.attention.forward(xs, mask)? + xs)?)?;
        let hidden = self.lin2.forward(&self.lin1.forward(&attended)?.gelu_erf()?)?;
        self.output_layer_norm.forward(&(hidden + attended)?)
    }
}

/// The encoder: token vectors out, one per input position.
pub struct DistilBert {
    word_embeddings: Embedding,
    position_embeddings: Tensor,
    layer_norm: LayerNorm,
    layers: Vec<Layer>,
}

impl DistilBert {
    /// Builds the encoder from weights named as transformers' `DistilBertModel` saves them.
    pub fn new(vb: VarBuilder, c: &DistilBertConfig) -> Result<Self> {
        let embeddings = vb.pp("embeddings");
        let layers = vb.pp("transformer.layer");
        Ok(Self {
            word_embeddings: candle_nn::embedding(c.vocab_size, c.dim, embeddings.pp("word_embeddings"))?,
            position_embeddings: embeddings
                .pp("position_embeddings")
                .get((c.max_position_embeddings, c.dim), "weight")?,
            layer_norm: candle_nn::layer_norm(c.dim, LAYER_NORM_EPS, embeddings.pp("LayerNorm"))?,
            layers: (0..c.n_layers).map(|i| Layer::new(layers.pp(i), c)).collect::<Result<_>>()?,
        })
    }

    /// `ids`: (batch, seq) u32; `mask`: (batch, seq) f32, 1 for tokens and 0 for padding.
    /// Returns (batch, seq, dim); rows at padded positions are meaningless.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (batch, seq) = ids.dims2()?;
        let positions = self.position_embeddings.i(..seq)?;
        let xs = self.word_embeddings.forward(ids)?.broadcast_add(&positions)?;
        let xs = self.layer_norm.forward(&xs)?;
        let bias = attention_bias(mask)?.reshape((batch, 1, 1, seq))?;
        self.layers.iter().try_fold(xs, |xs, layer| layer.forward(&xs, &bias))
    }
}

/// 0 where `mask` is 1, -inf where it is 0. Every row has a token (`[CLS]`), so no softmax row
/// is all -inf.
fn attention_bias(mask: &Tensor) -> Result<Tensor> {
    let zeros = mask.zeros_like()?;
    let minus_inf = Tensor::full(f32::NEG_INFINITY, mask.shape(), mask.device())?.to_dtype(DType::F32)?;
    mask.ge(0.5)?.where_cond(&zeros, &minus_inf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn padding_gets_minus_infinity() {
        let mask = Tensor::new(&[1f32, 0.], &Device::Cpu).expect("mask");
        let bias: Vec<f32> = attention_bias(&mask).expect("bias").to_vec1().expect("vec");
        assert_eq!(bias, [0., f32::NEG_INFINITY]);
    }
}
