//! A linear layer that is fast for a handful of rows too.
//!
//! candle's `Linear` hands every product to gemm, which first repacks the
//! whole weight matrix: fine for an image batch (hundreds of rows share the
//! repacking), ruinous for a text query of a few tokens, where the repacking
//! is most of the work (the text tower took 45 ms for one query on 2 cores).
//! With few rows, each output is instead a dot product of two contiguous
//! rows, reading the weights once, straight from the tensor's own storage.

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Linear, VarBuilder};
use half::f16;
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

use crate::cpu_slice;
use crate::gemm::{self, Kernel, PackedWeights};

/// Up to this many rows take the dot-product path.
const SMALL_ROWS: usize = 32;

/// Output features per parallel task.
const BLOCK: usize = 64;

/// `y = x Wᵀ + b`, like `candle_nn::Linear`.
pub struct Dense {
    linear: Linear,
    bias: Option<Vec<f32>>,
    /// The weights in f16 once [`Dense::halve`]d, and then the only copy
    /// (`linear`'s weight is dropped): the few-row path reads them (half the
    /// memory traffic it is bound by); more rows widen them for candle first.
    half: Option<Vec<f16>>,
    /// The weights packed for [`gemm`] once [`Dense::pack`]ed, and then the
    /// only copy: every product takes the packed path.
    packed: Option<(Kernel, PackedWeights)>,
}

impl Dense {
    /// `in_dim` → `out_dim`, with a bias (named as `candle_nn::linear` names them).
    pub fn new(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        Self::from_linear(candle_nn::linear(in_dim, out_dim, vb)?)
    }

    /// `in_dim` → `out_dim`, without a bias.
    pub fn no_bias(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        Self::from_linear(candle_nn::linear_no_bias(in_dim, out_dim, vb)?)
    }

    pub(crate) fn from_linear(linear: Linear) -> Result<Self> {
        let bias = linear.bias().map(Tensor::to_vec1::<f32>).transpose()?;
        Ok(Self { linear, bias, half: None, packed: None })
    }

    /// Makes every product use `kernel` on weights packed once here (see
    /// [`gemm`]); the f32 weights in candle's layout are dropped. Packing
    /// again for another kernel repacks from the packed f32 weights; from
    /// bf16 only to a kernel of the same layout (the rounding cannot be undone).
    pub fn pack(&mut self, kernel: Kernel) -> Result<()> {
        let (weights, out_dim, in_dim) = match &mut self.packed {
            Some((current, weights)) if weights.layout() == kernel.layout() => {
                *current = kernel;
                return Ok(());
            }
            Some((current, weights)) => {
                let Some(unpacked) = weights.unpack() else {
                    candle_core::bail!(
                        "weights packed in bf16 for {current:?} cannot be repacked for {kernel:?}"
                    )
                };
                (unpacked, weights.out_dim(), weights.in_dim())
            }
            None => {
                let weight = self.linear.weight();
                let (out_dim, in_dim) = weight.dims2()?;
                (weight.flatten_all()?.to_vec1::<f32>()?, out_dim, in_dim)
            }
        };
        let packed = PackedWeights::new(kernel.layout(), &weights, out_dim, in_dim, self.bias.clone());
        self.packed = Some((kernel, packed));
        let empty = Tensor::zeros((out_dim, 0), DType::F32, self.linear.weight().device())?;
        self.linear = Linear::new(empty, self.linear.bias().cloned());
        Ok(())
    }

    /// The product with `then` applied to its output in cache (see
    /// [`gemm::linear_fused`]), where the weights are packed; `None` elsewhere.
    pub fn forward_then(&self, xs: &Tensor, then: &(dyn Fn(&mut [f32]) + Sync)) -> Result<Option<Tensor>> {
        let Some((kernel, weights)) = &self.packed else { return Ok(None) };
        self.forward_packed(xs, *kernel, weights, None, then).map(Some)
    }

    /// `onto + self(xs)`: where the weights are packed, the product starts
    /// from `onto` (a residual) instead of a pass of its own.
    pub fn forward_onto(&self, xs: &Tensor, onto: &Tensor) -> Result<Tensor> {
        let Some((kernel, weights)) = &self.packed else { return onto + self.forward(xs)? };
        let onto = onto.contiguous()?;
        let (storage, layout) = onto.storage_and_layout();
        let Some(onto) = cpu_slice(&storage, layout) else {
            candle_core::bail!("the packed linear path adds onto contiguous f32 on the CPU")
        };
        self.forward_packed(xs, *kernel, weights, Some(onto), &|_| {})
    }

