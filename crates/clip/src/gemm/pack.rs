//! The packed layouts the micro-kernels read: weights once at load,
//! activations per cache block. A [`Layout`] says which: the tile's rows and
//! columns, and whether values are f32, bf16 pairs or i16 pairs with scales.

use super::int16::{self, Quantized};

/// How a kernel reads its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Rows of `x` per micro-kernel call.
    pub mr: usize,
    /// Output columns per micro-kernel call.
    pub nr: usize,
    /// What the values are.
    pub numbers: Numbers,
    /// AMX's order: the activations of each row panel are packed row after
    /// row (a tile row is 16 pairs of one row), not step by step, and steps
    /// come in whole tiles of 16 pairs (zeros past the inputs).
    pub amx: bool,
}

/// The numbers a kernel multiplies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbers {
    /// f32: one kernel step is one input.
    F32,
    /// bf16 pairs in a `u32` (low half the even input index, high half the
    /// odd one): one kernel step covers two inputs.
    Bf16,
    /// i16 pairs in a `u32`, as bf16's, each row of activations and each
    /// column of weights with its own scale (`int16.rs`).
    I16,
}

impl Layout {
    /// Inputs one kernel step covers.
    pub(super) fn inputs_per_step(self) -> usize {
        if self.numbers == Numbers::F32 { 1 } else { 2 }
    }

    /// Kernel steps over `inputs` inputs.
    pub(super) fn steps(self, inputs: usize) -> usize {
        let steps = inputs.div_ceil(self.inputs_per_step());
        if self.amx { steps.next_multiple_of(super::amx::STEPS) } else { steps }
    }
}

/// One panel's values: what a kernel step reads is `nr` (weights) or `mr`
/// (activations) of these.
#[derive(Clone)]
pub(super) enum Values {
    F32(Vec<f32>),
    Bf16(Vec<u32>),
    I16(Quantized),
}

/// A linear layer's weights (`out_dim × in_dim`, PyTorch's layout) in panels
/// of `nr` output columns: panel `j` holds, step by step, the weights of
/// columns `j·nr .. j·nr + nr` (zeros past `out_dim` and past `in_dim`), so
/// the kernel reads each panel front to back.
pub struct PackedWeights {
    layout: Layout,
    in_dim: usize,
    out_dim: usize,
    values: Values,
    bias: Option<Vec<f32>>,
}

impl PackedWeights {
    /// Packs `weight` (`out_dim × in_dim`, row-major) and its bias for `layout`.
    pub fn new(
        layout: Layout,
        weight: &[f32],
        out_dim: usize,
        in_dim: usize,
        bias: Option<Vec<f32>>,
    ) -> Self {
        assert_eq!(weight.len(), out_dim * in_dim, "weight is out_dim × in_dim");
        if let Some(bias) = &bias {
            assert_eq!(bias.len(), out_dim, "one bias per output");
        }
        let nr = layout.nr;
        let (panels, steps) = (out_dim.div_ceil(nr), layout.steps(in_dim));
        let column = |c: usize| &weight[c * in_dim..][..in_dim];
        let values = match layout.numbers {
            Numbers::F32 => {
                let mut data = vec![0f32; panels * steps * nr];
                for (panel, out) in data.chunks_exact_mut((steps * nr).max(1)).enumerate() {
                    for c in 0..nr.min(out_dim - panel * nr) {
                        strided(column(panel * nr + c), c, nr, out);
                    }
                }
                Values::F32(data)
            }
            Numbers::Bf16 => {
                let mut data = vec![0u32; panels * steps * nr];
                let mut pairs = vec![0u32; in_dim.div_ceil(2)];
                for (panel, out) in data.chunks_exact_mut((steps * nr).max(1)).enumerate() {
                    for c in 0..nr.min(out_dim - panel * nr) {
                        bf16_pairs(column(panel * nr + c), &mut pairs);
                        strided(&pairs, c, nr, out);
                    }
                }
                Values::Bf16(data)
            }
            Numbers::I16 => {
                let mut data = Quantized::zeros(panels * steps * nr, panels * nr);
                let mut pairs = vec![0u32; in_dim.div_ceil(2)];
                let chunks = data.pairs.chunks_exact_mut((steps * nr).max(1));
                for ((panel, out), scales) in chunks.enumerate().zip(data.scales.chunks_exact_mut(nr)) {
                    for (c, scale) in scales.iter_mut().enumerate().take(out_dim - panel * nr) {
                        *scale = int16::quantize(column(panel * nr + c), int16::WEIGHT_LIMIT, &mut pairs);
                        strided(&pairs, c, nr, out);
                    }
                }
                Values::I16(data)
            }
        };
        Self { layout, in_dim, out_dim, values, bias }
    }

