//! i16 products with i32 sums: each row of activations (per cache block)
//! and each column of weights scaled to whole numbers, multiplied exactly
//! in integers, and the sum scaled back once per output.
//!
//! Why: AVX2's `vpmaddwd` multiplies 16 pairs of i16 and adds each pair
//! into an i32, 16 multiply-adds per instruction against an f32 FMA's 8; on
//! a CPU that issues two a cycle (Zen 3: 2026-12-04, `docs/PERFORMANCE.md`)
//! that is twice the f32 units' multiply-adds. Unlike 8-bit products
//! (`vpmaddubsw`, which saturates its pair sums in i16), 11–12 bits a value
//! keep about bf16's precision: a value is off by at most half a step of
//! its row's largest value / 2047 (activations) or its column's / 1023
//! (weights), and every product and sum after that is exact.
//!
//! The limits keep every sum inside i32: a kernel call sums at most
//! [`KC`](super::driver::KC) inputs of products of at most
//! `ACTIVATION_LIMIT · WEIGHT_LIMIT` (asserted at compile time below).

/// Activations are scaled into ±2047 (12 bits), per row and cache block.
pub(super) const ACTIVATION_LIMIT: i16 = 2047;
/// Weights into ±1023 (11 bits), per output column.
pub(super) const WEIGHT_LIMIT: i16 = 1023;

const _: () = assert!(
    (super::driver::KC as i64) * (ACTIVATION_LIMIT as i64) * (WEIGHT_LIMIT as i64) <= i32::MAX as i64,
    "a cache block's sum of products fits in i32"
);

/// Packed i16 pairs and one scale per row (activations) or column
/// (weights): value ≈ `scale · q`.
#[derive(Clone)]
pub(super) struct Quantized {
    pub pairs: Vec<u32>,
    pub scales: Vec<f32>,
}

impl Quantized {
    pub(super) fn zeros(pairs: usize, scales: usize) -> Self {
        Self { pairs: vec![0; pairs], scales: vec![0.0; scales] }
    }
}

/// `values` as whole numbers within `±limit`, in pairs (`pairs[q]` holds
/// `values[2q]` in its low half and `values[2q + 1]`, or 0, in its high half,
/// as bf16's pairs), and the scale that gives them back: `values[i] ≈ scale ·
/// q[i]`, rounded to nearest (ties to even). All zeros give scale 0; so does
/// a row with a NaN or an infinity in it, whose products come out NaN
/// (`0 · ∞`), as in f32.
pub(super) fn quantize(values: &[f32], limit: i16, pairs: &mut [u32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if crate::isa::avx2() {
        // SAFETY: it needs AVX2 and FMA, which the CPU was just found to have.
        #[allow(unsafe_code)]
        return unsafe { super::avx2::quantize(values, limit, pairs) };
    }
    quantize_with(values, limit, pairs)
}

/// [`quantize`]'s arithmetic in plain Rust: for CPUs without AVX2, and the
/// reference the vector path is tested against (the compiler leaves its
/// rounding scalar).
#[inline(always)]
fn quantize_with(values: &[f32], limit: i16, pairs: &mut [u32]) -> f32 {
    debug_assert_eq!(pairs.len(), values.len().div_ceil(2));
    let largest = largest_magnitude(values);
    if largest == 0.0 || !largest.is_finite() {
        pairs.fill(0);
        return if largest == 0.0 { 0.0 } else { f32::NAN };
    }
    let limit = f32::from(limit);
    let (scale, inverse) = (largest / limit, limit / largest);
    round_into(values, inverse, limit, pairs);
    scale
}

/// `values · inverse`, rounded to nearest even within `±limit`, into pairs.
#[inline(always)]
pub(super) fn round_into(values: &[f32], inverse: f32, limit: f32, pairs: &mut [u32]) {
    let whole = |x: f32| u32::from((x * inverse).round_ties_even().clamp(-limit, limit) as i16 as u16);
    let (even, last) = values.split_at(values.len() & !1);
    for (pair, two) in pairs.iter_mut().zip(even.chunks_exact(2)) {
        *pair = whole(two[0]) | whole(two[1]) << 16;
    }
    if let (Some(&x), Some(pair)) = (last.first(), pairs.last_mut()) {
        *pair = whole(x);
    }
}

/// The largest `|value|`, in eight lanes (a loop the compiler vectorises);
/// infinity where there is an infinity, NaN where there is a NaN.
#[inline(always)]
fn largest_magnitude(values: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let mut nan = false;
    let chunks = values.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            let v = v.abs();
            nan |= v.is_nan();
            *lane = if v > *lane { v } else { *lane };
        }
    }
    for &v in tail {
        nan |= v.is_nan();
        lanes[0] = if v.abs() > lanes[0] { v.abs() } else { lanes[0] };
    }
    if nan { f32::NAN } else { lanes.into_iter().fold(0.0, f32::max) }
}

