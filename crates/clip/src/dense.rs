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
/// `--precision auto` halves the text tower: wherever the F16C path runs.
/// Reading the weights bounds the f32 products (151 MB a query): on the
/// AVX-512 Xeon a query's text tower took 15.5–15.8 ms p50 in f16 against
/// 16.7–17.3 in f32 (2026-12-03); on the AVX2-only Zen 3, once the widening
/// was in line and two weight rows shared each load, 11.1–16.2 against
/// 13.7–17.3 (three interleaved runs, 2026-12-04; before, f16 was the
/// slower there, as on Zen 2: `docs/PERFORMANCE.md`).
pub(crate) fn halved_weights_pay() -> bool {
    crate::isa::avx2_f16c()
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

/// [`products`] over f16 weights: eight rows at a time widened into one
/// small buffer that stays in L1, then multiplied as f32.
fn products_half(h_block: &[f16], x: &[f32], in_dim: usize, bias: Option<&[f32]>) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx2_f16c() {
        // SAFETY: `products_half_f16c` only needs AVX2, FMA and F16C, which
        // the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { products_half_f16c(h_block, x, in_dim, bias) };
    }
    products_half_with(h_block, x, in_dim, bias, |h, widened| h.convert_to_f32_slice(widened), products)
}

/// [`products_half`] with F16C's `vcvtph2ps` widening in line, and the
/// products in AVX2 and FMA. (`half`'s slice conversion calls a function per
/// eight values, since its caller lacks F16C: with it the f16 text tower was
/// slower than f32's on AVX2, 17–19 against 13–14 ms on Zen 3.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
fn products_half_f16c(h_block: &[f16], x: &[f32], in_dim: usize, bias: Option<&[f32]>) -> Vec<f32> {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm256_cvtph_ps, _mm256_storeu_ps};
    let widen = |h: &[f16], widened: &mut [f32]| {
        let (whole, tail) = h.split_at(h.len() / 8 * 8);
        for (eight, out) in whole.chunks_exact(8).zip(widened.chunks_exact_mut(8)) {
            // SAFETY: `eight` holds 8 f16 (16 bytes, `f16` is a `u16`) and
            // `out` 8 f32; both unaligned accesses.
            #[allow(unsafe_code)]
            unsafe {
                _mm256_storeu_ps(
                    out.as_mut_ptr(),
                    _mm256_cvtph_ps(_mm_loadu_si128(eight.as_ptr().cast::<__m128i>())),
                );
            }
        }
        for (out, h) in widened[whole.len()..].iter_mut().zip(tail) {
            *out = h.to_f32();
        }
    };
    // SAFETY: this function's target features are what it needs.
    #[allow(unsafe_code)]
    products_half_with(h_block, x, in_dim, bias, widen, |w, x, in_dim, bias| unsafe {
        products_avx2(w, x, in_dim, bias)
    })
}

/// [`products_half`] with `widen` into f32 and `multiply` as [`products`].
#[inline(always)]
fn products_half_with(
    h_block: &[f16],
    x: &[f32],
    in_dim: usize,
    bias: Option<&[f32]>,
    widen: impl Fn(&[f16], &mut [f32]),
    multiply: impl Fn(&[f32], &[f32], usize, Option<&[f32]>) -> Vec<f32>,
) -> Vec<f32> {
    const ROWS: usize = 8;
    let rows = x.len() / in_dim.max(1);
    let mut out = Vec::with_capacity(rows * h_block.len() / in_dim.max(1));
    let mut widened = vec![0f32; ROWS * in_dim];
    for (j, h) in h_block.chunks(ROWS * in_dim.max(1)).enumerate() {
        let widened = &mut widened[..h.len()];
        widen(h, widened);
        out.extend(multiply(widened, x, in_dim, bias.map(|bias| &bias[j * ROWS..])));
    }
    out
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn products_fma(w_block: &[f32], x: &[f32], in_dim: usize, bias: Option<&[f32]>) -> Vec<f32> {
    // SAFETY: this function's target features are what it needs.
    #[allow(unsafe_code)]
    unsafe {
        products_avx2(w_block, x, in_dim, bias)
    }
}

/// [`products`] in AVX2 and FMA: two weight rows against up to four rows
/// of `x` at a time, so each eight values loaded from either feed several
/// multiply-adds: 6 loads per 8 of them. (The plain path below, now only
/// for CPUs without AVX2, takes one weight row against four rows of `x`, 10
/// loads per 8, and a row alone 2 per 1.) It did not speed up f32 weights,
/// whose reading bounds them, but f16 ones, which read half the bytes.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn products_avx2(w_block: &[f32], x: &[f32], in_dim: usize, bias: Option<&[f32]>) -> Vec<f32> {
    let rows: Vec<&[f32]> = x.chunks_exact(in_dim).collect();
    let weights: Vec<&[f32]> = w_block.chunks_exact(in_dim).collect();
    let zeros = vec![0f32; in_dim];
    let mut out = vec![0f32; rows.len() * weights.len()];
    for (pair, w) in weights.chunks(2).enumerate() {
        let w = [w[0], w.get(1).copied().unwrap_or(&zeros)];
        for (quad, x) in rows.chunks(4).enumerate() {
            // SAFETY: the CPU has AVX2 and FMA (the caller's promise).
            let sums: [[f32; 4]; 2] = unsafe {
                match x.len() {
                    4 => dots_avx2::<4>(w, [x[0], x[1], x[2], x[3]]),
                    3 => padded(dots_avx2::<3>(w, [x[0], x[1], x[2]])),
                    2 => padded(dots_avx2::<2>(w, [x[0], x[1]])),
                    _ => padded(dots_avx2::<1>(w, [x[0]])),
                }
            };
            for (j, sums) in sums.iter().enumerate().take(weights.len() - pair * 2) {
                let b = bias.map_or(0.0, |bias| bias[pair * 2 + j]);
                for (i, sum) in sums.iter().enumerate().take(x.len()) {
                    out[(pair * 2 + j) * rows.len() + quad * 4 + i] = sum + b;
                }
            }
        }
    }
    out
}

