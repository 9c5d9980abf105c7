//! `y = x Wᵀ + b` for the image tower's linear layers, on weights packed
//! once at load.
//!
//! candle hands every product to the `gemm` crate, which repacks the weight
//! matrix on every call and, on this project's AVX2 machine (AMD EPYC, Zen 2),
//! reaches 98–120 GFLOP/s on two cores against the 212 GFLOP/s the cores' FMA
//! units give (`docs/PERFORMANCE.md`). Here the weights are packed at load
//! into the order the micro-kernel reads them, the activations are packed per
//! cache block, and a 6×16 register-blocked kernel does the multiply-adds
//! (BLIS's loop order and its Zen 2 block sizes). Plain f32 throughout: only
//! the order of the sums differs from candle's, so the vectors are the same
//! to f32 rounding.
//!
//! [`Kernel::detect`] picks the kernel at run time; on CPUs with AVX-512
//! candle's own gemm kernels are faster than this AVX2 one and are kept.

#[cfg(target_arch = "x86_64")]
mod avx2;
mod pack;

use rayon::prelude::*;

pub use pack::PackedWeights;

/// Rows of `x` per micro-kernel call.
pub const MR: usize = 6;
/// Output columns per micro-kernel call (two AVX2 registers).
pub const NR: usize = 16;
/// The reduction dimension per cache block: one `KC × NR` panel of weights
/// (16 KiB) stays in L1 while every row panel of the block passes it.
const KC: usize = 256;
/// Rows per cache block: `MC × KC` packed activations (144 KiB) stay in L2.
const MC: usize = 144;

/// Which micro-kernel multiplies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// AVX2 + FMA intrinsics (`avx2.rs`).
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// Plain Rust, any CPU: the reference the fast kernels are tested against.
    Portable,
}

impl Kernel {
    /// The kernel to use on this CPU, or `None` where candle's matmul is the
    /// faster choice (AVX-512: gemm's own kernels; no AVX2: nothing here beats it).
    pub fn detect() -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && !std::arch::is_x86_feature_detected!("avx512f")
        {
            return Some(Kernel::Avx2);
        }
        None
    }

    /// Every kernel this CPU can run (for tests).
    pub fn available() -> Vec<Self> {
        let mut kernels = vec![Kernel::Portable];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            kernels.push(Kernel::Avx2);
        }
        kernels
    }

    /// `c[0..MR][0..NR] += a · b` for one packed row panel `a` (`kc × MR`)
    /// and one packed weight panel `b` (`kc × NR`); `c` rows `ldc` apart.
    fn multiply(self, kc: usize, a: &[f32], b: &[f32], c: &mut [f32], ldc: usize) {
        debug_assert!(a.len() >= kc * MR && b.len() >= kc * NR);
        debug_assert!(c.len() >= (MR - 1) * ldc + NR);
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernel::Avx2` is only constructed where the CPU was
            // found to have AVX2 and FMA (`detect`, `available`); the slice
            // lengths the kernel reads and writes were checked above and by
            // `multiply_panel`'s callers.
            #[allow(unsafe_code)]
            Kernel::Avx2 => unsafe { avx2::kernel_6x16(kc, a, b, c, ldc) },
            Kernel::Portable => portable_6x16(kc, a, b, c, ldc),
        }
    }
}

/// The reference micro-kernel.
fn portable_6x16(kc: usize, a: &[f32], b: &[f32], c: &mut [f32], ldc: usize) {
    let mut acc = [[0f32; NR]; MR];
    for (a, b) in a.chunks_exact(MR).zip(b.chunks_exact(NR)).take(kc) {
        for (row, &x) in acc.iter_mut().zip(a) {
            for (acc, &w) in row.iter_mut().zip(b) {
                *acc = x.mul_add(w, *acc);
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        for (c, acc) in c[i * ldc..i * ldc + NR].iter_mut().zip(row) {
            *c += acc;
        }
    }
}

/// `x` (`rows × in_dim`, row-major) times the packed weights, plus their bias:
/// `rows × out_dim`, row-major. Row blocks run in parallel on rayon's pool.
pub fn linear(kernel: Kernel, x: &[f32], rows: usize, weights: &PackedWeights) -> Vec<f32> {
    linear_then(kernel, x, rows, weights, &|_| {})
}

/// [`linear`], then `then` applied to each block of finished output rows
/// while it is still in cache (an activation fused into the product).
pub fn linear_then(
    kernel: Kernel,
    x: &[f32],
    rows: usize,
    weights: &PackedWeights,
    then: &(dyn Fn(&mut [f32]) + Sync),
) -> Vec<f32> {
    let (k, n) = (weights.in_dim(), weights.out_dim());
    assert_eq!(x.len(), rows * k, "x is rows × in_dim");
    let mut y = Vec::with_capacity(rows * n);
    for _ in 0..rows {
        match weights.bias() {
            Some(bias) => y.extend_from_slice(bias),
            None => y.resize(y.len() + n, 0.0),
        }
    }
    if rows == 0 || n == 0 {
        return y;
    }
    // One task per thread, in whole row panels, so each packs its own rows.
    let threads = rayon::current_num_threads().max(1);
    let per_task = rows.div_ceil(threads).div_ceil(MR) * MR;
    y.par_chunks_mut(per_task * n).zip(x.par_chunks(per_task * k)).for_each(|(y, x)| {
        multiply_rows(kernel, x, y, weights, then);
    });
    y
}

/// `y += x · Wᵀ` for one task's rows, cache block by cache block.
fn multiply_rows(
    kernel: Kernel,
    x: &[f32],
    y: &mut [f32],
    weights: &PackedWeights,
    then: &(dyn Fn(&mut [f32]) + Sync),
) {
    let (k, n) = (weights.in_dim(), weights.out_dim());
    let rows = x.len() / k;
    let mut packed = vec![0f32; MC.min(rows.div_ceil(MR) * MR) * KC];
    // Edge tiles (a last panel of fewer than MR rows or NR columns) are
    // computed into this buffer and the valid part added to `y`.
    let mut edge = [0f32; MR * NR];
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        for i0 in (0..rows).step_by(MC) {
            let mc = MC.min(rows - i0);
            pack::rows(&x[i0 * k..(i0 + mc) * k], k, p0, kc, &mut packed);
            for (panel, j0) in (0..n).step_by(NR).enumerate() {
                let b = weights.panel(panel, p0, kc);
                let nr = NR.min(n - j0);
                for (a, r0) in packed.chunks_exact(kc * MR).zip((0..mc).step_by(MR)) {
                    let mr = MR.min(mc - r0);
                    let at = (i0 + r0) * n + j0;
                    if mr == MR && nr == NR {
                        kernel.multiply(kc, a, b, &mut y[at..], n);
                    } else {
                        edge.fill(0.0);
                        kernel.multiply(kc, a, b, &mut edge, NR);
                        for r in 0..mr {
                            let row = &mut y[at + r * n..at + r * n + nr];
                            row.iter_mut().zip(&edge[r * NR..]).for_each(|(y, e)| *y += e);
                        }
                    }
                }
            }
            if p0 + kc == k {
                then(&mut y[i0 * n..(i0 + mc) * n]);
            }
        }
    }
}

#[cfg(test)]
mod tests;
