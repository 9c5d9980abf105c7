//! A linear layer that is fast for a handful of rows too.
//!
//! candle's `Linear` hands every product to gemm, which first repacks the
//! whole weight matrix: fine for an image batch (hundreds of rows share the
//! repacking), ruinous for a text query of a few tokens, where the repacking
//! is most of the work (the text tower took 45 ms for one query on 2 cores).
//! With few rows, each output is instead a dot product of two contiguous
//! rows, reading the weights once, straight from the tensor's own storage.

use candle_core::{CpuStorage, Module, Result, Storage, Tensor};
use candle_nn::{Linear, VarBuilder};
use rayon::prelude::*;

/// Up to this many rows take the dot-product path.
const SMALL_ROWS: usize = 32;

/// Output features per parallel task.
const BLOCK: usize = 64;

/// `y = x Wᵀ + b`, like `candle_nn::Linear`.
pub struct Dense {
    linear: Linear,
    bias: Option<Vec<f32>>,
}

impl Dense {
    /// `in_dim` → `out_dim`, with a bias (named as `candle_nn::linear` names them).
    pub fn new(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        Self::from_linear(candle_nn::linear(in_dim, out_dim, vb)?)
    }

    /// `in_dim` → `out_dim`, without a bias.
    pub fn no_bias(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        Self::from_linear(candle_nn::linear_no_bias(in_dim, out_dim, vb)?)
    }

    fn from_linear(linear: Linear) -> Result<Self> {
        let bias = linear.bias().map(Tensor::to_vec1::<f32>).transpose()?;
        Ok(Self { linear, bias })
    }

    /// The dot-product path, when the weights are contiguous f32 on the CPU.
    fn forward_small(&self, xs: &Tensor, rows: usize) -> Result<Option<Tensor>> {
        let weight = self.linear.weight();
        let (out_dim, in_dim) = weight.dims2()?;
        let (storage, layout) = weight.storage_and_layout();
        let (Storage::Cpu(CpuStorage::F32(data)), Some((start, end))) =
            (&*storage, layout.contiguous_offsets())
        else {
            return Ok(None);
        };
        let weights = &data[start..end];
        let x = xs.flatten_all()?.to_vec1::<f32>()?;
        let mut y = vec![0f32; rows * out_dim];
        // Column blocks in parallel: y is row-major (rows, out_dim), so each
        // task writes its own columns of every row through a transposed buffer.
        let blocks: Vec<Vec<f32>> = weights
            .par_chunks(BLOCK * in_dim)
            .enumerate()
            .map(|(b, w_block)| {
                let mut out = Vec::with_capacity(rows * w_block.len() / in_dim);
                for (j, w_row) in w_block.chunks_exact(in_dim).enumerate() {
                    let bias = self.bias.as_ref().map_or(0.0, |b_vec| b_vec[b * BLOCK + j]);
                    for x_row in x.chunks_exact(in_dim) {
                        out.push(dot(x_row, w_row) + bias);
                    }
                }
                out
            })
            .collect();
        for (b, block) in blocks.iter().enumerate() {
            for (j, column) in block.chunks_exact(rows).enumerate() {
                for (i, value) in column.iter().enumerate() {
                    y[i * out_dim + b * BLOCK + j] = *value;
                }
            }
        }
        let mut shape = xs.dims().to_vec();
        if let Some(last) = shape.last_mut() {
            *last = out_dim;
        }
        Ok(Some(Tensor::from_vec(y, shape, xs.device())?))
    }
}

/// A dot product the compiler vectorises: 8 independent accumulators.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

impl Module for Dense {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let rows = xs.elem_count() / xs.dim(xs.rank().saturating_sub(1))?.max(1);
        if rows <= SMALL_ROWS
            && xs.dtype() == candle_core::DType::F32
            && let Some(out) = self.forward_small(xs, rows)?
        {
            return Ok(out);
        }
        self.linear.forward(xs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn the_small_path_equals_candles_linear() {
        let w = Tensor::randn(0f32, 1f32, (130, 70), &Device::Cpu).expect("w");
        let b = Tensor::randn(0f32, 1f32, 130, &Device::Cpu).expect("b");
        let dense = Dense::from_linear(Linear::new(w, Some(b))).expect("dense");
        for rows in [1, 5, 32, 33] {
            let x = Tensor::randn(0f32, 1f32, (1, rows, 70), &Device::Cpu).expect("x");
            let ours = dense.forward(&x).expect("ours");
            let candle = dense.linear.forward(&x).expect("candle");
            assert_eq!(ours.dims(), candle.dims());
            let diff = (ours - candle).expect("sub").abs().expect("abs").max_all().expect("max");
            assert!(diff.to_scalar::<f32>().expect("scalar") < 1e-4, "{rows} rows");
        }
    }
}
