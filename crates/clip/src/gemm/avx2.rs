//! The AVX2 + FMA micro-kernel: a 6×16 tile of the output in twelve
//! registers, two weight loads and six broadcasts per input index. On Zen 2
//! that is 12 FMAs (6 cycles on its two FMA pipes) against 8 loads (4 cycles
//! on its two load ports): the FMA units, not memory, set the pace.

#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m256, _mm256_add_ps, _mm256_broadcast_ss, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_setzero_ps,
    _mm256_storeu_ps,
};

const MR: usize = 6;
const NR: usize = 16;

/// Rows and columns of the tile the kernel computes.
pub(super) const TILE: (usize, usize) = (MR, NR);

/// `c[i][0..16] += Σ_p a[p·6 + i] · b[p·16 .. p·16 + 16]` for `i < 6`, `c`'s
/// rows `ldc` apart.
///
/// # Safety
/// The CPU must have AVX2 and FMA. Every read and write is bounds-checked
/// against the slices first (one `assert!` per call, not per element), so
/// no slice is read or written out of range.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn kernel_6x16(kc: usize, a: &[f32], b: &[f32], c: &mut [f32], ldc: usize) {
    assert!(a.len() >= kc * MR && b.len() >= kc * NR, "packed panels hold kc inputs");
    assert!(c.len() >= (MR - 1) * ldc + NR && ldc >= NR, "c holds a 6×16 tile");
    let (a, b) = (a.as_ptr(), b.as_ptr());
    let mut acc: [[__m256; 2]; MR] = [[_mm256_setzero_ps(); 2]; MR];
    // One input index's multiply-adds; four per loop turn, to spend fewer
    // instructions on the loop itself.
    let step = |acc: &mut [[__m256; 2]; MR], p: usize| {
        // SAFETY: every caller passes p < kc, so these reads are inside
        // a[..kc·6] and b[..kc·16] (asserted above).
        let (b0, b1) = unsafe { (_mm256_loadu_ps(b.add(p * NR)), _mm256_loadu_ps(b.add(p * NR + 8))) };
        for (i, acc) in acc.iter_mut().enumerate() {
            // SAFETY: as above, i < 6.
            let x = unsafe { _mm256_broadcast_ss(&*a.add(p * MR + i)) };
            acc[0] = _mm256_fmadd_ps(x, b0, acc[0]);
            acc[1] = _mm256_fmadd_ps(x, b1, acc[1]);
        }
    };
    let mut p = 0;
    while p + 4 <= kc {
        step(&mut acc, p);
        step(&mut acc, p + 1);
        step(&mut acc, p + 2);
        step(&mut acc, p + 3);
        p += 4;
    }
    while p < kc {
        step(&mut acc, p);
        p += 1;
    }
    let c = c.as_mut_ptr();
    for (i, acc) in acc.iter().enumerate() {
        // SAFETY: row i < 6 starts at i·ldc and 16 floats fit (asserted above).
        unsafe {
            let row = c.add(i * ldc);
            _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), acc[0]));
            _mm256_storeu_ps(row.add(8), _mm256_add_ps(_mm256_loadu_ps(row.add(8)), acc[1]));
        }
    }
}

/// `c[i][j] += (Σ_s a[s·6 + i] ⋅ b[s·16 + j]) · sa[i] · sb[j]` for `i < 6`, `j
/// < 16`: each step a pair of i16 from each side (`vpmaddwd`: the two
/// products added into an i32, then `vpaddd` into the sum), summed exactly
/// in i32, then scaled by the row's and the column's scale and added to `c`
/// with one FMA (`int16.rs`).
///
/// # Safety
/// The CPU must have AVX2 and FMA. Every read and write is bounds-checked
/// against the slices first (one `assert!` per call), so no slice is read or
/// written out of range.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn i16_6x16(
    steps: usize,
    a: (&[u32], &[f32]),
    b: (&[u32], &[f32]),
    c: &mut [f32],
    ldc: usize,
) {
    use std::arch::x86_64::{_mm256_add_epi32, _mm256_madd_epi16};
    // SAFETY: the CPU has AVX2 and FMA (the caller's promise), all the tile needs.
    unsafe { i16_6x16_with(steps, a, b, c, ldc, |acc, x, w| _mm256_add_epi32(acc, _mm256_madd_epi16(x, w))) }
}