    /// The packed path: `xs` made contiguous, multiplied on rayon's pool.
    fn forward_packed(
        &self,
        xs: &Tensor,
        kernel: Kernel,
        weights: &PackedWeights,
        onto: Option<&[f32]>,
        then: &(dyn Fn(&mut [f32]) + Sync),
    ) -> Result<Tensor> {
        let xs = xs.contiguous()?;
        let rows = xs.elem_count() / weights.in_dim().max(1);
        if onto.is_some_and(|onto| onto.len() != rows * weights.out_dim()) {
            candle_core::bail!("the residual is not {rows} × {}", weights.out_dim());
        }
        let (storage, layout) = xs.storage_and_layout();
        let Some(x) = cpu_slice(&storage, layout) else {
            candle_core::bail!("the packed linear path takes contiguous f32 on the CPU")
        };
        let y = gemm::linear_fused(kernel, x, rows, weights, onto, then);
        let mut shape = xs.dims().to_vec();
        if let Some(last) = shape.last_mut() {
            *last = weights.out_dim();
        }
        Tensor::from_vec(y, shape, xs.device())
    }

    /// Makes the few-row path read f16 weights (rounded to nearest from the
    /// f32 ones): for a tower that only ever sees a few rows (a text query),
    /// where reading the weights is the cost.
    pub fn halve(&mut self) -> Result<()> {
        let weight = self.linear.weight();
        let weights = weight.flatten_all()?.to_vec1::<f32>()?;
        let mut half = vec![f16::ZERO; weights.len()];
        half.convert_from_f32_slice(&weights);
        let empty = Tensor::zeros((weight.dim(0)?, 0), DType::F32, weight.device())?;
        self.linear = Linear::new(empty, self.linear.bias().cloned());
        self.half = Some(half);
        Ok(())
    }

    /// `linear`, with the f32 weights widened from the f16 ones when halved.
    fn full(&self, in_dim: usize) -> Result<std::borrow::Cow<'_, Linear>> {
        let Some(half) = &self.half else { return Ok(std::borrow::Cow::Borrowed(&self.linear)) };
        let mut weights = vec![0f32; half.len()];
        half.convert_to_f32_slice(&mut weights);
        let out_dim = half.len() / in_dim.max(1);
        let weight = Tensor::from_vec(weights, (out_dim, in_dim), self.linear.weight().device())?;
        Ok(std::borrow::Cow::Owned(Linear::new(weight, self.linear.bias().cloned())))
    }

    /// The dot-product path, when the weights are contiguous f32 on the CPU.
    fn forward_small(&self, xs: &Tensor, rows: usize) -> Result<Option<Tensor>> {
        let weight = self.linear.weight();
        let in_dim = xs.dim(xs.rank() - 1)?;
        let out_dim = weight.dim(0)?;
        let (storage, layout) = weight.storage_and_layout();
        let weights: &[f32] = match cpu_slice(&storage, layout) {
            _ if self.half.is_some() => &[],
            Some(weights) => weights,
            None => return Ok(None),
        };
        let x = xs.flatten_all()?.to_vec1::<f32>()?;
        let mut y = vec![0f32; rows * out_dim];
        let bias_of = |b: usize| self.bias.as_ref().map(|bias| &bias[b * BLOCK..]);
        // Column blocks in parallel: y is row-major (rows, out_dim), so each
        // task writes its own columns of every row through a transposed buffer.
        let blocks: Vec<Vec<f32>> = match &self.half {
            // Each block widened to f32 in cache (F16C where the CPU has it), then as below.
            Some(half) => half
                .par_chunks(BLOCK * in_dim)
                .enumerate()
                .map(|(b, h_block)| products_half(h_block, &x, in_dim, bias_of(b)))
                .collect(),
            None => weights
                .par_chunks(BLOCK * in_dim)
                .enumerate()
                .map(|(b, w_block)| products(w_block, &x, in_dim, bias_of(b)))
                .collect(),
        };
        for (b, block) in blocks.iter().enumerate() {
            for (j, column) in block.chunks_exact(rows).enumerate() {
                for (i, value) in column.iter().enumerate() {
                    y[i * out_dim + b * BLOCK + j] = *value;
                }
            }
        }
        let mut shape = xs.dims().to_vec();
        if let Some(last) = shape.last_mut() {
            *last = out_dim;
        }
        Ok(Some(Tensor::from_vec(y, shape, xs.device())?))
    }
}