    /// The layout the weights are packed in.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Inputs per row.
    pub fn in_dim(&self) -> usize {
        self.in_dim
    }

    /// Outputs per row.
    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// The bias, one per output.
    pub fn bias(&self) -> Option<&[f32]> {
        self.bias.as_deref()
    }

    /// The f32 weights back in PyTorch's layout, when packed as f32 (bf16
    /// has lost their low bits: `None`).
    pub fn unpack(&self) -> Option<Vec<f32>> {
        let Values::F32(data) = &self.values else { return None };
        let (nr, k) = (self.layout.nr, self.in_dim);
        let mut weight = vec![0f32; self.out_dim * k];
        for (c, row) in weight.chunks_exact_mut(k.max(1)).enumerate() {
            let panel = &data[(c / nr) * k * nr..];
            row.iter_mut().enumerate().for_each(|(p, w)| *w = panel[p * nr + c % nr]);
        }
        Some(weight)
    }

    /// Inputs `p0 .. p0 + kc` of weight panel `panel` (`p0` a whole step).
    pub(super) fn panel(&self, panel: usize, p0: usize, kc: usize) -> Panel<'_> {
        let (l, steps) = (self.layout, self.layout.steps(self.in_dim));
        let at = (panel * steps + p0 / l.inputs_per_step()) * l.nr;
        let len = l.steps(kc) * l.nr;
        match &self.values {
            Values::F32(data) => Panel::F32(&data[at..][..len]),
            Values::Bf16(data) => Panel::Bf16(&data[at..][..len]),
            Values::I16(data) => Panel::I16(&data.pairs[at..][..len], &data.scales[panel * l.nr..][..l.nr]),
        }
    }
}

/// A borrowed panel of weights or of packed activations.
#[derive(Clone, Copy)]
pub(super) enum Panel<'a> {
    F32(&'a [f32]),
    Bf16(&'a [u32]),
    /// i16 pairs and the scale of each of the panel's rows (activations) or
    /// columns (weights).
    I16(&'a [u32], &'a [f32]),
}

/// Packs inputs `p0 .. p0 + kc` of `block`'s rows (each `k` long) into
/// `out` as row panels of `layout.mr`: panel `i` holds, step by step, rows
/// `i·mr .. i·mr + mr` (zeros past the block's last row and past `kc`).
pub(super) fn rows(layout: Layout, block: &[f32], k: usize, p0: usize, kc: usize, out: &mut Values) {
    let rows = block.len() / k;
    let zeros = vec![0f32; kc];
    let row = |r: usize| if r < rows { &block[r * k + p0..][..kc] } else { zeros.as_slice() };
    if layout.amx {
        return row_after_row(layout, rows, row, kc, out);
    }
    match layout.mr {
        6 => panels::<6>(rows, row, kc, out),
        12 => panels::<12>(rows, row, kc, out),
        mr => panels_strided(mr, rows, row, kc, out),
    }
}

/// [`rows`] for a tile of `MR` rows: each step's `MR` values written side by
/// side (one pass over the panel, every row read front to back), not row by
/// row at a stride of `MR` (6 % of the f32 tower went to that). bf16 rows
/// are rounded into pairs first, a row at a time (a loop that vectorises).
fn panels<'a, const MR: usize>(rows: usize, row: impl Fn(usize) -> &'a [f32], kc: usize, out: &mut Values) {
    let panels = rows.div_ceil(MR);
    match out {
        Values::F32(out) => {
            for (panel, out) in out.chunks_exact_mut(kc * MR).take(panels).enumerate() {
                transpose::<MR, f32>(std::array::from_fn(|r| &row(panel * MR + r)[..kc]), kc, out);
            }
        }
        Values::Bf16(out) => {
            let steps = kc.div_ceil(2);
            let mut pairs = vec![0u32; MR * steps];
            for (panel, out) in out.chunks_exact_mut(steps * MR).take(panels).enumerate() {
                for (r, pairs) in pairs.chunks_exact_mut(steps).enumerate() {
                    bf16_pairs(row(panel * MR + r), pairs);
                }
                transpose::<MR, u32>(std::array::from_fn(|r| &pairs[r * steps..][..steps]), steps, out);
            }
        }
        Values::I16(out) => {
            let steps = kc.div_ceil(2);
            let mut pairs = vec![0u32; MR * steps];
            let chunks = out.pairs.chunks_exact_mut(steps * MR).zip(out.scales.chunks_exact_mut(MR));
            for (panel, (out, scales)) in chunks.take(panels).enumerate() {
                for (r, (pairs, scale)) in pairs.chunks_exact_mut(steps).zip(scales.iter_mut()).enumerate() {
                    *scale = int16::quantize(row(panel * MR + r), int16::ACTIVATION_LIMIT, pairs);
                }
                transpose::<MR, u32>(std::array::from_fn(|r| &pairs[r * steps..][..steps]), steps, out);
            }
        }
    }
}

