//! The loops around the micro-kernel: BLIS's order, row blocks in parallel
//! on rayon's pool, the activations packed per cache block.

use std::mem::MaybeUninit;
use std::sync::OnceLock;

use rayon::prelude::*;

use super::Kernel;
use super::int16::Quantized;
use super::pack::{self, Numbers, PackedWeights, Values};

/// The reduction dimension per cache block: all of a 768-input layer (the
/// tower's width), so each output tile is loaded and stored once rather than
/// once per block (at 256 the tiles of fc1's 9.8 MB output came back from L3
/// three times: 17–25 % slower on Zen 4, `docs/PERFORMANCE.md`, eighth
/// session). One `KC × NR` weight panel is 48 KiB in bf16 or f32 with NR =
/// 16, 96 KiB in f32 with NR = 32: in L2, which feeds a kernel step's two
/// weight loads faster than its multiply-adds use them.
pub(super) const KC: usize = 768;
/// The packed activations of one cache block (`MC × KC` values of 4 bytes)
/// fill half of this core's L2, so the weights stream through L2 once per
/// block and the block stays: on Zen 2's 512 KiB (and where the size is not
/// known) MC is 84 rows in f32, 168 in bf16; on the Xeon's 2 MiB 336 and 672
/// (blocks of 768 KiB–1.5 MiB gave the f32 tower 3–8 % more images/s there
/// than 256 KiB, `docs/PERFORMANCE.md`, ninth session).
fn block_bytes() -> usize {
    static BYTES: OnceLock<usize> = OnceLock::new();
    *BYTES.get_or_init(|| block_for(l2_bytes()))
}

/// Half of an L2 of `l2` bytes (512 KiB where unknown), kept within 128 KiB–2 MiB.
fn block_for(l2: Option<usize>) -> usize {
    l2.unwrap_or(512 * 1024).clamp(256 * 1024, 4 * 1024 * 1024) / 2
}

/// This core's L2 as Linux reports it (`…/cache/index2`, e.g. `2048K`).
fn l2_bytes() -> Option<usize> {
    let cache = std::path::Path::new("/sys/devices/system/cpu/cpu0/cache/index2");
    let read = |name: &str| std::fs::read_to_string(cache.join(name)).ok().map(|text| text.trim().to_owned());
    (read("level")? == "2").then_some(())?;
    parse_size(&read("size")?)
}

/// `512K`, `2048K`, `2M` or plain bytes.
fn parse_size(text: &str) -> Option<usize> {
    let (digits, unit) = match text.strip_suffix(['K', 'M']) {
        Some(digits) => (digits, if text.ends_with('K') { 1024 } else { 1024 * 1024 }),
        None => (text, 1),
    };
    digits.parse::<usize>().ok()?.checked_mul(unit)
}
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
    // Not zeroed first: each task writes its own rows' start values once,
    // then multiplies into them (zeroing wrote every output twice: memset was
    // 6.3 % of the AMX tower's samples before, 2.4 % after, `docs/PERFORMANCE.md`,
    // ninth session).
    let mut y = Vec::with_capacity(rows * n);
    if rows == 0 || n == 0 {
        return y;
    }
    // One task per thread, in whole row panels, so each packs its own rows.
    let mr = kernel.layout().mr;
    let threads = rayon::current_num_threads().max(1);
    let per_task = rows.div_ceil(threads).div_ceil(mr) * mr;
    let spare = &mut y.spare_capacity_mut()[..rows * n];
    spare.par_chunks_mut(per_task * n).zip(x.par_chunks(per_task * k)).enumerate().for_each(|(t, (y, x))| {
        let onto = onto.map(|onto| &onto[t * per_task * n..][..y.len()]);
        let y = start(y, n, weights.bias(), onto);
        multiply_rows(kernel, x, y, weights, then);
    });
    // SAFETY: the tasks' chunks cover all `rows · n` values of the spare
    // capacity, and `start` wrote every value of its chunk.
    #[allow(unsafe_code)]
    unsafe {
        y.set_len(rows * n)
    };
    y
}

