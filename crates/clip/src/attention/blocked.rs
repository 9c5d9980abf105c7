//! One image's attention, register-blocked, for any vector width: `rows`
//! query rows at a time, each block of scores (`rows` × `lanes` keys) and of
//! outputs (`rows` × `lanes` head values) summed in vector registers
//! ([`block_sum`]), so each row of kᵀ or v is loaded once per block instead
//! of once per query row, and nothing but the finished block is stored.
//! (Row at a time, attention went through memory for every input: 14 % of
//! the AVX-512 bf16 tower, 5 % of an AVX2 index run.) The paths: [`avx2`]
//! (6 rows × 16 lanes, twelve `ymm` sums) and [`avx512`] (4 × 64, sixteen
//! `zmm` sums), one generic loop and one generic block sum for both.

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

/// A vector of f32 lanes that [`block_sum`] sums in.
///
/// # Safety
/// Each method needs the instruction set of its vector type, and `load` and
/// `store` the `WIDTH` values at their pointer.
#[allow(unsafe_code)]
pub(super) trait Lanes: Copy {
    const WIDTH: usize;
    unsafe fn zero() -> Self;
    unsafe fn load(at: *const f32) -> Self;
    unsafe fn splat(x: f32) -> Self;
    /// `a · b + c`.
    unsafe fn fma(a: Self, b: Self, c: Self) -> Self;
    unsafe fn store(self, at: *mut f32);
}

/// `block[r·L + l] = Σ_t weights[r·stride + t] · rows[t·row_stride + l]` for
/// `r < R`, `l < L = C · V::WIDTH`, `t < inputs`: `R × C` sums in registers,
/// per input `C` loads, `R` broadcasts and `R · C` FMAs.
///
/// # Safety
/// The CPU must have `V`'s instruction set. The slices' lengths are asserted
/// to hold every index read or written, so no access is out of range.
#[inline(always)]
#[allow(unsafe_code)]
pub(super) unsafe fn block_sum<V: Lanes, const R: usize, const C: usize>(
    inputs: usize,
    weights: &[f32],
    stride: usize,
    rows: &[f32],
    row_stride: usize,
    block: &mut [f32],
) {
    let lanes = C * V::WIDTH;
    assert!(block.len() >= R * lanes, "the block holds R rows of its lanes");
    if inputs == 0 {
        block.fill(0.0);
        return;
    }
    assert!(inputs <= stride && weights.len() >= (R - 1) * stride + inputs, "weights hold R rows");
    assert!(rows.len() >= (inputs - 1) * row_stride + lanes, "rows hold every input's lanes");
    let (w, x) = (weights.as_ptr(), rows.as_ptr());
    // SAFETY (every vector operation): the CPU has V's instructions (the
    // caller's promise); t < inputs and r < R keep each pointer inside the
    // slices (asserted above).
    let mut acc = [[unsafe { V::zero() }; C]; R];
    for t in 0..inputs {
        let mut row = [unsafe { V::zero() }; C];
        for (c, row) in row.iter_mut().enumerate() {
            *row = unsafe { V::load(x.add(t * row_stride + c * V::WIDTH)) };
        }
        for (r, acc) in acc.iter_mut().enumerate() {
            let w = unsafe { V::splat(*w.add(r * stride + t)) };
            for (acc, &row) in acc.iter_mut().zip(&row) {
                *acc = unsafe { V::fma(w, row, *acc) };
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        for (c, &acc) in acc.iter().enumerate() {
            unsafe { acc.store(block.as_mut_ptr().add(r * lanes + c * V::WIDTH)) };
        }
    }
}

/// [`Lanes`] for an x86 vector type from its intrinsics.
#[cfg(target_arch = "x86_64")]
macro_rules! lanes {
    ($vector:ty, $width:literal, $zero:ident, $load:ident, $splat:ident, $fma:ident, $store:ident) => {
        #[allow(unsafe_code)]
        impl Lanes for $vector {
            const WIDTH: usize = $width;
            #[inline(always)]
            unsafe fn zero() -> Self {
                unsafe { std::arch::x86_64::$zero() }
            }
            #[inline(always)]
            unsafe fn load(at: *const f32) -> Self {
                unsafe { std::arch::x86_64::$load(at) }
            }
            #[inline(always)]
            unsafe fn splat(x: f32) -> Self {
                unsafe { std::arch::x86_64::$splat(x) }
            }
            #[inline(always)]
            unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
                unsafe { std::arch::x86_64::$fma(a, b, c) }
            }
            #[inline(always)]
            unsafe fn store(self, at: *mut f32) {
                unsafe { std::arch::x86_64::$store(at, self) }
            }
        }
    };
}

/// A path of [`one_image`] in blocks of `rows` × `C` vectors, compiled for
/// `features`.
#[cfg(target_arch = "x86_64")]
macro_rules! path {
    ($(#[$doc:meta])* $name:ident, $features:literal, $vector:ty, $rows:literal, $c:literal) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// The CPU must have these target features; every slice the block
        /// sums read is bounds-checked by [`block_sum`] before its loads.
        #[target_feature(enable = $features)]
        #[allow(unsafe_code)]
        pub(super) unsafe fn $name(qkv: Qkv, mask: Option<&[f32]>, shape: Heads, out: &mut [f32]) {
            let lanes = $c * <$vector as Lanes>::WIDTH;
            one_image(qkv, mask, shape, out, ($rows, lanes), |inputs, weights, stride, rows, row_stride, block| {
                // SAFETY: the CPU has this function's features (its promise).
                unsafe { block_sum::<$vector, $rows, $c>(inputs, weights, stride, rows, row_stride, block) }
            });
        }
    };
}

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{__m256, __m512};

#[cfg(target_arch = "x86_64")]
lanes!(__m256, 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps);
#[cfg(target_arch = "x86_64")]
lanes!(__m512, 16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps);

#[cfg(target_arch = "x86_64")]
path!(
    /// AVX2 + FMA: six query rows × 16 lanes in twelve `ymm` sums, as the
    /// 6×16 product kernel (`gemm/avx2.rs`).
    avx2, "avx2,fma", __m256, 6, 2
);
#[cfg(target_arch = "x86_64")]
path!(
    /// AVX-512F: four query rows × 64 lanes in sixteen `zmm` sums.
    avx512, "avx512f", __m512, 4, 4
);