/// Whether f16 weights make the few-row path faster on this CPU, so that
/// `--precision auto` halves the text tower: on the AVX-512 Xeon a query's
/// text tower took 15.5–15.8 ms p50 in f16 against 16.7–17.3 in f32 (three
/// runs, 2026-12-03); on the AVX2-only Zen 2 f16 was slower (19.3–19.4
/// against 16.5–17.5): widening the rows cost more than the bytes saved
/// (`docs/PERFORMANCE.md`). AMD's AVX-512 CPUs are unmeasured.
pub(crate) fn halved_weights_pay() -> bool {
    crate::isa::avx512()
}

/// For each weight row of `w_block` (in order), its product with each row
/// of `x` plus its bias: `out[j * rows + i] = x_i · w_j + bias_j`. With
/// AVX2 and FMA where the CPU has them: the build targets baseline x86-64,
/// whose SSE2 made this the text tower's bottleneck.
fn products(w_block: &[f32], x: &[f32], in_dim: usize, bias: Option<&[f32]>) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx2() {
        // SAFETY: `products_fma` only needs AVX2 and FMA, which the CPU was
        // just found to have.
        #[allow(unsafe_code)]
        return unsafe { products_fma(w_block, x, in_dim, bias) };
    }
    products_with(w_block, x, in_dim, bias, |x, y, acc| acc + x * y)
}

