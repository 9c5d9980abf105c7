//! Scaled dot-product attention in one pass per image on the CPU.
//!
//! candle's path splits q, k and v into heads (three transposing copies),
//! runs two small batched matmuls of 50 × 64 × 50 per head, a mask add and
//! a softmax, and merges the heads back (a fourth copy): 4.2 ms of the
//! image tower's ~70 per image, for 1 % of its FLOPs. Here each image's
//! heads are read in place from the QKV product's (seq, 3·hidden) rows and the
//! result written in the merged layout, scores kept in one small buffer.

use candle_core::Tensor;
use rayon::prelude::*;

use crate::cpu_slice;
use crate::fused::{exp, lanes};

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
mod blocked;

/// The shape of one attention call.
#[derive(Clone, Copy)]
pub struct Heads {
    /// Tokens per image or text.
    pub seq: usize,
    /// Attention heads.
    pub heads: usize,
    /// Values per head.
    pub head_dim: usize,
    /// Applied to every score (`head_dim^-½`).
    pub scale: f32,
}

/// `softmax(q kᵀ · scale + mask) v` for every image and head, where `qkv`
/// is (batch·seq, 3·heads·head_dim) row-major, each row q, k and v side by
/// side (the one product that made them), and `mask`, when given, is added
/// to every (seq × seq) score matrix. Output: (batch·seq, heads·head_dim).
/// Images run in parallel.
pub fn attend(qkv: &[f32], mask: Option<&[f32]>, shape: Heads) -> Vec<f32> {
    let hidden = shape.heads * shape.head_dim;
    let per_image = shape.seq * hidden;
    assert!(qkv.len().is_multiple_of(3 * per_image.max(1)), "qkv is (batch·seq) × 3·hidden");
    if let Some(mask) = mask {
        assert_eq!(mask.len(), shape.seq * shape.seq, "the mask is seq × seq");
    }
    let mut out = vec![0f32; qkv.len() / 3];
    if per_image == 0 {
        return out;
    }
    out.par_chunks_mut(per_image).zip(qkv.par_chunks(3 * per_image)).for_each(|(out, qkv)| {
        one_image(qkv, mask, shape, out);
    });
    out
}

/// One image's q, k and v: rows of `3·hidden`, each starting at its own offset.
#[derive(Clone, Copy)]
struct Qkv<'a> {
    q: &'a [f32],
    k: &'a [f32],
    v: &'a [f32],
    /// Values from one row to the next.
    stride: usize,
}

impl<'a> Qkv<'a> {
    fn new(qkv: &'a [f32], hidden: usize) -> Self {
        Self { q: qkv, k: &qkv[hidden..], v: &qkv[2 * hidden..], stride: 3 * hidden }
    }
}

fn one_image(qkv: &[f32], mask: Option<&[f32]>, shape: Heads, out: &mut [f32]) {
    let qkv = Qkv::new(qkv, shape.heads * shape.head_dim);
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx512() {
        // SAFETY: `blocked::avx512` only needs AVX-512F, which the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { blocked::avx512(qkv, mask, shape, out) };
    }
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx2() {
        // SAFETY: `blocked::avx2` only needs AVX2 and FMA, which the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { blocked::avx2(qkv, mask, shape, out) };
    }
    one_image_with(qkv, mask, shape, out);
}

/// One image, head by head: kᵀ copied once per head so every score row is
/// a sum of `head_dim` scaled rows (vectorised along the keys), then each
/// output row a sum of `seq` scaled rows of v (vectorised along the head).
#[inline(always)]
fn one_image_with(qkv: Qkv, mask: Option<&[f32]>, shape: Heads, out: &mut [f32]) {
    let Heads { seq, heads, head_dim, scale } = shape;
    let Qkv { q, k, v, stride } = qkv;
    let hidden = heads * head_dim;
    let mut kt = vec![0f32; head_dim * seq];
    let mut scores = vec![0f32; seq];
    for h in 0..heads {
        let col = h * head_dim;
        for j in 0..seq {
            for (d, &x) in k[j * stride + col..][..head_dim].iter().enumerate() {
                kt[d * seq + j] = x;
            }
        }
        for i in 0..seq {
            scores.fill(0.0);
            for (&x, kt) in q[i * stride + col..][..head_dim].iter().zip(kt.chunks_exact(seq)) {
                scores.iter_mut().zip(kt).for_each(|(s, &k)| *s += x * k);
            }
            let row_mask = mask.map(|m| &m[i * seq..][..seq]);
            softmax(&mut scores, scale, row_mask);
            let out = &mut out[i * hidden + col..][..head_dim];
            for (j, &p) in scores.iter().enumerate() {
                out.iter_mut().zip(&v[j * stride + col..][..head_dim]).for_each(|(o, &v)| *o += p * v);
            }
        }
    }
}

/// `softmax(scores · scale + mask)` in place.
#[inline(always)]
fn softmax(scores: &mut [f32], scale: f32, mask: Option<&[f32]>) {
    match mask {
        Some(mask) => scores.iter_mut().zip(mask).for_each(|(s, &m)| *s = *s * scale + m),
        None => scores.iter_mut().for_each(|s| *s *= scale),
    }
    // In lanes: `f32::max`'s NaN rules and one serial chain of adds kept
    // both loops scalar (a fifth of the blocked attention's time).
    let max = lanes(scores, f32::NEG_INFINITY, |m, s| if s > m { s } else { m }, f32::max);
    scores.iter_mut().for_each(|s| *s = exp(*s - max));
    let sum = lanes(scores, 0.0, |a, s| a + s, |a, b| a + b);
    scores.iter_mut().for_each(|s| *s /= sum);
}

