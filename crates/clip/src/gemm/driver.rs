//! The loops around the micro-kernel: BLIS's order, row blocks in parallel
//! on rayon's pool, the activations packed per cache block.

use rayon::prelude::*;

use super::Kernel;
use super::pack::{self, PackedWeights, Values};

/// The reduction dimension per cache block: all of a 768-input layer (the
/// tower's width), so each output tile is loaded and stored once rather than
/// once per block (at 256 the tiles of fc1's 9.8 MB output came back from L3
/// three times: 17–25 % slower on Zen 4, `docs/PERFORMANCE.md`, eighth
/// session). One `KC × NR` weight panel is 48 KiB in bf16 or f32 with NR =
/// 16, 96 KiB in f32 with NR = 32: in L2, which feeds a kernel step's two
/// weight loads faster than its multiply-adds use them.
const KC: usize = 768;
/// The packed activations of one cache block (`MC × KC` values of 4 bytes)
/// stay within half of a 512 KiB L2 (Zen 2's, the smallest this runs on):
/// MC is 84 rows in f32, 168 in bf16 (two inputs a value).
const BLOCK_BYTES: usize = 256 * 1024;
/// The largest tile any kernel computes (`mr · nr`: AMX's 32 × 32).
const MAX_TILE: usize = 32 * 32;

/// `x` (`rows × in_dim`, row-major) times the packed weights, plus their bias:
/// `rows × out_dim`, row-major. Row blocks run in parallel on rayon's pool.
pub fn linear(kernel: Kernel, x: &[f32], rows: usize, weights: &PackedWeights) -> Vec<f32> {
    linear_fused(kernel, x, rows, weights, None, &|_| {})
}

/// [`linear`] added `onto` a `rows × out_dim` tensor (a residual: the sum is
/// where the product starts, so no pass of its own), then `then` applied to
/// each block of finished output rows while it is still in cache (an
/// activation fused into the product).
///
/// # Panics
/// If the weights were packed for another layout than `kernel`'s, `x` is not
/// `rows × in_dim`, or `onto` not `rows × out_dim`.
pub fn linear_fused(
    kernel: Kernel,
    x: &[f32],
    rows: usize,
    weights: &PackedWeights,
    onto: Option<&[f32]>,
    then: &(dyn Fn(&mut [f32]) + Sync),
) -> Vec<f32> {
    let (k, n) = (weights.in_dim(), weights.out_dim());
    assert_eq!(kernel.layout(), weights.layout(), "{kernel:?} reads weights packed for it");
    assert_eq!(x.len(), rows * k, "x is rows × in_dim");
    assert!(
        onto.is_none_or(|onto| onto.len() == rows * n),
        "what the product is added onto is rows × out_dim"
    );
    // Zeroed pages from the OS: each task writes its own rows' start values
    // (first touched by the thread that then multiplies into them).
    let mut y = vec![0f32; rows * n];
    if rows == 0 || n == 0 {
        return y;
    }
    // One task per thread, in whole row panels, so each packs its own rows.
    let mr = kernel.layout().mr;
    let threads = rayon::current_num_threads().max(1);
    let per_task = rows.div_ceil(threads).div_ceil(mr) * mr;
    y.par_chunks_mut(per_task * n).zip(x.par_chunks(per_task * k)).enumerate().for_each(|(t, (y, x))| {
        start(y, weights.bias(), onto.map(|onto| &onto[t * per_task * n..][..y.len()]));
        multiply_rows(kernel, x, y, weights, then);
    });
    y
}

/// Each output row's value before the products: its bias, plus the row it
/// is added onto.
fn start(y: &mut [f32], bias: Option<&[f32]>, onto: Option<&[f32]>) {
    match (bias, onto) {
        (None, None) => {}
        (None, Some(onto)) => y.copy_from_slice(onto),
        (Some(bias), None) => y.chunks_exact_mut(bias.len()).for_each(|row| row.copy_from_slice(bias)),
        (Some(bias), Some(onto)) => {
            for (row, onto) in y.chunks_exact_mut(bias.len()).zip(onto.chunks_exact(bias.len())) {
                row.iter_mut().zip(bias).zip(onto).for_each(|((y, b), o)| *y = o + b);
            }
        }
    }
}

/// `y += x · Wᵀ` for one task's rows, cache block by cache block.
fn multiply_rows(
    kernel: Kernel,
    x: &[f32],
    y: &mut [f32],
    weights: &PackedWeights,
    then: &(dyn Fn(&mut [f32]) + Sync),
) {
    let layout = kernel.layout();
    let (mr, nr) = (layout.mr, layout.nr);
    let (k, n) = (weights.in_dim(), weights.out_dim());
    let rows = x.len() / k;
    let mc_max = (BLOCK_BYTES / (layout.steps(KC) * 4) / mr).max(1) * mr;
    let block_rows = mc_max.min(rows.div_ceil(mr) * mr);
    let mut packed = if layout.bf16 {
        Values::Bf16(vec![0; block_rows * layout.steps(KC)])
    } else {
        Values::F32(vec![0.0; block_rows * KC])
    };
    // Edge tiles (a last panel of fewer than mr rows or nr columns) are
    // computed into this buffer and the valid part added to `y`.
    let mut edge = [0f32; MAX_TILE];
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        let steps = layout.steps(kc);
        for i0 in (0..rows).step_by(mc_max) {
            let mc = mc_max.min(rows - i0);
            pack::rows(layout, &x[i0 * k..(i0 + mc) * k], k, p0, kc, &mut packed);
            for (panel, j0) in (0..n).step_by(nr).enumerate() {
                let b = weights.panel(panel, p0, kc);
                let cols = nr.min(n - j0);
                for (p, r0) in (0..mc).step_by(mr).enumerate() {
                    let a = row_panel(&packed, p, steps * mr);
                    let live = mr.min(mc - r0);
                    let at = (i0 + r0) * n + j0;
                    if live == mr && cols == nr {
                        kernel.multiply(steps, a, b, &mut y[at..], n);
                    } else {
                        let edge = &mut edge[..mr * nr];
                        edge.fill(0.0);
                        kernel.multiply(steps, a, b, edge, nr);
                        for r in 0..live {
                            let row = &mut y[at + r * n..at + r * n + cols];
                            row.iter_mut().zip(&edge[r * nr..]).for_each(|(y, e)| *y += e);
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

/// Row panel `p` of the packed activations, `len` values long.
fn row_panel(packed: &Values, p: usize, len: usize) -> pack::Panel<'_> {
    match packed {
        Values::F32(data) => pack::Panel::F32(&data[p * len..][..len]),
        Values::Bf16(data) => pack::Panel::Bf16(&data[p * len..][..len]),
    }
}
