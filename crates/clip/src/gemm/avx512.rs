//! The AVX-512 micro-kernels: a 12×32 tile of the output in 24 of the 32
//! `zmm` registers, two weight loads and twelve broadcasts per step.
//!
//! - [`f32_12x32`]: one input index per step, `vfmadd231ps` (16 multiply-adds
//!   per instruction), plain f32 like the AVX2 kernel.
//! - [`bf16_12x32`]: one *pair* of input indices per step, `vdpbf16ps`: each
//!   f32 lane adds the two products of a bf16 activation pair and a bf16
//!   weight pair (32 multiply-adds per instruction, sums in f32). Weights and
//!   activations are rounded to bf16 (8 significant bits) when packed.
//! - [`i16_12x32`]: a pair of input indices per step, AVX512-VNNI's
//!   `vpdpwssd`: each i32 lane adds the two products of an i16 activation
//!   pair and an i16 weight pair to its sum (32 multiply-adds an
//!   instruction, exact), then one FMA per output scales the sum (`int16.rs`).

#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m512, __m512bh, __m512i, _mm512_add_ps, _mm512_dpbf16_ps, _mm512_fmadd_ps, _mm512_loadu_ps,
    _mm512_loadu_si512, _mm512_set1_epi32, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
};

const MR: usize = 12;
const NR: usize = 32;

/// Rows and columns of the tile both kernels compute.
pub(super) const TILE: (usize, usize) = (MR, NR);

/// `c[i][0..32] += Σ_p a[p·12 + i] · b[p·32 .. p·32 + 32]` for `i < 12`,
/// `c`'s rows `ldc` apart.
///
/// # Safety
/// The CPU must have AVX-512F. Every read and write is bounds-checked against
/// the slices first (one `assert!` per call), so none is out of range.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn f32_12x32(kc: usize, a: &[f32], b: &[f32], c: &mut [f32], ldc: usize) {
    assert!(a.len() >= kc * MR && b.len() >= kc * NR, "packed panels hold kc inputs");
    assert!(c.len() >= (MR - 1) * ldc + NR && ldc >= NR, "c holds a 12×32 tile");
    let (a, b) = (a.as_ptr(), b.as_ptr());
    let mut acc: [[__m512; 2]; MR] = [[_mm512_setzero_ps(); 2]; MR];
    let step = |acc: &mut [[__m512; 2]; MR], p: usize| {
        // SAFETY: every caller passes p < kc: inside a[..kc·12] and b[..kc·32] (asserted).
        let (b0, b1) = unsafe { (_mm512_loadu_ps(b.add(p * NR)), _mm512_loadu_ps(b.add(p * NR + 16))) };
        for (i, acc) in acc.iter_mut().enumerate() {
            // SAFETY: as above, i < 12.
            let x = _mm512_set1_ps(unsafe { *a.add(p * MR + i) });
            acc[0] = _mm512_fmadd_ps(x, b0, acc[0]);
            acc[1] = _mm512_fmadd_ps(x, b1, acc[1]);
        }
    };
    unrolled_by_two(kc, |p| step(&mut acc, p));
    // SAFETY: the tile fits in c (asserted above).
    unsafe { add_tile(&acc, c.as_mut_ptr(), ldc) };
}

/// `c[i][j] += Σ_q dot(a_pair[q·12 + i], b_pair[q·32 + j])` for `i < 12`,
/// `j < 32`: `a` and `b` hold bf16 pairs (low half the even input index,
/// high half the odd one), `steps` pairs of each.
///
/// # Safety
/// The CPU must have AVX-512F and AVX512-BF16. Every read and write is
/// bounds-checked against the slices first, so none is out of range.
#[target_feature(enable = "avx512f,avx512bf16")]
pub(super) unsafe fn bf16_12x32(steps: usize, a: &[u32], b: &[u32], c: &mut [f32], ldc: usize) {
    assert!(a.len() >= steps * MR && b.len() >= steps * NR, "packed panels hold the pairs");
    assert!(c.len() >= (MR - 1) * ldc + NR && ldc >= NR, "c holds a 12×32 tile");
    let (a, b) = (a.as_ptr(), b.as_ptr());
    let mut acc: [[__m512; 2]; MR] = [[_mm512_setzero_ps(); 2]; MR];
    let step = |acc: &mut [[__m512; 2]; MR], q: usize| {
        // SAFETY: q < steps: inside b[..steps·32] (asserted); unaligned loads.
        let (b0, b1) = unsafe {
            (
                as_bf16(_mm512_loadu_si512(b.add(q * NR).cast::<__m512i>())),
                as_bf16(_mm512_loadu_si512(b.add(q * NR + 16).cast::<__m512i>())),
            )
        };
        for (i, acc) in acc.iter_mut().enumerate() {
            // SAFETY: q < steps and i < 12: inside a[..steps·12] (asserted).
            let x = as_bf16(_mm512_set1_epi32(unsafe { *a.add(q * MR + i) } as i32));
            acc[0] = _mm512_dpbf16_ps(acc[0], x, b0);
            acc[1] = _mm512_dpbf16_ps(acc[1], x, b1);
        }
    };
    unrolled_by_two(steps, |q| step(&mut acc, q));
    // SAFETY: the tile fits in c (asserted above).
    unsafe { add_tile(&acc, c.as_mut_ptr(), ldc) };
}