/// `out[s·MR + r] = rows[r][s]` for `s < steps`.
#[inline(always)]
fn transpose<const MR: usize, T: Copy>(rows: [&[T]; MR], steps: usize, out: &mut [T]) {
    let rows = rows.map(|row| &row[..steps]);
    for (s, out) in out.chunks_exact_mut(MR).take(steps).enumerate() {
        for (out, row) in out.iter_mut().zip(&rows) {
            *out = row[s];
        }
    }
}

/// [`rows`] in AMX's order: each panel's rows one after another, each row
/// `layout.steps(kc)` pairs long, zeros past `kc`.
fn row_after_row<'a>(
    layout: Layout,
    rows: usize,
    row: impl Fn(usize) -> &'a [f32],
    kc: usize,
    out: &mut Values,
) {
    let Values::Bf16(out) = out else { unreachable!("AMX multiplies bf16 pairs") };
    let (steps, pairs) = (layout.steps(kc), kc.div_ceil(2));
    let panels = rows.div_ceil(layout.mr);
    for (r, out) in out.chunks_exact_mut(steps).take(panels * layout.mr).enumerate() {
        let (values, padding) = out.split_at_mut(pairs);
        bf16_pairs(row(r), values);
        padding.fill(0);
    }
}

/// [`rows`] for any tile height, row by row.
fn panels_strided<'a>(mr: usize, rows: usize, row: impl Fn(usize) -> &'a [f32], kc: usize, out: &mut Values) {
    let panels = rows.div_ceil(mr);
    match out {
        Values::F32(out) => {
            for (panel, out) in out.chunks_exact_mut(kc * mr).take(panels).enumerate() {
                (0..mr).for_each(|r| strided(row(panel * mr + r), r, mr, out));
            }
        }
        Values::Bf16(out) => {
            let mut pairs = vec![0u32; kc.div_ceil(2)];
            for (panel, out) in out.chunks_exact_mut(pairs.len() * mr).take(panels).enumerate() {
                for r in 0..mr {
                    bf16_pairs(row(panel * mr + r), &mut pairs);
                    strided(&pairs, r, mr, out);
                }
            }
        }
        Values::I16(out) => {
            let mut pairs = vec![0u32; kc.div_ceil(2)];
            let chunks = out.pairs.chunks_exact_mut(pairs.len() * mr).zip(out.scales.chunks_exact_mut(mr));
            for (panel, (out, scales)) in chunks.take(panels).enumerate() {
                for (r, scale) in scales.iter_mut().enumerate() {
                    *scale = int16::quantize(row(panel * mr + r), int16::ACTIVATION_LIMIT, &mut pairs);
                    strided(&pairs, r, mr, out);
                }
            }
        }
    }
}

/// `out[offset + s·stride] = values[s]` for every step `s` of `out`, zero
/// past the end of `values`.
fn strided<T: Copy + Default>(values: &[T], offset: usize, stride: usize, out: &mut [T]) {
    let mut values = values.iter();
    for v in out.iter_mut().skip(offset).step_by(stride) {
        *v = values.next().copied().unwrap_or_default();
    }
}

