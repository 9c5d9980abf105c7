//! The micro-kernels in plain Rust, for any CPU and any tile: the f32 one
//! does the AVX2 and AVX-512 kernels' multiply-adds in their order (one FMA
//! per input, in order), the bf16 one `vdpbf16ps`'s arithmetic, the i16 one
//! the AVX2 i16 kernel's (exact i32 sums, then one FMA per output).

use super::int16::half;
use super::pack::{Layout, bf16_value};

/// The f32 tile: the AVX2 kernel's, so the two agree bit for bit.
pub(super) const TILE: (usize, usize) = (6, 16);
/// The bf16 tile: the AVX-512 kernel's.
pub(super) const TILE_BF16: (usize, usize) = (12, 32);

/// `c[i][j] += Σ_p a[p·mr + i] · b[p·nr + j]`, one fused multiply-add per
/// input in order, summed apart from `c` and added to it at the end.
pub(super) fn f32_tile(layout: Layout, kc: usize, a: &[f32], b: &[f32], c: &mut [f32], ldc: usize) {
    tile(layout, kc, a, b, c, ldc, |acc, x, w| x.mul_add(w, acc));
}

/// As [`f32_tile`] over bf16 pairs: for each pair, the odd inputs' product
/// then the even inputs' added to the f32 sum, each add rounded once (a
/// product of two bf16 is exact in f32): Intel's definition of `vdpbf16ps`.
pub(super) fn bf16_tile(layout: Layout, steps: usize, a: &[u32], b: &[u32], c: &mut [f32], ldc: usize) {
    tile(layout, steps, a, b, c, ldc, |acc, x, w| {
        let (x0, x1) = (bf16_value(x as u16), bf16_value((x >> 16) as u16));
        let (w0, w1) = (bf16_value(w as u16), bf16_value((w >> 16) as u16));
        (acc + x1 * w1) + x0 * w0
    });
}

/// `c[i][j] += (Σ_s a_s[i] ⋅ b_s[j]) · sa[i] · sb[j]`: the pairs' products
/// summed exactly in i32, the sum scaled and added to `c` with one fused
/// multiply-add, as the AVX2 i16 kernel does.
pub(super) fn i16_tile(
    layout: Layout,
    steps: usize,
    (a, row_scales): (&[u32], &[f32]),
    (b, column_scales): (&[u32], &[f32]),
    c: &mut [f32],
    ldc: usize,
) {
    let (mr, nr) = (layout.mr, layout.nr);
    let mut acc = vec![0i32; mr * nr];
    for (a, b) in a.chunks_exact(mr).zip(b.chunks_exact(nr)).take(steps) {
        for (row, &x) in acc.chunks_exact_mut(nr).zip(a) {
            for (acc, &w) in row.iter_mut().zip(b) {
                *acc += half(x, false) * half(w, false) + half(x, true) * half(w, true);
            }
        }
    }
    for (i, row) in acc.chunks_exact(nr).enumerate() {
        let outputs = c[i * ldc..i * ldc + nr].iter_mut().zip(row).zip(column_scales);
        for ((c, &acc), &column) in outputs {
            *c = (acc as f32).mul_add(row_scales[i] * column, *c);
        }
    }
}

fn tile<T: Copy>(
    layout: Layout,
    steps: usize,
    a: &[T],
    b: &[T],
    c: &mut [f32],
    ldc: usize,
    step: impl Fn(f32, T, T) -> f32,
) {
    let (mr, nr) = (layout.mr, layout.nr);
    let mut acc = vec![0f32; mr * nr];
    for (a, b) in a.chunks_exact(mr).zip(b.chunks_exact(nr)).take(steps) {
        for (row, &x) in acc.chunks_exact_mut(nr).zip(a) {
            for (acc, &w) in row.iter_mut().zip(b) {
                *acc = step(*acc, x, w);
            }
        }
    }
    for (i, row) in acc.chunks_exact(nr).enumerate() {
        for (c, acc) in c[i * ldc..i * ldc + nr].iter_mut().zip(row) {
            *c += acc;
        }
    }
}