/// Writes each output row's value before the products (its bias, plus the
/// row it is added onto; zero without either) into every value of `y`, rows
/// of `n`, and gives `y` back initialised.
fn start<'y>(
    y: &'y mut [MaybeUninit<f32>],
    n: usize,
    bias: Option<&[f32]>,
    onto: Option<&[f32]>,
) -> &'y mut [f32] {
    assert!(n > 0 && y.len().is_multiple_of(n), "y is whole rows of {n}");
    assert!(
        bias.is_none_or(|b| b.len() == n) && onto.is_none_or(|o| o.len() == y.len()),
        "one start per value"
    );
    let copy = |to: &mut [MaybeUninit<f32>], from: &[f32]| {
        to.iter_mut().zip(from).for_each(|(t, f)| _ = t.write(*f))
    };
    match (bias, onto) {
        (None, None) => y.iter_mut().for_each(|y| _ = y.write(0.0)),
        (None, Some(onto)) => copy(y, onto),
        (Some(bias), None) => y.chunks_exact_mut(n).for_each(|row| copy(row, bias)),
        (Some(bias), Some(onto)) => {
            for (row, onto) in y.chunks_exact_mut(n).zip(onto.chunks_exact(n)) {
                row.iter_mut().zip(bias).zip(onto).for_each(|((y, b), o)| _ = y.write(o + b));
            }
        }
    }
    // SAFETY: every arm wrote every value (`y` is whole rows of `n`, `bias`
    // is `n` long and `onto` as long as `y`: asserted above), and
    // `MaybeUninit<f32>` has f32's layout.
    #[allow(unsafe_code)]
    unsafe {
        &mut *(std::ptr::from_mut(y) as *mut [f32])
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
    let mc_max = (block_bytes() / (layout.steps(KC) * 4) / mr).max(1) * mr;
    let block_rows = mc_max.min(rows.div_ceil(mr) * mr);
    let mut packed = match layout.numbers {
        Numbers::F32 => Values::F32(vec![0.0; block_rows * KC]),
        Numbers::Bf16 => Values::Bf16(vec![0; block_rows * layout.steps(KC)]),
        Numbers::I16 => Values::I16(Quantized::zeros(block_rows * layout.steps(KC), block_rows)),
    };
    // Edge tiles (a last panel of fewer than mr rows or nr columns) are
    // computed in this buffer: the valid part of `y` copied in (zeros
    // elsewhere), multiplied into as a whole tile is, and copied back. So an
    // output rounds alike in an edge tile and a whole one, whatever the
    // tile: the i16 kernels add their scaled sum to `y` with one FMA, where
    // adding an edge's product afterwards rounded twice.
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
                    let a = row_panel(&packed, p, steps * mr, mr);
                    let live = mr.min(mc - r0);
                    let at = (i0 + r0) * n + j0;
                    if live == mr && cols == nr {
                        kernel.multiply(steps, a, b, &mut y[at..], n);
                    } else {
                        let edge = &mut edge[..mr * nr];
                        edge.fill(0.0);
                        for r in 0..live {
                            edge[r * nr..][..cols].copy_from_slice(&y[at + r * n..][..cols]);
                        }
                        kernel.multiply(steps, a, b, edge, nr);
                        for r in 0..live {
                            y[at + r * n..][..cols].copy_from_slice(&edge[r * nr..][..cols]);
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

/// Row panel `p` of the packed activations, `len` values long, of `mr` rows.
fn row_panel(packed: &Values, p: usize, len: usize, mr: usize) -> pack::Panel<'_> {
    match packed {
        Values::F32(data) => pack::Panel::F32(&data[p * len..][..len]),
        Values::Bf16(data) => pack::Panel::Bf16(&data[p * len..][..len]),
        Values::I16(data) => pack::Panel::I16(&data.pairs[p * len..][..len], &data.scales[p * mr..][..mr]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_sizes_parse_as_linux_writes_them() {
        assert_eq!(parse_size("2048K"), Some(2 << 20));
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("524288"), Some(512 << 10));
        assert_eq!(parse_size("K"), None);
        assert_eq!(parse_size("12X"), None);
    }

    #[test]
    fn a_block_is_half_an_l2_within_bounds() {
        assert_eq!(block_for(None), 256 << 10, "unknown: Zen 2's 512 KiB assumed");
        assert_eq!(block_for(Some(2 << 20)), 1 << 20);
        assert_eq!(block_for(Some(64 << 10)), 128 << 10, "at least 128 KiB");
        assert_eq!(block_for(Some(64 << 20)), 2 << 20, "at most 2 MiB");
    }
}