/// `values` rounded to bf16 and paired: `pairs[q]` = `values[2q]` in the low
/// half, `values[2q + 1]` (or 0) in the high half. 16 lanes wide where the
/// CPU has AVX-512 (the build targets baseline x86-64): the rounding of every
/// activation was most of the bf16 packing.
pub(super) fn bf16_pairs(values: &[f32], pairs: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx512() {
        // SAFETY: `bf16_pairs_avx512` only needs AVX-512F, which the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { bf16_pairs_avx512(values, pairs) };
    }
    bf16_pairs_with(values, pairs);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn bf16_pairs_avx512(values: &[f32], pairs: &mut [u32]) {
    bf16_pairs_with(values, pairs);
}

#[inline(always)]
fn bf16_pairs_with(values: &[f32], pairs: &mut [u32]) {
    debug_assert_eq!(pairs.len(), values.len().div_ceil(2));
    let (whole, last) = values.split_at(values.len() & !1);
    for (pair, two) in pairs.iter_mut().zip(whole.chunks_exact(2)) {
        *pair = bf16_pair(two[0], two[1]);
    }
    if let (Some(&x), Some(pair)) = (last.first(), pairs.last_mut()) {
        *pair = u32::from(bf16_bits(x));
    }
}

/// `even` and `odd` rounded to bf16, in the low and high half.
#[inline(always)]
fn bf16_pair(even: f32, odd: f32) -> u32 {
    u32::from(bf16_bits(even)) | u32::from(bf16_bits(odd)) << 16
}

/// `x` rounded to the nearest bf16 (ties to even), as its bits; NaN stays NaN.
#[inline(always)]
pub(super) fn bf16_bits(x: f32) -> u16 {
    let bits = x.to_bits();
    let rounded = bits.wrapping_add(0x7FFF + ((bits >> 16) & 1));
    if x.is_nan() { ((bits >> 16) | 0x40) as u16 } else { (rounded >> 16) as u16 }
}

/// The f32 a bf16's bits stand for.
pub(super) fn bf16_value(bits: u16) -> f32 {
    f32::from_bits(u32::from(bits) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_height_paths_pack_as_the_row_by_row_path() {
        // Odd kc (a half bf16 pair), a last panel of few rows, an offset p0.
        let (k, p0, kc) = (301, 40, 255);
        for mr in [6, 12] {
            for rows in [1, mr, 2 * mr + 5] {
                let block: Vec<f32> = (0..rows * k).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
                for numbers in [Numbers::F32, Numbers::Bf16, Numbers::I16] {
                    let layout = Layout { mr, nr: 16, numbers, amx: false };
                    let len = rows.div_ceil(mr) * mr * layout.steps(kc);
                    let empty = || match numbers {
                        Numbers::F32 => Values::F32(vec![7.0; len]),
                        Numbers::Bf16 => Values::Bf16(vec![7; len]),
                        Numbers::I16 => {
                            Values::I16(Quantized { pairs: vec![7; len], scales: vec![7.0; len] })
                        }
                    };
                    let (mut fast, mut plain) = (empty(), empty());
                    super::rows(layout, &block, k, p0, kc, &mut fast);
                    let zeros = vec![0f32; kc];
                    let row = |r: usize| if r < rows { &block[r * k + p0..][..kc] } else { zeros.as_slice() };
                    panels_strided(mr, rows, row, kc, &mut plain);
                    match (fast, plain) {
                        (Values::F32(a), Values::F32(b)) => assert_eq!(a, b, "f32, {mr} × {rows}"),
                        (Values::Bf16(a), Values::Bf16(b)) => assert_eq!(a, b, "bf16, {mr} × {rows}"),
                        (Values::I16(a), Values::I16(b)) => {
                            assert_eq!(a.pairs, b.pairs, "i16, {mr} × {rows}");
                            assert_eq!(a.scales, b.scales, "i16 scales, {mr} × {rows}");
                        }
                        _ => unreachable!("same kind"),
                    }
                }
            }
        }
    }
}
