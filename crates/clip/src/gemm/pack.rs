//! The two packed layouts the micro-kernel reads: weights once at load,
//! activations per cache block.

use super::{MR, NR};

/// A linear layer's weights (`out_dim × in_dim`, PyTorch's layout) in panels
/// of [`NR`] output columns: panel `j` holds, for each input index `p` in
/// order, the weights of columns `j·NR .. j·NR + NR` (zeros past `out_dim`),
/// so the kernel reads each panel front to back.
pub struct PackedWeights {
    in_dim: usize,
    out_dim: usize,
    data: Vec<f32>,
    bias: Option<Vec<f32>>,
}

impl PackedWeights {
    /// Packs `weight` (`out_dim × in_dim`, row-major) and its bias.
    pub fn new(weight: &[f32], out_dim: usize, in_dim: usize, bias: Option<Vec<f32>>) -> Self {
        assert_eq!(weight.len(), out_dim * in_dim, "weight is out_dim × in_dim");
        if let Some(bias) = &bias {
            assert_eq!(bias.len(), out_dim, "one bias per output");
        }
        let panels = out_dim.div_ceil(NR);
        let mut data = vec![0f32; panels * in_dim * NR];
        for (panel, out) in data.chunks_exact_mut(in_dim * NR.max(1)).enumerate() {
            for c in 0..NR.min(out_dim - panel * NR) {
                let row = &weight[(panel * NR + c) * in_dim..][..in_dim];
                for (p, &w) in row.iter().enumerate() {
                    out[p * NR + c] = w;
                }
            }
        }
        Self { in_dim, out_dim, data, bias }
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

    /// Inputs `p0 .. p0 + kc` of weight panel `panel`: `kc × NR`.
    pub(super) fn panel(&self, panel: usize, p0: usize, kc: usize) -> &[f32] {
        &self.data[(panel * self.in_dim + p0) * NR..][..kc * NR]
    }
}

/// Packs inputs `p0 .. p0 + kc` of `block`'s rows (each `k` long) into
/// `out` as row panels of [`MR`]: panel `i` holds, for each input in order,
/// rows `i·MR .. i·MR + MR` (zeros past the block's last row).
pub(super) fn rows(block: &[f32], k: usize, p0: usize, kc: usize, out: &mut [f32]) {
    let rows = block.len() / k;
    for (panel, out) in out.chunks_exact_mut(kc * MR).take(rows.div_ceil(MR)).enumerate() {
        let valid = MR.min(rows - panel * MR);
        for r in 0..MR {
            if r >= valid {
                out.iter_mut().skip(r).step_by(MR).for_each(|v| *v = 0.0);
                continue;
            }
            let row = &block[(panel * MR + r) * k + p0..][..kc];
            for (v, &x) in out.iter_mut().skip(r).step_by(MR).zip(row) {
                *v = x;
            }
        }
    }
}
