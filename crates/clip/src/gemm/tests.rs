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

/// `values` as the bf16 kernels see them (rounded to nearest, ties to even).
fn rounded(values: &[f32]) -> Vec<f32> {
    values.iter().map(|&v| pack::bf16_value(pack::bf16_bits(v))).collect()
}

/// `values` (rows of `k`) as the i16 kernels see them: each row's inputs
/// of each `block` scaled within `±limit` and rounded, then scaled back.
fn quantized(values: &[f32], k: usize, block: usize, limit: i16) -> Vec<f32> {
    let mut out = Vec::with_capacity(values.len());
    for part in values.chunks(k.max(1)).flat_map(|row| row.chunks(block)) {
        let mut pairs = vec![0u32; part.len().div_ceil(2)];
        let scale = int16::quantize(part, limit, &mut pairs);
        out.extend((0..part.len()).map(|i| scale * int16::half(pairs[i / 2], i % 2 == 1) as f32));
    }
    out
}

fn check(kernel: Kernel, rows: usize, k: usize, n: usize, with_bias: bool) {
    let x = noise(1 + rows as u64, rows * k);
    let w = noise(2 + k as u64, n * k);
    let bias = with_bias.then(|| noise(3 + n as u64, n));
    // The bf16 kernels multiply rounded inputs exactly and sum in f32; the
    // i16 ones multiply and sum quantized inputs exactly, per cache block.
    let expected = match kernel.layout().numbers {
        Numbers::F32 => reference(&x, &w, bias.as_deref(), rows, k, n),
        Numbers::Bf16 => reference(&rounded(&x), &rounded(&w), bias.as_deref(), rows, k, n),
        Numbers::I16 => {
            let x = quantized(&x, k, driver::KC, int16::ACTIVATION_LIMIT);
            let w = quantized(&w, k, k.max(1), int16::WEIGHT_LIMIT);
            reference(&x, &w, bias.as_deref(), rows, k, n)
        }
    };
    let packed = PackedWeights::new(kernel.layout(), &w, n, k, bias);
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
        (6, 768, 16),
        (7, 769, 40),
        (13, 1600, 33),
        (50, 64, 96),
        (150, 300, 48),
        (301, 513, 35),
        (401, 813, 35),
        // Past MC per task on two threads even where L2 is 4 MiB (AMX: 1344 rows a block).
        (2900, 200, 40),
    ];
    for kernel in Kernel::available() {
        for (rows, k, n) in shapes {
            check(kernel, rows, k, n, true);
            check(kernel, rows, k, n, false);
        }
    }
}

#[test]
fn i16_sums_at_the_limits_over_a_whole_block_stay_exact() {
    // Every activation and weight at its row's (column's) largest: each
    // product is ACTIVATION_LIMIT · WEIGHT_LIMIT, and a block of KC of them
    // is the largest sum the limits allow. An i32 that overflowed would wrap
    // (and panic in the portable kernel's debug build).
    let (rows, k, n) = (7, driver::KC, 17);
    let x: Vec<f32> = (0..rows * k).map(|i| if i % 3 == 0 { -1.5 } else { 1.5 }).collect();
    let w: Vec<f32> = (0..n * k).map(|i| if i % 3 == 0 { -0.25 } else { 0.25 }).collect();
    let expected = reference(&x, &w, None, rows, k, n);
    for kernel in Kernel::available().into_iter().filter(|k| k.layout().numbers == Numbers::I16) {
        let y = linear(kernel, &x, rows, &PackedWeights::new(kernel.layout(), &w, n, k, None));
        for (at, (&got, &want)) in y.iter().zip(&expected).enumerate() {
            assert!(
                (f64::from(got) - want).abs() <= want.abs() * 1e-6,
                "{kernel:?} y[{at}] = {got}, want {want}"
            );
        }
    }
}

#[test]
fn no_rows_give_no_output() {
    for kernel in Kernel::available() {
        let packed = PackedWeights::new(kernel.layout(), &noise(4, 32 * 8), 32, 8, None);
        assert!(linear(kernel, &[], 0, &packed).is_empty());
    }
}

/// `x Wᵀ + b` on `kernel`, fixed noise for `x` (`rows × k`), `W` (`n × k`) and `b`.
fn product_with_bias(kernel: Kernel, rows: usize, k: usize, n: usize) -> Vec<f32> {
    let (w, bias, x) = (noise(5, n * k), noise(6, n), noise(7, rows * k));
    linear(kernel, &x, rows, &PackedWeights::new(kernel.layout(), &w, n, k, Some(bias)))
}