/// The i16 held in half `high` of `pair`.
pub(super) fn half(pair: u32, high: bool) -> i32 {
    i32::from((if high { pair >> 16 } else { pair }) as u16 as i16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpacked(pairs: &[u32], len: usize) -> Vec<i32> {
        (0..len).map(|i| half(pairs[i / 2], i % 2 == 1)).collect()
    }

    #[test]
    fn a_row_scales_to_its_largest_value_and_rounds_to_nearest() {
        let values = [1.0f32, -0.5, 0.25, 2.0, -2.0, 1e-6, 0.0];
        let mut pairs = vec![0u32; 4];
        let scale = quantize(&values, 1000, &mut pairs);
        assert_eq!(scale, 2.0 / 1000.0);
        assert_eq!(unpacked(&pairs, 7), [500, -250, 125, 1000, -1000, 0, 0]);
        assert_eq!(pairs[3] >> 16, 0, "the half past an odd row is zero");
        // Steps of 2 / 1024 (exact in binary): 1.25 steps -> 1, 1.5 -> 2 and
        // -2.5 -> -2 (ties to even).
        let step = 2.0 / 1024.0;
        let mut pairs = vec![0u32; 2];
        quantize(&[1.25 * step, 1.5 * step, 2.0, -2.5 * step], 1024, &mut pairs);
        assert_eq!(unpacked(&pairs, 4), [1, 2, 1024, -2]);
    }

    #[test]
    fn every_value_is_within_half_a_step_and_the_limit() {
        let values: Vec<f32> = (0..1001).map(|i| ((i as f32) * 0.731).sin() * 37.0).collect();
        let mut pairs = vec![0u32; 501];
        for limit in [ACTIVATION_LIMIT, WEIGHT_LIMIT] {
            let scale = quantize(&values, limit, &mut pairs);
            for (i, (&v, q)) in values.iter().zip(unpacked(&pairs, values.len())).enumerate() {
                assert!(q.abs() <= i32::from(limit), "value {i}: {q} past ±{limit}");
                assert!(
                    (v - scale * q as f32).abs() <= scale * 0.5 + 1e-5,
                    "value {i}: {v} as {q} · {scale}"
                );
            }
        }
    }

    #[test]
    fn the_vector_path_rounds_as_the_plain_one() {
        // Lengths around the 16-value and 8-value steps; ties and values at the largest.
        for len in [1, 2, 7, 8, 15, 16, 17, 31, 33, 768, 771] {
            let mut values: Vec<f32> = (0..len).map(|i| ((i as f32) * 1.37).sin() * 5.0 - 0.3).collect();
            values[len / 2] = -6.0;
            let (mut fast, mut plain) = (vec![0u32; len.div_ceil(2)], vec![7u32; len.div_ceil(2)]);
            let scale = quantize(&values, ACTIVATION_LIMIT, &mut fast);
            assert_eq!(scale, quantize_with(&values, ACTIVATION_LIMIT, &mut plain), "{len} values");
            assert_eq!(fast, plain, "{len} values");
        }
    }

    #[test]
    fn zeros_and_non_finite_rows_give_zero_pairs() {
        let mut pairs = vec![9u32; 2];
        assert_eq!(quantize(&[0.0; 3], 1023, &mut pairs), 0.0);
        assert_eq!(pairs, [0, 0]);
        assert!(quantize(&[1.0, f32::INFINITY, 2.0], 1023, &mut pairs).is_nan());
        assert!(quantize(&[1.0, 2.0, f32::NAN], 1023, &mut pairs).is_nan());
        assert_eq!(pairs, [0, 0]);
    }
}
