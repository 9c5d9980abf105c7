//! The image tower's first step: each `patch × patch` square of pixels, in
//! all three channels, times the patch-embedding weights.
//!
//! In the checkpoint it is a convolution with stride = kernel. candle runs it
//! as an unfold (im2col) and a matmul: 3 ms of the tower's ~70 per image.
//! Once the tower's weights are packed ([`PatchEmbedding::pack`]) the
//! squares are copied out row by row and multiplied by the packed path
//! instead, the convolution's weights read as a (hidden, 3·patch²) matrix.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, Linear, VarBuilder};

use crate::dense::Dense;
use crate::gemm::Kernel;

/// The patch embedding: convolution weights, and their packed matrix once packed.
pub struct PatchEmbedding {
    conv: Conv2d,
    patch: usize,
    packed: Option<Dense>,
}

impl PatchEmbedding {
    /// `channels` → `hidden`, `patch × patch` squares, no bias (as CLIP's).
    pub fn new(channels: usize, hidden: usize, patch: usize, vb: VarBuilder) -> Result<Self> {
        let config = Conv2dConfig { stride: patch, ..Default::default() };
        let conv = candle_nn::conv2d_no_bias(channels, hidden, patch, config, vb)?;
        Ok(Self { conv, patch, packed: None })
    }

    /// Multiplies on `kernel` from now on (see [`crate::gemm`]).
    pub fn pack(&mut self, kernel: Kernel) -> Result<()> {
        if self.packed.is_none() {
            let weight = self.conv.weight();
            let hidden = weight.dim(0)?;
            let matrix = weight.reshape((hidden, ()))?.contiguous()?;
            self.packed = Some(Dense::from_linear(Linear::new(matrix, None))?);
        }
        self.packed.as_mut().map_or(Ok(()), |dense| dense.pack(kernel))
    }

    /// `pixels`: (batch, channels, H, W) → (batch, patches, hidden), patches
    /// in row-major order of the grid (as the convolution's flattened output).
    pub fn forward(&self, pixels: &Tensor) -> Result<Tensor> {
        let Some(dense) = &self.packed else {
            return self.conv.forward(pixels)?.flatten_from(2)?.transpose(1, 2);
        };
        let (batch, channels, height, width) = pixels.dims4()?;
        let values = pixels.flatten_all()?.to_vec1::<f32>()?;
        let rows = squares(&values, [batch, channels, height, width], self.patch);
        let count = (height / self.patch) * (width / self.patch);
        let rows =
            Tensor::from_vec(rows, (batch, count, channels * self.patch * self.patch), pixels.device())?;
        dense.forward(&rows)
    }
}

/// Every `patch × patch` square of `pixels` (`[batch, channels, height,
/// width]`, row-major) as one row of `channels · patch²` values, ordered
/// channel, then square row, then column (the convolution weights' order);
/// squares in row-major grid order, image by image. Partial squares at the
/// right and bottom edges are dropped, as the convolution drops them.
fn squares(pixels: &[f32], [batch, channels, height, width]: [usize; 4], patch: usize) -> Vec<f32> {
    let (grid_h, grid_w) = (height / patch, width / patch);
    let row_len = channels * patch * patch;
    let mut out = Vec::with_capacity(batch * grid_h * grid_w * row_len);
    for b in 0..batch {
        for gy in 0..grid_h {
            for gx in 0..grid_w {
                for c in 0..channels {
                    let plane = (b * channels + c) * height * width;
                    for y in gy * patch..(gy + 1) * patch {
                        let at = plane + y * width + gx * patch;
                        out.extend_from_slice(&pixels[at..at + patch]);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    #[test]
    fn packed_squares_equal_the_convolution() {
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        // The same weights each time: the map keeps the first ones made.
        let embedding = || PatchEmbedding::new(3, 40, 8, vb.clone()).expect("embedding");
        // Not a multiple of the patch: the convolution drops the edges.
        let pixels = Tensor::randn(0f32, 1f32, (2, 3, 35, 27), &Device::Cpu).expect("pixels");
        let convolved = embedding().forward(&pixels).expect("conv");
        for kernel in Kernel::available() {
            let mut embedding = embedding();
            embedding.pack(kernel).expect("packs");
            let packed = embedding.forward(&pixels).expect("packed");
            assert_eq!(packed.dims(), convolved.dims());
            let diff = (&packed - &convolved).and_then(|d| d.abs()?.max_all()?.to_scalar::<f32>());
            // bf16 keeps 8 significant bits of each pixel and weight, i16 11-12 bits of the largest.
            let bar = if kernel.is_reduced() { 3e-2 } else { 1e-4 };
            assert!(diff.expect("diff") < bar, "{kernel:?}");
        }
    }
}
