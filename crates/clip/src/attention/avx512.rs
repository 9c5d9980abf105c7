//! One image's attention on AVX-512, register-blocked (`blocked.rs`): four
//! query rows at a time, each block of scores (4 rows × 64 keys) and of
//! outputs (4 rows × 64 head values) summed in 16 `zmm` accumulators.

#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
};

use super::{Heads, Qkv, blocked};

/// Query rows per block.
const R: usize = 4;
/// Lanes per block: keys or head values, four registers of 16.
const BLOCK: usize = 64;

/// `softmax(q kᵀ · scale + mask) v` for one image (see [`super::attend`]),
/// in blocks of 4 rows × 64 lanes.
///
/// # Safety
/// The CPU must have AVX-512F. Every slice the block sums read is
/// bounds-checked by [`block_sum`] before its loads.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn one_image(qkv: Qkv, mask: Option<&[f32]>, shape: Heads, out: &mut [f32]) {
    blocked::one_image(
        qkv,
        mask,
        shape,
        out,
        (R, BLOCK),
        |inputs, weights, stride, rows, row_stride, block| {
            // SAFETY: AVX-512F (this function's promise); block_sum checks the slices.
            unsafe { block_sum(inputs, weights, stride, rows, row_stride, block) }
        },
    );
}

/// `block[r·64 + l] = Σ_t weights[r·stride + t] · rows[t·row_stride + l]`
/// for `r < 4`, `l < 64`, `t < inputs`.
///
/// # Safety
/// The CPU must have AVX-512F. The slices' lengths are asserted to hold
/// every index read, so no load is out of range.
#[target_feature(enable = "avx512f")]
unsafe fn block_sum(
    inputs: usize,
    weights: &[f32],
    stride: usize,
    rows: &[f32],
    row_stride: usize,
    block: &mut [f32],
) {
    if inputs == 0 {
        block.fill(0.0);
        return;
    }
    assert!(inputs <= stride && weights.len() >= (R - 1) * stride + inputs, "weights hold 4 rows");
    assert!(rows.len() >= (inputs - 1) * row_stride + BLOCK, "rows hold every input's block");
    assert!(block.len() >= R * BLOCK, "the block holds 4 rows of 64");
    let (w, x) = (weights.as_ptr(), rows.as_ptr());
    let mut acc: [[__m512; 4]; R] = [[_mm512_setzero_ps(); 4]; R];
    for t in 0..inputs {
        // SAFETY: t < inputs, so these 64 floats are inside `rows` (asserted).
        let row = unsafe { [0, 16, 32, 48].map(|l| _mm512_loadu_ps(x.add(t * row_stride + l))) };
        for (r, acc) in acc.iter_mut().enumerate() {
            // SAFETY: r < 4 and t < inputs: inside `weights` (asserted).
            let w = _mm512_set1_ps(unsafe { *w.add(r * stride + t) });
            for (acc, &row) in acc.iter_mut().zip(&row) {
                *acc = _mm512_fmadd_ps(w, row, *acc);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        for (c, &acc) in acc.iter().enumerate() {
            // SAFETY: r·64 + c·16 + 16 ≤ 256 ≤ block's length (asserted).
            unsafe { _mm512_storeu_ps(block.as_mut_ptr().add(r * BLOCK + c * 16), acc) };
        }
    }
}
