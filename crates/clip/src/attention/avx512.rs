//! One image's attention on AVX-512, register-blocked: four query rows at a
//! time, each block of scores (4 rows × 64 keys) and of outputs (4 rows × 64
//! head values) summed in 16 `zmm` accumulators, so each row of kᵀ or v is
//! loaded once per block instead of once per query row, and nothing but the
//! finished block is stored. The row-at-a-time path spent 14 % of the bf16
//! tower on attention, going through memory for every input.

#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
};

use super::{Heads, Qkv, softmax};

/// Query rows per block.
const R: usize = 4;
/// Lanes per block: keys or head values, four registers of 16.
const BLOCK: usize = 64;

/// `softmax(q kᵀ · scale + mask) v` for one image (see [`super::attend`]).
///
/// # Safety
/// The CPU must have AVX-512F. Every slice the block sums read is
/// bounds-checked by [`block_sum`] before its loads.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn one_image(qkv: Qkv, mask: Option<&[f32]>, shape: Heads, out: &mut [f32]) {
    let Heads { seq, heads, head_dim, scale } = shape;
    let Qkv { q, k, v, stride } = qkv;
    let hidden = heads * head_dim;
    let (keys, dims) = (seq.div_ceil(BLOCK) * BLOCK, head_dim.div_ceil(BLOCK) * BLOCK);
    // v's rows are read in place when a head is whole blocks wide (ViT-B/32's
    // 64), q's for every block of R rows; only the rest is copied out.
    let v_in_place = head_dim.is_multiple_of(BLOCK);
    // Per head: kᵀ (head_dim × keys) and v (seq × dims), zero-padded to whole blocks.
    let mut kt = vec![0f32; head_dim * keys];
    let mut vh = vec![0f32; if v_in_place { 0 } else { seq * dims }];
    // Per block of rows: its q (R × head_dim) and scores (R × keys).
    let (mut qb, mut scores) = (vec![0f32; R * head_dim], vec![0f32; R * keys]);
    let mut block = [0f32; R * BLOCK];
    for h in 0..heads {
        let col = h * head_dim;
        for j in 0..seq {
            let row = &k[j * stride + col..][..head_dim];
            row.iter().enumerate().for_each(|(d, &x)| kt[d * keys + j] = x);
            if !v_in_place {
                vh[j * dims..][..head_dim].copy_from_slice(&v[j * stride + col..][..head_dim]);
            }
        }
        for i0 in (0..seq).step_by(R) {
            let rows = R.min(seq - i0);
            let (qs, q_stride) = if rows == R {
                (&q[i0 * stride + col..], stride)
            } else {
                qb.fill(0.0);
                for r in 0..rows {
                    qb[r * head_dim..][..head_dim].copy_from_slice(&q[(i0 + r) * stride + col..][..head_dim]);
                }
                (&qb[..], head_dim)
            };
            for k0 in (0..keys).step_by(BLOCK) {
                // SAFETY: AVX-512F (this function's promise); block_sum checks the slices.
                unsafe { block_sum(head_dim, qs, q_stride, &kt[k0..], keys, &mut block) };
                for r in 0..R {
                    scores[r * keys + k0..][..BLOCK].copy_from_slice(&block[r * BLOCK..][..BLOCK]);
                }
            }
            for r in 0..rows {
                let row_mask = mask.map(|m| &m[(i0 + r) * seq..][..seq]);
                softmax(&mut scores[r * keys..][..seq], scale, row_mask);
            }
            for e0 in (0..dims).step_by(BLOCK) {
                let (vs, v_stride) = if v_in_place { (&v[col + e0..], stride) } else { (&vh[e0..], dims) };
                // SAFETY: as above.
                unsafe { block_sum(seq, &scores, keys, vs, v_stride, &mut block) };
                let width = BLOCK.min(head_dim - e0);
                for r in 0..rows {
                    let at = (i0 + r) * hidden + col + e0;
                    out[at..at + width].copy_from_slice(&block[r * BLOCK..][..width]);
                }
            }
        }
    }
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
    block: &mut [f32; R * BLOCK],
) {
    if inputs == 0 {
        block.fill(0.0);
        return;
    }
    assert!(inputs <= stride && weights.len() >= (R - 1) * stride + inputs, "weights hold 4 rows");
    assert!(rows.len() >= (inputs - 1) * row_stride + BLOCK, "rows hold every input's block");
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
            // SAFETY: r·64 + c·16 + 16 ≤ 256 = block's length.
            unsafe { _mm512_storeu_ps(block.as_mut_ptr().add(r * BLOCK + c * 16), acc) };
        }
    }
}