/// [`i16_6x16`] with AVX-VNNI's `vpdpwssd` (Alder Lake and later, Zen 5):
/// the pair products and their add into the sum in one instruction, where
/// AVX2 takes two. The same exact sums, so the same outputs bit for bit.
///
/// # Safety
/// The CPU must have AVX2, FMA and AVX-VNNI; bounds as [`i16_6x16`].
#[target_feature(enable = "avx2,fma,avxvnni")]
pub(super) unsafe fn i16_6x16_vnni(
    steps: usize,
    a: (&[u32], &[f32]),
    b: (&[u32], &[f32]),
    c: &mut [f32],
    ldc: usize,
) {
    use std::arch::x86_64::_mm256_dpwssd_avx_epi32;
    // SAFETY: the CPU has AVX2, FMA and AVX-VNNI (the caller's promise).
    unsafe { i16_6x16_with(steps, a, b, c, ldc, |acc, x, w| _mm256_dpwssd_avx_epi32(acc, x, w)) }
}

/// The i16 6×16 tile, `dot(sum, x, w)` adding the pair products of `x` and
/// `w` into `sum`: inlined into each caller, whose instruction set its
/// intrinsics (and `dot`, a closure of the caller's) then compile to.
///
/// # Safety
/// The CPU must have AVX2 and FMA, and what `dot` uses.
#[inline(always)]
unsafe fn i16_6x16_with(
    steps: usize,
    a: (&[u32], &[f32]),
    b: (&[u32], &[f32]),
    c: &mut [f32],
    ldc: usize,
    dot: impl Fn(
        std::arch::x86_64::__m256i,
        std::arch::x86_64::__m256i,
        std::arch::x86_64::__m256i,
    ) -> std::arch::x86_64::__m256i,
) {
    use std::arch::x86_64::{
        __m256i, _mm256_cvtepi32_ps, _mm256_loadu_si256, _mm256_mul_ps, _mm256_set1_epi32, _mm256_set1_ps,
        _mm256_setzero_si256,
    };
    let ((a, row_scales), (b, column_scales)) = (a, b);
    assert!(a.len() >= steps * MR && b.len() >= steps * NR, "packed panels hold the steps");
    assert!(row_scales.len() >= MR && column_scales.len() >= NR, "a scale per row and column");
    assert!(c.len() >= (MR - 1) * ldc + NR && ldc >= NR, "c holds a 6×16 tile");
    let (ap, bp) = (a.as_ptr(), b.as_ptr());
    // SAFETY (every intrinsic below): the CPU has AVX2 and FMA (the caller's promise).
    let mut acc: [[__m256i; 2]; MR] = [[unsafe { _mm256_setzero_si256() }; 2]; MR];
    let step = |acc: &mut [[__m256i; 2]; MR], s: usize| {
        // SAFETY: every caller passes s < steps, so these reads are inside
        // a[..steps·6] and b[..steps·16] (asserted above).
        let (b0, b1) = unsafe {
            (_mm256_loadu_si256(bp.add(s * NR).cast()), _mm256_loadu_si256(bp.add(s * NR + 8).cast()))
        };
        for (i, acc) in acc.iter_mut().enumerate() {
            // SAFETY: as above, i < 6.
            let x = unsafe { _mm256_set1_epi32(*ap.add(s * MR + i) as i32) };
            acc[0] = dot(acc[0], x, b0);
            acc[1] = dot(acc[1], x, b1);
        }
    };
    // Not unrolled: integer sums may be reordered, and over unrolled steps
    // the compiler adds two steps' products first, which needs more than
    // the 16 registers and spilled the sums to the stack.
    for s in 0..steps {
        step(&mut acc, s);
    }
    // SAFETY: 16 column scales (asserted above).
    let (w0, w1) =
        unsafe { (_mm256_loadu_ps(column_scales.as_ptr()), _mm256_loadu_ps(column_scales.as_ptr().add(8))) };
    let c = c.as_mut_ptr();
    for (i, acc) in acc.iter().enumerate() {
        // SAFETY: row i < 6 starts at i·ldc and 16 floats fit (asserted above).
        unsafe {
            let x = _mm256_set1_ps(row_scales[i]);
            let row = c.add(i * ldc);
            let sums = [_mm256_cvtepi32_ps(acc[0]), _mm256_cvtepi32_ps(acc[1])];
            _mm256_storeu_ps(row, _mm256_fmadd_ps(sums[0], _mm256_mul_ps(x, w0), _mm256_loadu_ps(row)));
            _mm256_storeu_ps(
                row.add(8),
                _mm256_fmadd_ps(sums[1], _mm256_mul_ps(x, w1), _mm256_loadu_ps(row.add(8))),
            );
        }
    }
}

