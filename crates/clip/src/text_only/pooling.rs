//! What follows the encoder: mean pooling, then the Dense modules into the image model's space.

use candle_core::{D, Module, Result, Tensor};
use candle_nn::VarBuilder;

use super::config::{DenseActivation, DenseConfig};
use crate::dense::Dense;

/// `sum(tokens · mask) / sum(mask)` over the sequence: (batch, seq, dim) -> (batch, dim), as
/// sentence-transformers' mean pooling computes it (its 1e-9 floor on the count included).
pub fn mean_pool(tokens: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let weights = mask.unsqueeze(D::Minus1)?;
    let summed = tokens.broadcast_mul(&weights)?.sum(1)?;
    let counts = weights.sum(1)?.clamp(1e-9f32, f32::MAX)?;
    summed.broadcast_div(&counts)
}

/// One Dense module: `activation(x Wᵀ + b)`.
pub struct DenseLayer {
    linear: Dense,
    activation: DenseActivation,
}

impl DenseLayer {
    /// `vb` over the module's `model.safetensors`, whose tensors are `linear.weight` and
    /// `linear.bias`.
    pub fn new(vb: VarBuilder, c: &DenseConfig) -> Result<Self> {
        let (i, o, vb) = (c.in_features, c.out_features, vb.pp("linear"));
        let linear = if c.bias { Dense::new(i, o, vb)? } else { Dense::no_bias(i, o, vb)? };
        Ok(Self { linear, activation: c.activation })
    }
}

impl Module for DenseLayer {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let ys = self.linear.forward(xs)?;
        match self.activation {
            DenseActivation::Identity => Ok(ys),
            DenseActivation::Tanh => ys.tanh(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    #[test]
    fn mean_pooling_ignores_padded_positions() {
        let tokens = Tensor::new(&[[[1f32, 2.], [3., 4.], [100., 100.]]], &Device::Cpu).expect("tokens");
        let mask = Tensor::new(&[[1f32, 1., 0.]], &Device::Cpu).expect("mask");
        let pooled: Vec<Vec<f32>> = mean_pool(&tokens, &mask).expect("pool").to_vec2().expect("vec");
        assert_eq!(pooled, [[2., 3.]]);
    }

    #[test]
    fn tanh_follows_the_product_and_identity_leaves_it() {
        let device = Device::Cpu;
        let tensors = std::collections::HashMap::from([
            ("linear.weight".to_owned(), Tensor::new(&[[0.5f32, 0.25]], &device).expect("w")),
            ("linear.bias".to_owned(), Tensor::new(&[0.1f32], &device).expect("b")),
        ]);
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let config = |activation| DenseConfig {
            dir: "2_Dense".into(),
            in_features: 2,
            out_features: 1,
            bias: true,
            activation,
        };
        let x = Tensor::new(&[[3f32, -1.]], &device).expect("x");
        let run = |activation| -> f32 {
            let layer = DenseLayer::new(vb.clone(), &config(activation)).expect("dense");
            layer.forward(&x).expect("forward").flatten_all().expect("flat").to_vec1().expect("vec")[0]
        };
        assert!((run(DenseActivation::Identity) - 1.35).abs() < 1e-6);
        assert!((run(DenseActivation::Tanh) - 1.35f32.tanh()).abs() < 1e-6);
    }
}
