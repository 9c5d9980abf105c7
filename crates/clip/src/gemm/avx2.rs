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
