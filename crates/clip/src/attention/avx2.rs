//! One image's attention on AVX2 + FMA, register-blocked (`blocked.rs`): six
//! query rows at a time, each block of scores (6 rows × 16 keys) and of
//! outputs (6 rows × 16 head values) summed in 12 `ymm` accumulators, as the
//! 6×16 product kernel (`gemm/avx2.rs`): per input two loads, six
//! broadcasts and twelve FMAs.

#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m256, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps,
};

use super::{Heads, Qkv, blocked};

/// Query rows per block.
const R: usize = 6;
/// Lanes per block: keys or head values, two registers of 8.
const BLOCK: usize = 16;

/// `softmax(q kᵀ · scale + mask) v` for one image (see [`super::attend`]),
/// in blocks of 6 rows × 16 lanes.
///
/// # Safety
/// The CPU must have AVX2 and FMA. Every slice the block sums read is
/// bounds-checked by [`block_sum`] before its loads.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn one_image(qkv: Qkv, mask: Option<&[f32]>, shape: Heads, out: &mut [f32]) {
    blocked::one_image(
        qkv,
        mask,
        shape,
        out,
        (R, BLOCK),
        |inputs, weights, stride, rows, row_stride, block| {
            // SAFETY: AVX2 and FMA (this function's promise); block_sum checks the slices.
            unsafe { block_sum(inputs, weights, stride, rows, row_stride, block) }
        },
    );
}

/// `block[r·16 + l] = Σ_t weights[r·stride + t] · rows[t·row_stride + l]`
/// for `r < 6`, `l < 16`, `t < inputs`.
///
/// # Safety
/// The CPU must have AVX2 and FMA. The slices' lengths are asserted to hold
/// every index read, so no load is out of range.
#[target_feature(enable = "avx2,fma")]
unsafe fn block_sum(
    inputs: usize,
    weights: &[f32],
    stride: usize,
    rows: &[f32],
    row_stride: usize,
    block: &mut [f32],
) {
    assert!(block.len() >= R * BLOCK, "the block holds 6 rows of 16");
    if inputs == 0 {
        block.fill(0.0);
        return;
    }
    assert!(inputs <= stride && weights.len() >= (R - 1) * stride + inputs, "weights hold 6 rows");
    assert!(rows.len() >= (inputs - 1) * row_stride + BLOCK, "rows hold every input's block");
    let (w, x) = (weights.as_ptr(), rows.as_ptr());
    let mut acc: [[__m256; 2]; R] = [[_mm256_setzero_ps(); 2]; R];
    for t in 0..inputs {
        // SAFETY: t < inputs, so these 16 floats are inside `rows` (asserted).
        let row =
            unsafe { [_mm256_loadu_ps(x.add(t * row_stride)), _mm256_loadu_ps(x.add(t * row_stride + 8))] };
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: r < 6 and t < inputs: inside `weights` (asserted).
            let w = _mm256_set1_ps(unsafe { *w.add(r * stride + t) });
            acc[0] = _mm256_fmadd_ps(w, row[0], acc[0]);
            acc[1] = _mm256_fmadd_ps(w, row[1], acc[1]);
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        for (c, &acc) in acc.iter().enumerate() {
            // SAFETY: r·16 + c·8 + 8 ≤ 96 ≤ block's length (asserted).
            unsafe { _mm256_storeu_ps(block.as_mut_ptr().add(r * BLOCK + c * 8), acc) };
        }
    }
}
