//! One image's attention, register-blocked, for any vector width: `rows`
//! query rows at a time, each block of scores (`rows` × `lanes` keys) and of
//! outputs (`rows` × `lanes` head values) summed in vector registers by the
//! caller's `block_sum`, so each row of kᵀ or v is loaded once per block
//! instead of once per query row, and nothing but the finished block is
//! stored. (Row at a time, attention went through memory for every input:
//! 14 % of the AVX-512 bf16 tower, 5 % of an AVX2 index run.)

use super::{Heads, Qkv, softmax};

/// `block[r·lanes + l] = Σ_t weights[r·stride + t] · rows[t·row_stride + l]`
/// for `r < rows`, `l < lanes`, `t < inputs`: the arguments in that order.
pub(super) trait BlockSum: Fn(usize, &[f32], usize, &[f32], usize, &mut [f32]) {}
impl<F: Fn(usize, &[f32], usize, &[f32], usize, &mut [f32])> BlockSum for F {}

/// `softmax(q kᵀ · scale + mask) v` for one image (see [`super::attend`]),
/// in blocks of `rows` × `lanes` that `block_sum` computes.
#[inline(always)]
pub(super) fn one_image(
    qkv: Qkv,
    mask: Option<&[f32]>,
    shape: Heads,
    out: &mut [f32],
    (rows_per_block, lanes): (usize, usize),
    block_sum: impl BlockSum,
) {
    let Heads { seq, heads, head_dim, scale } = shape;
    let Qkv { q, k, v, stride } = qkv;
    let hidden = heads * head_dim;
    let (keys, dims) = (seq.div_ceil(lanes) * lanes, head_dim.div_ceil(lanes) * lanes);
    // v's rows are read in place when a head is whole blocks wide (ViT-B/32's
    // 64), q's for every whole block of rows; only the rest is copied out.
    let v_in_place = head_dim.is_multiple_of(lanes);
    // Per head: kᵀ (head_dim × keys) and v (seq × dims), zero-padded to whole blocks.
    let mut kt = vec![0f32; head_dim * keys];
    let mut vh = vec![0f32; if v_in_place { 0 } else { seq * dims }];
    // Per block of rows: its q (rows × head_dim) and scores (rows × keys).
    let (mut qb, mut scores) = (vec![0f32; rows_per_block * head_dim], vec![0f32; rows_per_block * keys]);
    let mut block = vec![0f32; rows_per_block * lanes];
    for h in 0..heads {
        let col = h * head_dim;
        for j in 0..seq {
            let row = &k[j * stride + col..][..head_dim];
            row.iter().enumerate().for_each(|(d, &x)| kt[d * keys + j] = x);
            if !v_in_place {
                vh[j * dims..][..head_dim].copy_from_slice(&v[j * stride + col..][..head_dim]);
            }
        }
        for i0 in (0..seq).step_by(rows_per_block) {
            let rows = rows_per_block.min(seq - i0);
            let (qs, q_stride) = if rows == rows_per_block {
                (&q[i0 * stride + col..], stride)
            } else {
                qb.fill(0.0);
                for r in 0..rows {
                    qb[r * head_dim..][..head_dim].copy_from_slice(&q[(i0 + r) * stride + col..][..head_dim]);
                }
                (&qb[..], head_dim)
            };
            for k0 in (0..keys).step_by(lanes) {
                block_sum(head_dim, qs, q_stride, &kt[k0..], keys, &mut block);
                for r in 0..rows_per_block {
                    scores[r * keys + k0..][..lanes].copy_from_slice(&block[r * lanes..][..lanes]);
                }
            }
            for r in 0..rows {
                let row_mask = mask.map(|m| &m[(i0 + r) * seq..][..seq]);
                softmax(&mut scores[r * keys..][..seq], scale, row_mask);
            }
            for e0 in (0..dims).step_by(lanes) {
                let (vs, v_stride) = if v_in_place { (&v[col + e0..], stride) } else { (&vh[e0..], dims) };
                block_sum(seq, &scores, keys, vs, v_stride, &mut block);
                let width = lanes.min(head_dim - e0);
                for r in 0..rows {
                    let at = (i0 + r) * hidden + col + e0;
                    out[at..at + width].copy_from_slice(&block[r * lanes..][..width]);
                }
            }
        }
    }
}