/// `c[i][j] += (Σ_s a[s·12 + i] ⋅ b[s·32 + j]) · sa[i] · sb[j]` for `i < 12`,
/// `j < 32`: the AVX2 i16 kernel's arithmetic (exact i32 sums of the pairs'
/// products, then one FMA per output by the row's scale times the column's),
/// so the outputs are the same bit for bit; twice the width, and the add
/// folded into the multiply.
///
/// # Safety
/// The CPU must have AVX-512F and AVX512-VNNI. Every read and write is
/// bounds-checked against the slices first, so none is out of range.
#[target_feature(enable = "avx512f,avx512vnni")]
pub(super) unsafe fn i16_12x32(
    steps: usize,
    (a, row_scales): (&[u32], &[f32]),
    (b, column_scales): (&[u32], &[f32]),
    c: &mut [f32],
    ldc: usize,
) {
    use std::arch::x86_64::{_mm512_cvtepi32_ps, _mm512_dpwssd_epi32, _mm512_mul_ps, _mm512_setzero_si512};
    assert!(a.len() >= steps * MR && b.len() >= steps * NR, "packed panels hold the pairs");
    assert!(row_scales.len() >= MR && column_scales.len() >= NR, "a scale per row and column");
    assert!(c.len() >= (MR - 1) * ldc + NR && ldc >= NR, "c holds a 12×32 tile");
    let (ap, bp) = (a.as_ptr(), b.as_ptr());
    let mut acc: [[__m512i; 2]; MR] = [[_mm512_setzero_si512(); 2]; MR];
    let step = |acc: &mut [[__m512i; 2]; MR], s: usize| {
        // SAFETY: s < steps: inside b[..steps·32] (asserted); unaligned loads.
        let (b0, b1) = unsafe {
            (
                _mm512_loadu_si512(bp.add(s * NR).cast::<__m512i>()),
                _mm512_loadu_si512(bp.add(s * NR + 16).cast()),
            )
        };
        for (i, acc) in acc.iter_mut().enumerate() {
            // SAFETY: s < steps and i < 12: inside a[..steps·12] (asserted).
            let x = _mm512_set1_epi32(unsafe { *ap.add(s * MR + i) } as i32);
            acc[0] = _mm512_dpwssd_epi32(acc[0], x, b0);
            acc[1] = _mm512_dpwssd_epi32(acc[1], x, b1);
        }
    };
    // Unrolled, unlike the AVX2 i16 kernel: `vpdpwssd` adds into its own sum,
    // so there are no separate integer adds for the compiler to reorder.
    unrolled_by_two(steps, |s| step(&mut acc, s));
    // SAFETY: 32 column scales (asserted above).
    let (w0, w1) =
        unsafe { (_mm512_loadu_ps(column_scales.as_ptr()), _mm512_loadu_ps(column_scales.as_ptr().add(16))) };
    let c = c.as_mut_ptr();
    for (i, acc) in acc.iter().enumerate() {
        let x = _mm512_set1_ps(row_scales[i]);
        let sums = [_mm512_cvtepi32_ps(acc[0]), _mm512_cvtepi32_ps(acc[1])];
        // SAFETY: row i < 12 starts at i·ldc and 32 floats fit (asserted above).
        unsafe {
            let row = c.add(i * ldc);
            _mm512_storeu_ps(row, _mm512_fmadd_ps(sums[0], _mm512_mul_ps(x, w0), _mm512_loadu_ps(row)));
            _mm512_storeu_ps(
                row.add(16),
                _mm512_fmadd_ps(sums[1], _mm512_mul_ps(x, w1), _mm512_loadu_ps(row.add(16))),
            );
        }
    }
}

/// `step(0)`, …, `step(n − 1)` in order, two to an iteration of the loop.
#[inline(always)]
fn unrolled_by_two(n: usize, mut step: impl FnMut(usize)) {
    let mut p = 0;
    while p + 2 <= n {
        step(p);
        step(p + 1);
        p += 2;
    }
    if p < n {
        step(p);
    }
}

/// Reinterprets 32 bf16 pairs' bits as the type `vdpbf16ps` takes.
#[target_feature(enable = "avx512f")]
fn as_bf16(bits: __m512i) -> __m512bh {
    // SAFETY: both are 512 plain bits; every bit pattern is a valid bf16 vector.
    unsafe { std::mem::transmute::<__m512i, __m512bh>(bits) }
}

/// `c[i][0..32] += acc[i]`.
///
/// # Safety
/// AVX-512F, and 12 rows of 32 floats `ldc` apart writable from `c`.
#[target_feature(enable = "avx512f")]
unsafe fn add_tile(acc: &[[__m512; 2]; MR], c: *mut f32, ldc: usize) {
    for (i, acc) in acc.iter().enumerate() {
        // SAFETY: row i < 12 starts at i·ldc and holds 32 floats (the caller's promise).
        unsafe {
            let row = c.add(i * ldc);
            _mm512_storeu_ps(row, _mm512_add_ps(_mm512_loadu_ps(row), acc[0]));
            _mm512_storeu_ps(row.add(16), _mm512_add_ps(_mm512_loadu_ps(row.add(16)), acc[1]));
        }
    }
}
