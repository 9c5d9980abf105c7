use super::*;

/// A deterministic pseudo-random f32 in [-1, 1).
fn noise(seed: u64, len: usize) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// `x Wᵀ + b` in f64, one dot product at a time.
fn reference(x: &[f32], w: &[f32], bias: Option<&[f32]>, rows: usize, k: usize, n: usize) -> Vec<f64> {
    let mut y = Vec::with_capacity(rows * n);
    for i in 0..rows {
        for j in 0..n {
            let dot: f64 = (0..k).map(|p| f64::from(x[i * k + p]) * f64::from(w[j * k + p])).sum();
            y.push(dot + bias.map_or(0.0, |b| f64::from(b[j])));
        }
    }
    y
}

fn check(kernel: Kernel, rows: usize, k: usize, n: usize, with_bias: bool) {
    let x = noise(1 + rows as u64, rows * k);
    let w = noise(2 + k as u64, n * k);
    let bias = with_bias.then(|| noise(3 + n as u64, n));
    let expected = reference(&x, &w, bias.as_deref(), rows, k, n);
    let packed = PackedWeights::new(&w, n, k, bias);
    let y = linear(kernel, &x, rows, &packed);
    assert_eq!(y.len(), rows * n);
    // Sums of k products of values in [-1, 1]: f32 rounding grows like √k.
    let tolerance = 1e-5 * (k as f64).sqrt().max(1.0) * 4.0;
    for (at, (&got, &want)) in y.iter().zip(&expected).enumerate() {
        let (i, j) = (at / n.max(1), at % n.max(1));
        assert!(
            (f64::from(got) - want).abs() <= tolerance,
            "{kernel:?} {rows}×{k}·{k}×{n}: y[{i}][{j}] = {got}, want {want}"
        );
    }
}

#[test]
fn every_kernel_equals_the_f64_reference_on_edges_and_blocks() {
    // Rows not a multiple of MR or of a task, columns not a multiple of NR,
    // k below, at and across the KC block, rows across the MC block.
    let shapes = [
        (1, 1, 1),
        (1, 7, 16),
        (5, 3, 17),
        (6, 256, 16),
        (7, 257, 40),
        (13, 600, 33),
        (50, 64, 96),
        (150, 300, 48),
        (301, 513, 35),
    ];
    for kernel in Kernel::available() {
        for (rows, k, n) in shapes {
            check(kernel, rows, k, n, true);
            check(kernel, rows, k, n, false);
        }
    }
}

#[test]
fn no_rows_give_no_output() {
    let packed = PackedWeights::new(&noise(4, 32 * 8), 32, 8, None);
    for kernel in Kernel::available() {
        assert!(linear(kernel, &[], 0, &packed).is_empty());
    }
}

#[test]
fn the_fast_kernels_match_the_portable_one_bit_for_bit_in_order_of_sums() {
    // Same order of multiply-adds (one FMA per input, in order): the AVX2
    // kernel is the portable one, vectorised, so results agree exactly.
    let (rows, k, n) = (20, 300, 40);
    let packed = PackedWeights::new(&noise(5, n * k), n, k, Some(noise(6, n)));
    let x = noise(7, rows * k);
    let portable = linear(Kernel::Portable, &x, rows, &packed);
    for kernel in Kernel::available() {
        assert_eq!(linear(kernel, &x, rows, &packed), portable, "{kernel:?}");
    }
}

#[test]
fn detect_keeps_candle_where_it_is_faster() {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma");
        let avx512 = std::arch::is_x86_feature_detected!("avx512f");
        assert_eq!(Kernel::detect(), (avx2 && !avx512).then_some(Kernel::Avx2));
    }
    #[cfg(not(target_arch = "x86_64"))]
    assert_eq!(Kernel::detect(), None);
}

#[test]
fn the_fused_step_sees_every_finished_output_once() {
    let (rows, k, n) = (301, 513, 35);
    let packed = PackedWeights::new(&noise(8, n * k), n, k, Some(noise(9, n)));
    let x = noise(10, rows * k);
    for kernel in Kernel::available() {
        let plain = linear(kernel, &x, rows, &packed);
        let doubled =
            linear_then(kernel, &x, rows, &packed, &|block| block.iter_mut().for_each(|v| *v *= 2.0));
        let expected: Vec<f32> = plain.iter().map(|v| v * 2.0).collect();
        assert_eq!(doubled, expected, "{kernel:?}");
    }
}