/// `sums` with zeros past its `X` rows.
#[cfg(target_arch = "x86_64")]
fn padded<const X: usize>(sums: [[f32; X]; 2]) -> [[f32; 4]; 2] {
    sums.map(|row| std::array::from_fn(|i| row.get(i).copied().unwrap_or(0.0)))
}

/// `x[i]·w[j]` for `j < 2`, `i < X`, in one pass: `2·X` sums of eight lanes
/// in vector registers.
///
/// # Safety
/// The CPU must have AVX2 and FMA; every row as long as `w[0]`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn dots_avx2<const X: usize>(w: [&[f32]; 2], x: [&[f32]; X]) -> [[f32; X]; 2] {
    use std::arch::x86_64::{__m256, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_setzero_ps, _mm256_storeu_ps};
    let len = w[0].len();
    assert!(w[1].len() == len && x.iter().all(|x| x.len() == len), "rows of one length");
    let whole = len / 8 * 8;
    // SAFETY (every intrinsic): the CPU has AVX2 and FMA; the loads read
    // eight values at `at < whole <= len` of rows `len` long (asserted).
    let mut acc: [[__m256; X]; 2] = [[unsafe { _mm256_setzero_ps() }; X]; 2];
    for at in (0..whole).step_by(8) {
        let (w0, w1) =
            unsafe { (_mm256_loadu_ps(w[0].as_ptr().add(at)), _mm256_loadu_ps(w[1].as_ptr().add(at))) };
        for (i, x) in x.iter().enumerate() {
            unsafe {
                let x = _mm256_loadu_ps(x.as_ptr().add(at));
                acc[0][i] = _mm256_fmadd_ps(x, w0, acc[0][i]);
                acc[1][i] = _mm256_fmadd_ps(x, w1, acc[1][i]);
            }
        }
    }
    // Summed in plain loops: closures over `acc` made the compiler keep it
    // on the stack, a store per multiply-add.
    let mut sums = [[0f32; X]; 2];
    for (j, (sums, acc)) in sums.iter_mut().zip(acc).enumerate() {
        for (i, (sum, acc)) in sums.iter_mut().zip(acc).enumerate() {
            let mut lanes = [0f32; 8];
            // SAFETY: `lanes` holds eight values.
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
            let tail: f32 = w[j][whole..].iter().zip(&x[i][whole..]).map(|(a, b)| a * b).sum();
            *sum = lanes.iter().sum::<f32>() + tail;
        }
    }
    sums
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
        // 131 outputs: blocks of 64 and an odd weight row left over; rows
        // in each group size of four and past the small path's limit.
        let w = Tensor::randn(0f32, 1f32, (131, 70), &Device::Cpu).expect("w");
        let b = Tensor::randn(0f32, 1f32, 131, &Device::Cpu).expect("b");
        let dense = Dense::from_linear(Linear::new(w, Some(b))).expect("dense");
        for rows in [1, 2, 3, 4, 5, 7, 32, 33] {
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
        let w = Tensor::randn(0f32, 0.02f32, (201, 99), &Device::Cpu).expect("w");
        let b = Tensor::randn(0f32, 1f32, 201, &Device::Cpu).expect("b");
        let full = Dense::from_linear(Linear::new(w.clone(), Some(b.clone()))).expect("dense");
        let mut halved = Dense::from_linear(Linear::new(w, Some(b))).expect("dense");
        halved.halve().expect("halves");
        for rows in [1, 7, 32] {
            let x = Tensor::randn(0f32, 1f32, (1, rows, 99), &Device::Cpu).expect("x");
            let (a, h) = (full.forward(&x).expect("f32"), halved.forward(&x).expect("f16"));
            let diff = (a - h).expect("sub").abs().expect("abs").max_all().expect("max");
            let diff = diff.to_scalar::<f32>().expect("scalar");
            // |x·w| ≈ 0.2 here; f16 keeps 11 bits: errors ~1e-4, far below 1e-2, and not zero.
            assert!(diff > 0.0 && diff < 1e-2, "{rows} rows: {diff}");
        }
        // Many rows go to candle's matmul, on the f16 weights widened.
        let x = Tensor::randn(0f32, 1f32, (1, 40, 99), &Device::Cpu).expect("x");
        let diff = (full.forward(&x).expect("f32") - halved.forward(&x).expect("widened")).expect("sub");
        let diff = diff.abs().expect("abs").max_all().expect("max").to_scalar::<f32>().expect("scalar");
        assert!(diff > 0.0 && diff < 1e-2, "{diff}");
        assert_eq!(halved.linear.weight().elem_count(), 0, "the f32 weights are dropped");
    }
}