/// `int16::quantize_with` sixteen values at a time (the compiler left its
/// rounding and narrowing scalar: 6 % of the i16 tower's time). The same
/// numbers: `vcvtps2dq` rounds to nearest even, and no value passes `±limit`.
///
/// # Safety
/// The CPU must have AVX2 and FMA. Every load and store is of a chunk the
/// slices hold.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn quantize(values: &[f32], limit: i16, pairs: &mut [u32]) -> f32 {
    use std::arch::x86_64::{
        _CMP_UNORD_Q, _mm256_andnot_ps, _mm256_cmp_ps, _mm256_cvtps_epi32, _mm256_loadu_ps, _mm256_max_ps,
        _mm256_movemask_ps, _mm256_mul_ps, _mm256_or_ps, _mm256_packs_epi32, _mm256_permute4x64_epi64,
        _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps, _mm256_storeu_si256,
    };
    assert_eq!(pairs.len(), values.len().div_ceil(2), "a pair per two values");
    let (sign, mut largest, mut nan) = (_mm256_set1_ps(-0.0), _mm256_setzero_ps(), _mm256_setzero_ps());
    let chunks = values.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        // SAFETY: `chunk` holds 8 values.
        let v = unsafe { _mm256_loadu_ps(chunk.as_ptr()) };
        largest = _mm256_max_ps(largest, _mm256_andnot_ps(sign, v));
        nan = _mm256_or_ps(nan, _mm256_cmp_ps::<_CMP_UNORD_Q>(v, v));
    }
    let mut lanes = [0f32; 8];
    // SAFETY: `lanes` holds 8 values.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), largest) };
    let nan = _mm256_movemask_ps(nan) != 0 || tail.iter().any(|v| v.is_nan());
    let largest = tail.iter().map(|v| v.abs()).chain(lanes).fold(0.0, f32::max);
    if nan || largest == 0.0 || !largest.is_finite() {
        pairs.fill(0);
        return if largest == 0.0 && !nan { 0.0 } else { f32::NAN };
    }
    let bound = f32::from(limit);
    let (scale, inverse) = (largest / bound, bound / largest);
    let times = _mm256_set1_ps(inverse);
    let whole = values.len() / 16 * 16;
    for (sixteen, out) in values[..whole].chunks_exact(16).zip(pairs.chunks_exact_mut(8)) {
        // SAFETY: `sixteen` holds 16 values and `out` 8 pairs (32 bytes).
        unsafe {
            let low = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(sixteen.as_ptr()), times));
            let high = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(sixteen.as_ptr().add(8)), times));
            // packs interleaves the halves by 128-bit lane; the permute puts them back in order.
            let packed = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(low, high));
            _mm256_storeu_si256(out.as_mut_ptr().cast(), packed);
        }
    }
    super::int16::round_into(&values[whole..], inverse, bound, &mut pairs[whole / 2..]);
    scale
}
