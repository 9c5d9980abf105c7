//! Layer norm over rows in one parallel, vectorised pass on the CPU.
//!
//! candle's fused layer norm runs one rayon task per row and sums each row
//! in a single scalar chain (`sum += v`, four cycles an add): ~4 % of the
//! f32 image tower, 24 calls of 800 rows per batch. Here rows go to rayon in
//! blocks, each row summed in 16 lanes (`fused::lanes`) (mean first, then the variance around
//! it: two passes, as PyTorch computes it, not `E[x²] − mean²`). Other
//! devices keep candle's op.

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;

/// Rows per parallel task.
const ROWS_PER_TASK: usize = 32;

/// `(x − mean) / √(var + eps) · weight + bias` over the last dimension,
/// like `candle_nn::LayerNorm`.
pub struct LayerNorm {
    candle: candle_nn::LayerNorm,
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

/// A layer norm over `size` values, its `weight` and `bias` read from `vb`.
pub fn layer_norm(size: usize, eps: f64, vb: VarBuilder) -> Result<LayerNorm> {
    LayerNorm::new(candle_nn::layer_norm(size, eps, vb)?, eps)
}

impl LayerNorm {
    /// candle's layer norm, with its `eps`, on the CPU path.
    fn new(candle: candle_nn::LayerNorm, eps: f64) -> Result<Self> {
        let weight = candle.weight().to_dtype(candle_core::DType::F32)?.to_vec1()?;
        let bias = match candle.bias() {
            Some(bias) => bias.to_dtype(candle_core::DType::F32)?.to_vec1()?,
            None => vec![0.0; weight.len()],
        };
        Ok(Self { candle, weight, bias, eps: eps as f32 })
    }
}

impl Module for LayerNorm {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let size = self.weight.len();
        if xs.dims().last() != Some(&size) || size == 0 {
            return self.candle.forward(xs);
        }
        let (storage, layout) = xs.storage_and_layout();
        let Some(x) = crate::cpu_slice(&storage, layout) else {
            drop(storage);
            return self.candle.forward(xs);
        };
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(ROWS_PER_TASK * size).zip(x.par_chunks(ROWS_PER_TASK * size)).for_each(
            |(out, x)| {
                for (out, x) in out.chunks_exact_mut(size).zip(x.chunks_exact(size)) {
                    normalize(x, out, &self.weight, &self.bias, self.eps);
                }
            },
        );
        Tensor::from_vec(out, xs.dims(), xs.device())
    }
}

/// One row; AVX-512 or AVX2 where the CPU has them (the build targets
/// baseline x86-64).
fn normalize(x: &[f32], out: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx512() {
        // SAFETY: `normalize_avx512` only needs AVX-512F, which the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { normalize_avx512(x, out, weight, bias, eps) };
    }
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx2() {
        // SAFETY: `normalize_avx2` only needs AVX2 and FMA, which the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { normalize_avx2(x, out, weight, bias, eps) };
    }
    normalize_with(x, out, weight, bias, eps);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn normalize_avx512(x: &[f32], out: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    normalize_with(x, out, weight, bias, eps);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn normalize_avx2(x: &[f32], out: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    normalize_with(x, out, weight, bias, eps);
}

#[inline(always)]
fn normalize_with(x: &[f32], out: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    let n = x.len() as f32;
    let mean = lane_sum(x, |v| v) / n;
    let var = lane_sum(x, |v| (v - mean) * (v - mean)) / n;
    let inv = 1.0 / (var + eps).sqrt();
    for (((o, &v), &w), &b) in out.iter_mut().zip(x).zip(weight).zip(bias) {
        *o = (v - mean) * inv * w + b;
    }
}

/// `Σ f(v)`, in lanes.
#[inline(always)]
fn lane_sum(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    crate::fused::lanes(x, 0.0, |a, v| a + f(v), |a, b| a + b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// The layer norm in f64, two passes.
    fn reference(x: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = x.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
        let inv = 1.0 / (var + 1e-5).sqrt();
        x.iter()
            .zip(weight.iter().zip(bias))
            .map(|(&v, (&w, &b))| ((f64::from(v) - mean) * inv * f64::from(w) + f64::from(b)) as f32)
            .collect()
    }

    #[test]
    fn rows_normalise_to_an_f64_reference_and_other_layouts_go_to_candle() {
        for size in [768, 70, 5] {
            let [w, b] = [1f32, 0.5].map(|s| Tensor::randn(0f32, s, size, &Device::Cpu).expect("randn"));
            let norm = LayerNorm::new(candle_nn::LayerNorm::new(w, b, 1e-5), 1e-5).expect("ln");
            // Rows far from zero: a one-pass variance (E[x²] − mean²) would lose digits.
            let xs =
                (Tensor::randn(0f32, 2f32, (3, 41, size), &Device::Cpu).expect("xs") + 30.0).expect("add");
            let ours = norm.forward(&xs).expect("ours").flatten_all().and_then(|t| t.to_vec1::<f32>());
            let x = xs.flatten_all().and_then(|t| t.to_vec1::<f32>()).expect("x");
            let expected: Vec<f32> =
                x.chunks(size).flat_map(|row| reference(row, &norm.weight, &norm.bias)).collect();
            let worst =
                ours.expect("ours").iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            // f32 sums of values near 30: ~1e-5 off the f64 values (candle's one-pass op: 5e-4–1.6e-3).
            assert!(worst < 5e-5, "{size}: {worst}");
            // A strided input takes candle's op, to the same values.
            let strided = norm.forward(&xs.transpose(0, 1).expect("t")).expect("candle").transpose(0, 1);
            let expected = Tensor::from_vec(expected, xs.dims(), &Device::Cpu).expect("expected");
            let diff = (strided.expect("t") - expected).and_then(|d| d.abs()?.max_all()?.to_scalar::<f32>());
            assert!(diff.expect("diff") < 1e-3, "{size}");
        }
    }
}