#[test]
fn the_fast_kernels_match_the_portable_ones_bit_for_bit_in_order_of_sums() {
    // Same order of multiply-adds (f32: one FMA per input, in order, whatever
    // the tile; bf16: vdpbf16ps's definition): the fast kernels are the
    // portable ones, vectorised, so results agree exactly.
    // i16: exact integer sums, then the same FMA per output.
    let product = |kernel| product_with_bias(kernel, 20, 900, 40);
    let (f32, bf16, i16) =
        (product(Kernel::Portable), product(Kernel::PortableBf16), product(Kernel::PortableI16));
    for kernel in Kernel::available().into_iter().filter(|k| !k.layout().amx) {
        let portable = match kernel.layout().numbers {
            Numbers::F32 => &f32,
            Numbers::Bf16 => &bf16,
            Numbers::I16 => &i16,
        };
        assert_eq!(&product(kernel), portable, "{kernel:?}");
    }
}

#[test]
fn an_output_rounds_alike_in_an_edge_tile_and_a_whole_one() {
    // Row 6 and columns 32..40 lie in whole tiles of one product and in edge
    // tiles of the other (6×16 and 12×32 tiles alike); every row and column
    // is scaled on its own, so their outputs must agree bit for bit, as the
    // kernels of other tiles must agree with the portable ones.
    let (k, wide) = (900, 48);
    let (x, w, bias) = (noise(13, 24 * k), noise(14, wide * k), noise(15, wide));
    for kernel in Kernel::available() {
        let product = |rows: usize, n: usize| {
            let packed = PackedWeights::new(kernel.layout(), &w[..n * k], n, k, Some(bias[..n].to_vec()));
            linear(kernel, &x[..rows * k], rows, &packed)
        };
        let (whole, edges) = (product(24, wide), product(7, 40));
        for (at, &got) in edges.iter().enumerate() {
            let (i, j) = (at / 40, at % 40);
            assert_eq!(got.to_bits(), whole[i * wide + j].to_bits(), "{kernel:?} y[{i}][{j}]");
        }
    }
}

#[test]
fn amx_on_the_tile_registers_matches_its_emulation() {
    // The AMX kernel adds into the output tile itself (the registers start
    // from it), so its sums are rounded in another order than the other bf16
    // kernels'; against its emulation only f32 rounding may differ (Intel
    // defines `tdpbf16ps`'s order, a chip may still sum otherwise).
    let product = |kernel| product_with_bias(kernel, 70, 520, 72);
    let emulated = product(Kernel::EmulatedAmx);
    let bf16 = product(Kernel::PortableBf16);
    let worst = |y: &[f32]| y.iter().zip(&emulated).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(worst(&bf16) < 1e-4, "the emulated AMX kernel is a bf16 product: {}", worst(&bf16));
    assert_ne!(bf16, emulated, "and sums in its own order");
    for kernel in Kernel::available().into_iter().filter(|k| k.layout().amx && !k.is_portable()) {
        let hardware = product(kernel);
        assert!(worst(&hardware) < 1e-4, "{kernel:?} against its emulation: {}", worst(&hardware));
    }
}

#[test]
fn detect_picks_the_widest_kernel_and_reduced_products_only_for_auto() {
    #[cfg(target_arch = "x86_64")]
    {
        let (avx2, avx512, bf16) = (crate::isa::avx2(), crate::isa::avx512(), crate::isa::avx512_bf16());
        let f32 = match (avx512, avx2) {
            (true, _) => Some(Kernel::Avx512),
            (false, true) => Some(Kernel::Avx2),
            _ => None,
        };
        let (avx_vnni, avx512_vnni) = (crate::isa::avx_vnni(), crate::isa::avx512_vnni());
        // The VNNI kernels only where they pass `auto`'s check: this test
        // fails where one is wrong on a CPU that has it.
        let auto = match (amx_granted(), bf16) {
            (true, _) => Some(Kernel::AmxBf16),
            (false, true) if bf16_dots_pay() => Some(Kernel::Avx512Bf16),
            (false, _) if avx512_vnni => Some(Kernel::Avx512I16),
            (false, _) if f32 == Some(Kernel::Avx2) && avx_vnni => Some(Kernel::AvxVnniI16),
            (false, _) if f32 == Some(Kernel::Avx2) && i16_dots_pay() => Some(Kernel::Avx2I16),
            (false, _) => f32,
        };
        assert_eq!(Kernel::detect(Precision::F32), f32);
        assert_eq!(Kernel::detect(Precision::Auto), auto);
    }
    #[cfg(not(target_arch = "x86_64"))]
    assert_eq!(Kernel::detect(Precision::Auto), None);
    assert!(Kernel::detect(Precision::F32).is_none_or(|k| !k.is_reduced()));
}