/// `attend` on a contiguous f32 CPU tensor of (batch, seq, 3·hidden); `None`
/// for any other tensor (other devices keep candle's path).
pub fn attend_tensors(qkv: &Tensor, mask: Option<&Tensor>, shape: Heads) -> Option<Vec<f32>> {
    let mask = match mask {
        Some(mask) => Some(mask.flatten_all().ok()?.to_vec1::<f32>().ok()?),
        None => None,
    };
    let (storage, layout) = qkv.storage_and_layout();
    Some(attend(cpu_slice(&storage, layout)?, mask.as_deref(), shape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// candle's own ops, as the model ran them before.
    fn candle_attention(q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>, shape: Heads) -> Tensor {
        let (batch, seq, hidden) = q.dims3().expect("dims");
        let split = |t: &Tensor| {
            t.reshape((batch, seq, shape.heads, shape.head_dim)).and_then(|t| t.transpose(1, 2)?.contiguous())
        };
        let (q, k, v) = (split(q).expect("q"), split(k).expect("k"), split(v).expect("v"));
        let scores = (q.matmul(&k.t().expect("t")).expect("qk") * f64::from(shape.scale)).expect("scale");
        let scores = match mask {
            Some(mask) => scores.broadcast_add(mask).expect("mask"),
            None => scores,
        };
        let weights = candle_nn::ops::softmax_last_dim(&scores).expect("softmax");
        let out = weights.matmul(&v).expect("pv").transpose(1, 2).expect("t");
        out.reshape((batch, seq, hidden)).expect("merge")
    }

    #[test]
    fn one_pass_attention_equals_candles_with_and_without_a_causal_mask() {
        let shape = Heads { seq: 13, heads: 3, head_dim: 20, scale: 20f32.powf(-0.5) };
        let dims = (4, shape.seq, shape.heads * shape.head_dim);
        let [q, k, v] = [1.0, 2.0, 3.0].map(|s| Tensor::randn(0f32, s, dims, &Device::Cpu).expect("randn"));
        let causal: Vec<f32> = (0..shape.seq)
            .flat_map(|i| (0..shape.seq).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        let causal = Tensor::from_vec(causal, (shape.seq, shape.seq), &Device::Cpu).expect("mask");
        for mask in [None, Some(&causal)] {
            let qkv = Tensor::cat(&[&q, &k, &v], 2).expect("qkv");
            let ours = attend_tensors(&qkv, mask, shape).expect("cpu f32");
            let ours = Tensor::from_vec(ours, dims, &Device::Cpu).expect("ours");
            let diff = (ours - candle_attention(&q, &k, &v, mask, shape)).expect("sub");
            let diff = diff.abs().and_then(|d| d.max_all()?.to_scalar::<f32>()).expect("max");
            assert!(diff < 1e-5, "masked {}: {diff}", mask.is_some());
        }
    }

    #[test]
    fn the_row_path_and_the_blocked_paths_agree() {
        // Shapes across the row and lane blocks of both widths, with and without a mask.
        for (seq, heads, head_dim) in [(13, 3, 20), (50, 2, 64), (77, 1, 70), (1, 1, 1), (7, 2, 16)] {
            let shape = Heads { seq, heads, head_dim, scale: (head_dim as f32).powf(-0.5) };
            let n = seq * heads * head_dim;
            let qkv: Vec<f32> =
                (0..3 * n).map(|i| ((i as u64 * 2654435761 + 40503) % 1000) as f32 / 500.0 - 1.0).collect();
            let qkv = Qkv::new(&qkv, heads * head_dim);
            let causal: Vec<f32> =
                (0..seq * seq).map(|at| if at % seq > at / seq { f32::NEG_INFINITY } else { 0.0 }).collect();
            for mask in [None, Some(causal.as_slice())] {
                let mut row = vec![0f32; n];
                one_image_with(qkv, mask, shape, &mut row);
                assert!(row.iter().all(|x| x.is_finite()));
                #[cfg(target_arch = "x86_64")]
                {
                    type Path = unsafe fn(Qkv, Option<&[f32]>, Heads, &mut [f32]);
                    let paths: [(&str, bool, Path); 2] = [
                        ("avx2", crate::isa::avx2(), blocked::avx2),
                        ("avx512", crate::isa::avx512(), blocked::avx512),
                    ];
                    for (name, _, path) in paths.into_iter().filter(|(_, runs, _)| *runs) {
                        let mut blocked = vec![0f32; n];
                        // SAFETY: the CPU has the path's features (checked just above).
                        #[allow(unsafe_code)]
                        unsafe {
                            path(qkv, mask, shape, &mut blocked)
                        };
                        let worst = row.iter().zip(&blocked).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                        assert!(
                            worst < 1e-5,
                            "{name} {seq}×{heads}×{head_dim}, masked {}: {worst}",
                            mask.is_some()
                        );
                    }
                }
            }
        }
    }
}