/// [`products`] over f16 weights: each row widened into one small buffer
/// (F16C where the CPU has it) that stays in L1, then multiplied as f32.
fn products_half(h_block: &[f16], x: &[f32], in_dim: usize, bias: Option<&[f32]>) -> Vec<f32> {
    let rows = x.len() / in_dim.max(1);
    let mut out = Vec::with_capacity(rows * h_block.len() / in_dim.max(1));
    let mut row = vec![0f32; in_dim];
    for (j, h) in h_block.chunks_exact(in_dim).enumerate() {
        h.convert_to_f32_slice(&mut row);
        out.extend(products(&row, x, in_dim, bias.map(|bias| &bias[j..])));
    }
    out
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn products_fma(w_block: &[f32], x: &[f32], in_dim: usize, bias: Option<&[f32]>) -> Vec<f32> {
    products_with(w_block, x, in_dim, bias, f32::mul_add)
}

/// [`products`] with `fma(x, y, acc) = acc + x·y`. Rows of `x` go four at
/// a time, so each chunk of weights loaded feeds four multiply-adds.
#[inline(always)]
fn products_with(
    w_block: &[f32],
    x: &[f32],
    in_dim: usize,
    bias: Option<&[f32]>,
    fma: impl Fn(f32, f32, f32) -> f32 + Copy,
) -> Vec<f32> {
    let rows: Vec<&[f32]> = x.chunks_exact(in_dim).collect();
    let mut out = Vec::with_capacity(rows.len() * w_block.len() / in_dim);
    for (j, w) in w_block.chunks_exact(in_dim).enumerate() {
        let b = bias.map_or(0.0, |bias| bias[j]);
        let mut quads = rows.chunks_exact(4);
        for quad in &mut quads {
            out.extend(dots4(w, [quad[0], quad[1], quad[2], quad[3]], fma).map(|d| d + b));
        }
        for &row in quads.remainder() {
            out.push(dot(w, row, fma) + b);
        }
    }
    out
}

/// `x0·w, x1·w, x2·w, x3·w` in one pass over `w`, in lanes of independent
/// accumulators the compiler keeps in vector registers (written out row by
/// row: LLVM leaves a loop over the rows scalar).
#[inline(always)]
fn dots4(w: &[f32], x: [&[f32]; 4], fma: impl Fn(f32, f32, f32) -> f32) -> [f32; 4] {
    const LANES: usize = 16;
    let (mut a0, mut a1, mut a2, mut a3) = ([0f32; LANES], [0f32; LANES], [0f32; LANES], [0f32; LANES]);
    let chunks = w
        .chunks_exact(LANES)
        .zip(x[0].chunks_exact(LANES))
        .zip(x[1].chunks_exact(LANES))
        .zip(x[2].chunks_exact(LANES))
        .zip(x[3].chunks_exact(LANES));
    for ((((w, x0), x1), x2), x3) in chunks {
        for k in 0..LANES {
            a0[k] = fma(x0[k], w[k], a0[k]);
            a1[k] = fma(x1[k], w[k], a1[k]);
            a2[k] = fma(x2[k], w[k], a2[k]);
            a3[k] = fma(x3[k], w[k], a3[k]);
        }
    }
    let done = w.len() / LANES * LANES;
    let finish = |acc: [f32; LANES], x: &[f32]| {
        acc.iter().sum::<f32>() + w[done..].iter().zip(&x[done..]).map(|(a, b)| a * b).sum::<f32>()
    };
    [finish(a0, x[0]), finish(a1, x[1]), finish(a2, x[2]), finish(a3, x[3])]
}

/// `x·w` in lanes of independent accumulators.
#[inline(always)]
fn dot(w: &[f32], x: &[f32], fma: impl Fn(f32, f32, f32) -> f32) -> f32 {
    const LANES: usize = 32;
    let mut acc = [0f32; LANES];
    for (w, x) in w.chunks_exact(LANES).zip(x.chunks_exact(LANES)) {
        for k in 0..LANES {
            acc[k] = fma(x[k], w[k], acc[k]);
        }
    }
    let done = w.len() / LANES * LANES;
    acc.iter().sum::<f32>() + w[done..].iter().zip(&x[done..]).map(|(a, b)| a * b).sum::<f32>()
}

impl Module for Dense {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        if let Some((kernel, weights)) = &self.packed {
            return self.forward_packed(xs, *kernel, weights, None, &|_| {});
        }
        let rows = xs.elem_count() / xs.dim(xs.rank().saturating_sub(1))?.max(1);
        if rows <= SMALL_ROWS
            && xs.dtype() == candle_core::DType::F32
            && let Some(out) = self.forward_small(xs, rows)?
        {
            return Ok(out);
        }
        self.full(xs.dim(xs.rank().saturating_sub(1))?)?.forward(xs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn the_small_path_equals_candles_linear() {
        let w = Tensor::randn(0f32, 1f32, (130, 70), &Device::Cpu).expect("w");
        let b = Tensor::randn(0f32, 1f32, 130, &Device::Cpu).expect("b");
        let dense = Dense::from_linear(Linear::new(w, Some(b))).expect("dense");
        for rows in [1, 5, 32, 33] {
            let x = Tensor::randn(0f32, 1f32, (1, rows, 70), &Device::Cpu).expect("x");
            let ours = dense.forward(&x).expect("ours");
            let candle = dense.linear.forward(&x).expect("candle");
            assert_eq!(ours.dims(), candle.dims());
            let diff = (ours - candle).expect("sub").abs().expect("abs").max_all().expect("max");
            assert!(diff.to_scalar::<f32>().expect("scalar") < 1e-4, "{rows} rows");
        }
    }

    #[test]
    fn halved_weights_give_the_f32_products_to_f16_rounding() {
        let w = Tensor::randn(0f32, 0.02f32, (200, 96), &Device::Cpu).expect("w");
        let b = Tensor::randn(0f32, 1f32, 200, &Device::Cpu).expect("b");
        let full = Dense::from_linear(Linear::new(w.clone(), Some(b.clone()))).expect("dense");
        let mut halved = Dense::from_linear(Linear::new(w, Some(b))).expect("dense");
        halved.halve().expect("halves");
        for rows in [1, 7, 32] {
            let x = Tensor::randn(0f32, 1f32, (1, rows, 96), &Device::Cpu).expect("x");
            let (a, h) = (full.forward(&x).expect("f32"), halved.forward(&x).expect("f16"));
            let diff = (a - h).expect("sub").abs().expect("abs").max_all().expect("max");
            let diff = diff.to_scalar::<f32>().expect("scalar");
            // |x·w| ≈ 0.2 here; f16 keeps 11 bits: errors ~1e-4, far below 1e-2, and not zero.
            assert!(diff > 0.0 && diff < 1e-2, "{rows} rows: {diff}");
        }
        // Many rows go to candle's matmul, on the f16 weights widened.
        let x = Tensor::randn(0f32, 1f32, (1, 40, 96), &Device::Cpu).expect("x");
        let diff = (full.forward(&x).expect("f32") - halved.forward(&x).expect("widened")).expect("sub");
        let diff = diff.abs().expect("abs").max_all().expect("max").to_scalar::<f32>().expect("scalar");
        assert!(diff > 0.0 && diff < 1e-2, "{diff}");
        assert_eq!(halved.linear.weight().elem_count(), 0, "the f32 weights are dropped");
    }
}