#[test]
fn the_check_before_auto_takes_a_vnni_kernel_tells_other_sums_apart() {
    // Where the CPU has them, the VNNI kernels pass it (and the bit-exact
    // test above compares them on another product).
    #[cfg(target_arch = "x86_64")]
    for kernel in Kernel::available() {
        if matches!(kernel, Kernel::AvxVnniI16 | Kernel::Avx512I16) {
            assert!(checked(kernel), "{kernel:?} differs from the portable i16 kernel");
        }
    }
    // The comparison itself: the same sums agree, f32's or bf16's do not.
    assert!(agrees(Kernel::PortableI16, Kernel::PortableI16));
    assert!(!agrees(Kernel::Portable, Kernel::PortableI16));
    assert!(!agrees(Kernel::PortableBf16, Kernel::PortableI16));
}

/// The CPUID vendor test reads the same vendor Linux reports.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[test]
fn bf16_dots_are_skipped_by_auto_on_intel_only() {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").expect("/proc/cpuinfo");
    let vendor = cpuinfo.lines().find_map(|line| line.strip_prefix("vendor_id")).expect("a vendor_id line");
    let intel = vendor.trim_start_matches([' ', '\t', ':']).trim() == "GenuineIntel";
    assert_eq!(bf16_dots_pay(), !intel, "vendor {vendor:?}");
}

#[test]
fn bf16_rounds_to_nearest_ties_to_even() {
    let cases = [
        (1.0f32, 0x3F80u16),
        (-2.5, 0xC020),
        (f32::from_bits(0x3F80_8000), 0x3F80), // a tie: to the even 0x3F80
        (f32::from_bits(0x3F81_8000), 0x3F82), // a tie: to the even 0x3F82
        (f32::from_bits(0x3F80_8001), 0x3F81), // just past the tie: up
        (f32::MAX, 0x7F80),                    // rounds past the largest bf16: infinity
        (f32::INFINITY, 0x7F80),
    ];
    for (value, bits) in cases {
        assert_eq!(pack::bf16_bits(value), bits, "{value:e}");
    }
    assert!(pack::bf16_value(pack::bf16_bits(f32::NAN)).is_nan());
    assert_eq!("F32".parse::<Precision>(), Ok(Precision::F32));
    assert!("bf16".parse::<Precision>().unwrap_err().contains("f32 or auto"));
}

#[test]
fn f32_packing_unpacks_to_the_weights_and_bf16_does_not() {
    let (n, k) = (40, 37);
    let w = noise(11, n * k);
    for kernel in Kernel::available() {
        let packed = PackedWeights::new(kernel.layout(), &w, n, k, None);
        assert_eq!(packed.unpack(), (!kernel.is_reduced()).then(|| w.clone()), "{kernel:?}");
    }
}

#[test]
fn the_fused_steps_start_from_the_residual_and_see_every_finished_output_once() {
    let (rows, k, n) = (301, 513, 35);
    let (w, x, onto) = (noise(8, n * k), noise(10, rows * k), noise(12, rows * n));
    for kernel in Kernel::available() {
        for bias in [None, Some(noise(9, n))] {
            let packed = PackedWeights::new(kernel.layout(), &w, n, k, bias.clone());
            let plain = linear(kernel, &x, rows, &packed);
            let double = |block: &mut [f32]| block.iter_mut().for_each(|v| *v *= 2.0);
            let doubled = linear_fused(kernel, &x, rows, &packed, None, &double);
            let expected: Vec<f32> = plain.iter().map(|v| v * 2.0).collect();
            assert_eq!(doubled, expected, "{kernel:?}");
            let added = linear_fused(kernel, &x, rows, &packed, Some(&onto), &|_| {});
            let worst = added.iter().zip(&plain).zip(&onto).map(|((a, p), o)| (a - (p + o)).abs());
            let worst = worst.fold(0.0, f32::max);
            // The same sums in another order: f32 rounding of values ~10.
            assert!(worst < 1e-4, "{kernel:?}, bias {}: {worst}", bias.is_some());
            assert_ne!(added, plain, "the residual is added");
        }
    }
}

#[test]
fn a_kernel_is_named_in_any_case_and_a_wrong_name_says_what_runs() {
    assert_eq!(Kernel::named("candle"), Ok(None));
    assert_eq!(Kernel::named(" Portable "), Ok(Some(Kernel::Portable)));
    assert_eq!(Kernel::named("emulatedamx"), Ok(Some(Kernel::EmulatedAmx)));
    let error = Kernel::named("avx1024").unwrap_err();
    assert!(error.contains("\"avx1024\"") && error.contains("candle, portable, portablebf16"), "{error}");
}
