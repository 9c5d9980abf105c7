//! Element-wise steps fused into one parallel pass on the CPU.
//!
//! candle computes QuickGELU, `x · σ(1.702 x)`, as three passes over the
//! MLP's widest tensor (scale, sigmoid, product), two of them on one
//! thread; per image that was ~7% of the image tower. Here it is one pass
//! over both cores, with an exponential the compiler vectorises (libm's
//! `expf` is one call per element: 3.6 ms of the tower's 71 per image).
//! The packed linear path ([`crate::gemm`]) applies it to fc1's output
//! while that is still in cache ([`quick_gelu_in_place`]). Other devices
//! (CUDA, Metal) keep candle's own ops.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// Elements per parallel task.
const CHUNK: usize = 16 * 1024;

/// `x · σ(1.702 x)`.
pub fn quick_gelu(xs: &Tensor) -> Result<Tensor> {
    if xs.device().is_cpu() && xs.dtype() == candle_core::DType::F32 {
        return xs.apply_op1_no_bwd(&QuickGelu);
    }
    xs * candle_nn::ops::sigmoid(&(xs * 1.702)?)?
}

struct QuickGelu;

impl CustomOp1 for QuickGelu {
    fn name(&self) -> &'static str {
        "quick-gelu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(data), Some((start, end))) = (storage, layout.contiguous_offsets()) else {
            // Strided or other dtypes: candle's generic path.
            let out = candle_core::cpu_backend::unary_map(storage.as_slice::<f32>()?, layout, gelu);
            return Ok((CpuStorage::F32(out), layout.shape().clone()));
        };
        let mut out = data[start..end].to_vec();
        out.par_chunks_mut(CHUNK).for_each(quick_gelu_in_place);
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// QuickGELU of every value, in place, on this thread; AVX2 and FMA where
/// the CPU has them (the build targets baseline x86-64).
pub fn quick_gelu_in_place(values: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx512() {
        // SAFETY: `gelu_avx512` only needs AVX-512F, which the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { gelu_avx512(values) };
    }
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx2() {
        // SAFETY: `gelu_avx2` only needs AVX2 and FMA, which the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { gelu_avx2(values) };
    }
    values.iter_mut().for_each(|x| *x = gelu(*x));
}

/// The same arithmetic 16 lanes wide (no contraction into FMAs: the values
/// equal the AVX2 and scalar paths').
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn gelu_avx512(values: &mut [f32]) {
    values.iter_mut().for_each(|x| *x = gelu(*x));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn gelu_avx2(values: &mut [f32]) {
    values.iter_mut().for_each(|x| *x = gelu(*x));
}

#[inline(always)]
fn gelu(x: f32) -> f32 {
    x / (1.0 + exp(-1.702 * x))
}

/// `values` folded with `step` in 16 independent lanes (a loop that
/// vectorises, where one chain of adds or `f32::max`'s NaN rules would not),
/// then the lanes combined with `merge`.
#[inline(always)]
pub(crate) fn lanes(
    values: &[f32],
    start: f32,
    step: impl Fn(f32, f32) -> f32,
    merge: impl Fn(f32, f32) -> f32,
) -> f32 {
    const LANES: usize = 16;
    let mut acc = [start; LANES];
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a = step(*a, v);
        }
    }
    let folded = acc.into_iter().fold(start, merge);
    chunks.remainder().iter().fold(folded, |a, &v| step(a, v))
}

/// `eˣ` to ≈ 1 ulp (Cephes' `expf`: `x = n·ln 2 + r`, a degree-6 polynomial
/// in `r`), branch-free so a loop over it vectorises. Below -87 it is 0
/// (a masked score, `-∞`, weighs nothing), above 87 it stays at `e⁸⁷`:
/// QuickGELU's value there is `x` or 0 to f32 precision either way.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let underflow = x < -87.0;
    let x = x.clamp(-87.0, 87.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    // 2ⁿ from n's bits: n is whole and in [-126, 126], so adding 1.5·2²³
    // leaves it in the low mantissa bits (`n as i32` saturates, a conversion
    // compilers leave scalar: it made QuickGELU 2.3 cycles a value on AVX-512).
    let n = (n + 12_582_912.0).to_bits() as i32 - 0x4B40_0000;
    let e = (p * r * r + r + 1.0) * f32::from_bits(((n + 127) << 23) as u32);
    if underflow { 0.0 } else { e }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn the_vectorised_exp_is_within_two_ulp_of_libms() {
        for i in -86_900..=86_900 {
            let x = i as f32 * 1e-3;
            let (ours, libm) = (exp(x), x.exp());
            assert!((ours - libm).abs() <= 2.0 * f32::EPSILON * libm, "exp({x}) = {ours}, libm {libm}");
        }
        assert_eq!(exp(f32::NEG_INFINITY), 0.0, "a masked score weighs nothing");
        assert!(exp(200.0).is_finite(), "clamped, not ∞");
    }

    #[test]
    fn fused_quick_gelu_equals_candles_three_steps() {
        let xs = Tensor::randn(0f32, 3f32, (3, 40_000), &Device::Cpu).expect("xs");
        let candle =
            (&xs * candle_nn::ops::sigmoid(&(&xs * 1.702).expect("scale")).expect("sigmoid")).expect("mul");
        for input in [xs.clone(), xs.t().expect("strided")] {
            let expected = if input.is_contiguous() { candle.clone() } else { candle.t().expect("t") };
            let diff = (quick_gelu(&input).expect("fused") - expected).expect("sub").abs().expect("abs");
            assert!(diff.max_all().expect("max").to_scalar::<f32>().expect("scalar") < 1e-5);
        }
    }
}
