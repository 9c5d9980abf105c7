//! `y = x Wᵀ + b` for the image tower's linear layers, on weights packed
//! once at load.
//!
//! candle hands every product to the `gemm` crate, which repacks the weight
//! matrix on every call and, on an AVX2 machine (AMD EPYC, Zen 2), reaches
//! 98–120 GFLOP/s on two cores against the 212 GFLOP/s the cores' FMA units
//! give (`docs/PERFORMANCE.md`). Here the weights are packed at load into the
//! order the micro-kernel reads them, the activations are packed per cache
//! block, and a register-blocked kernel does the multiply-adds (BLIS's loop
//! order and block sizes).
//!
//! Two precisions ([`Precision`]): plain f32, where only the order of the
//! sums differs from candle's (the vectors are the same to f32 rounding), and
//! bf16 products with f32 sums on CPUs with AVX512-BF16 (twice the
//! multiply-adds per instruction; on AMD only, see `bf16_dots_pay`) or AMX
//! (a 16×16 block of sums per instruction, `amx/`), and i16 products with
//! exact i32 sums (`int16.rs`) on AVX2 CPUs whose `vpmaddwd` outruns their
//! FMAs and on every CPU with VNNI's `vpdpwssd` (AVX-VNNI, AVX512-VNNI); the
//! fidelity tests hold them all to the same bar against transformers.
//! [`Kernel::detect`] picks the kernel at run time.

mod amx;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod driver;
mod int16;
mod pack;
mod pays;
mod portable;
mod precision;

use pays::{bf16_dots_pay, i16_dots_pay};

pub use driver::{linear, linear_fused};
pub use pack::{Layout, Numbers, PackedWeights};
pub use precision::Precision;

/// Which micro-kernel multiplies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// AVX2 + FMA, f32, 6×16 tiles (`avx2.rs`).
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX2, i16 products summed in i32 (`vpmaddwd`), 6×16 tiles (`avx2.rs`).
    #[cfg(target_arch = "x86_64")]
    Avx2I16,
    /// AVX-VNNI `vpdpwssd`: [`Kernel::Avx2I16`]'s sums in one instruction
    /// where it takes two, 6×16 tiles (`avx2.rs`).
    #[cfg(target_arch = "x86_64")]
    AvxVnniI16,
    /// AVX-512F, f32, 12×32 tiles (`avx512.rs`).
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// AVX512-VNNI `vpdpwssd`: i16 products summed in i32, 12×32 tiles.
    #[cfg(target_arch = "x86_64")]
    Avx512I16,
    /// AVX512-BF16 `vdpbf16ps`: bf16 products, f32 sums, 12×32 tiles.
    #[cfg(target_arch = "x86_64")]
    Avx512Bf16,
    /// AMX `tdpbf16ps` (Sapphire Rapids and later, where the OS grants the
    /// tile state): bf16 products, f32 sums, 32×32 tiles.
    #[cfg(target_arch = "x86_64")]
    AmxBf16,
    /// Plain Rust f32, any CPU: the reference the f32 kernels are tested against.
    Portable,
    /// Plain Rust, the bf16 kernels' arithmetic on any CPU (for tests).
    PortableBf16,
    /// The AMX kernel's loop on emulated tile registers, any CPU (for tests).
    EmulatedAmx,
    /// Plain Rust, the i16 kernel's arithmetic on any CPU (for tests).
    PortableI16,
}

impl Kernel {
    /// The kernel to use on this CPU at `precision`, or `None` where candle's
    /// matmul is the faster choice (no AVX2: nothing here beats it).
    pub fn detect(precision: Precision) -> Option<Self> {
        use crate::isa;
        if precision == Precision::Auto && amx_granted() {
            #[cfg(target_arch = "x86_64")]
            return Some(Kernel::AmxBf16);
        }
        if precision == Precision::Auto && isa::avx512_bf16() && bf16_dots_pay() {
            #[cfg(target_arch = "x86_64")]
            return Some(Kernel::Avx512Bf16);
        }
        #[cfg(target_arch = "x86_64")]
        if precision == Precision::Auto && isa::avx512_vnni() && checked(Kernel::Avx512I16) {
            return Some(Kernel::Avx512I16);
        }
        if isa::avx512() {
            #[cfg(target_arch = "x86_64")]
            return Some(Kernel::Avx512);
        }
        #[cfg(target_arch = "x86_64")]
        if precision == Precision::Auto && isa::avx_vnni() && checked(Kernel::AvxVnniI16) {
            return Some(Kernel::AvxVnniI16);
        }
        if precision == Precision::Auto && isa::avx2() && i16_dots_pay() {
            #[cfg(target_arch = "x86_64")]
            return Some(Kernel::Avx2I16);
        }
        if isa::avx2() {
            #[cfg(target_arch = "x86_64")]
            return Some(Kernel::Avx2);
        }
        None
    }

    /// The kernel `name` names (`avx2`, `avx512`, `avx512bf16`, `amxbf16`, a
    /// portable one, any case), or `None` for `candle` (candle's matmul):
    /// what `photofind-bench embed --kernel` measures. An error names the
    /// value and what this CPU can run.
    pub fn named(name: &str) -> Result<Option<Self>, String> {
        let wanted = name.trim().to_ascii_lowercase();
        if wanted == "candle" {
            return Ok(None);
        }
        let runnable = Self::available();
        let named = runnable.iter().find(|kernel| format!("{kernel:?}").to_ascii_lowercase() == wanted);
        named.map(|kernel| Some(*kernel)).ok_or_else(|| {
            let names: Vec<String> = runnable.iter().map(|k| format!("{k:?}").to_ascii_lowercase()).collect();
            format!("no kernel {name:?} on this CPU: it runs candle, {}", names.join(", "))
        })
    }

    /// Every kernel this CPU can run (for tests and benchmarks).
    pub fn available() -> Vec<Self> {
        use crate::isa;
        let mut kernels =
            vec![Kernel::Portable, Kernel::PortableBf16, Kernel::EmulatedAmx, Kernel::PortableI16];
        #[cfg(target_arch = "x86_64")]
        kernels.extend(
            [
                (isa::avx2(), Kernel::Avx2),
                (isa::avx2(), Kernel::Avx2I16),
                (isa::avx_vnni(), Kernel::AvxVnniI16),
                (isa::avx512(), Kernel::Avx512),
                (isa::avx512_vnni(), Kernel::Avx512I16),
                (isa::avx512_bf16(), Kernel::Avx512Bf16),
                (amx_granted(), Kernel::AmxBf16),
            ]
            .into_iter()
            .filter_map(|(has, kernel)| has.then_some(kernel)),
        );
        kernels
    }

    /// The tile and the values this kernel reads.
    pub fn layout(self) -> Layout {
        use Numbers::{Bf16, F32, I16};
        let (numbers, (mr, nr)) = match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => (F32, avx2::TILE),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2I16 | Kernel::AvxVnniI16 => (I16, avx2::TILE),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => (F32, avx512::TILE),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512I16 => (I16, avx512::TILE),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512Bf16 => (Bf16, avx512::TILE),
            #[cfg(target_arch = "x86_64")]
            Kernel::AmxBf16 => (Bf16, amx::TILE),
            Kernel::Portable => (F32, portable::TILE),
            Kernel::PortableBf16 => (Bf16, portable::TILE_BF16),
            Kernel::EmulatedAmx => (Bf16, amx::TILE),
            Kernel::PortableI16 => (I16, portable::TILE),
        };
        Layout { mr, nr, numbers, amx: self.is_amx() }
    }

    /// Whether this kernel reads AMX's layout (see [`Layout::amx`]).
    fn is_amx(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        if self == Kernel::AmxBf16 {
            return true;
        }
        self == Kernel::EmulatedAmx
    }

    /// Whether this is one of the plain-Rust reference kernels (slow; for tests).
    pub fn is_portable(self) -> bool {
        matches!(self, Kernel::Portable | Kernel::PortableBf16 | Kernel::EmulatedAmx | Kernel::PortableI16)
    }

    /// Whether the products are of values rounded from f32 (bf16 or i16,
    /// see [`Precision`]).
    pub fn is_reduced(self) -> bool {
        self.layout().numbers != Numbers::F32
    }

    /// `c[0..mr][0..nr] += a · b` for one packed row panel `a` and one
    /// packed weight panel `b` of `steps` steps each; `c` rows `ldc` apart.
    fn multiply(self, steps: usize, a: pack::Panel, b: pack::Panel, c: &mut [f32], ldc: usize) {
        use pack::Panel::{Bf16, F32, I16};
        prefetch_tile(c, ldc, self.layout());
        match (self, a, b) {
            // SAFETY (each arm): the kernel is only constructed where the CPU
            // was found to have its features (`detect`, `available`); the
            // kernels assert their slices' lengths before reading.
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            (Kernel::Avx2, F32(a), F32(b)) => unsafe { avx2::kernel_6x16(steps, a, b, c, ldc) },
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            (Kernel::Avx2I16, I16(a, sa), I16(b, sb)) => unsafe {
                avx2::i16_6x16(steps, (a, sa), (b, sb), c, ldc)
            },
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            (Kernel::AvxVnniI16, I16(a, sa), I16(b, sb)) => unsafe {
                avx2::i16_6x16_vnni(steps, (a, sa), (b, sb), c, ldc)
            },
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            (Kernel::Avx512I16, I16(a, sa), I16(b, sb)) => unsafe {
                avx512::i16_12x32(steps, (a, sa), (b, sb), c, ldc)
            },
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            (Kernel::Avx512, F32(a), F32(b)) => unsafe { avx512::f32_12x32(steps, a, b, c, ldc) },
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            (Kernel::Avx512Bf16, Bf16(a), Bf16(b)) => unsafe { avx512::bf16_12x32(steps, a, b, c, ldc) },
            #[cfg(target_arch = "x86_64")]
            (Kernel::AmxBf16, Bf16(a), Bf16(b)) => {
                let mut tiles =
                    amx::hardware::Hardware::here().expect("AmxBf16 is only chosen where AMX is granted");
                amx::tile_32x32(&mut tiles, steps, a, b, c, ldc);
            }
            (Kernel::Portable, F32(a), F32(b)) => portable::f32_tile(self.layout(), steps, a, b, c, ldc),
            (Kernel::PortableBf16, Bf16(a), Bf16(b)) => {
                portable::bf16_tile(self.layout(), steps, a, b, c, ldc)
            }
            (Kernel::EmulatedAmx, Bf16(a), Bf16(b)) => {
                amx::tile_32x32(&mut amx::Emulated::default(), steps, a, b, c, ldc);
            }
            (Kernel::PortableI16, I16(a, sa), I16(b, sb)) => {
                portable::i16_tile(self.layout(), steps, (a, sa), (b, sb), c, ldc)
            }
            _ => unreachable!("{self:?} reads the values its layout packs"),
        }
    }
}

/// Asks for the `mr × nr` tile of `c` (rows `ldc` apart) in L1 while the
/// kernel's products run. Its sums are added to the tile only at the end;
/// a tile of a large output (fc1's 9.8 MB for 16 images) is in L3 or memory
/// by then, and without the hint those loads stalled the bf16 kernel for 16 %
/// of its time on Zen 4 (`docs/PERFORMANCE.md`, eighth session).
fn prefetch_tile(c: &[f32], ldc: usize, layout: Layout) {
    #[cfg(target_arch = "x86_64")]
    for row in c.chunks(ldc).take(layout.mr) {
        let row = &row[..layout.nr.min(row.len())];
        // One hint per cache line of the row, and one for its last value
        // (a row that does not start on a line straddles one more).
        for value in row.iter().step_by(16).chain(row.last()) {
            // SAFETY: a prefetch only hints the cache: it never faults and
            // writes nothing; the address is inside `c`.
            #[allow(unsafe_code)]
            unsafe {
                use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast());
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (c, ldc, layout);
}

/// Whether `kernel`'s products equal the portable i16 kernel's bit for bit
/// (checked once a process), so that `auto` takes it: the VNNI kernels' sums
/// are exact, as the portable kernel's, and they had run on no CPU of this
/// project's when written (2026-12-04, a Zen 3). The tests make the same
/// comparison on every CPU they run on.
#[cfg(target_arch = "x86_64")]
fn checked(kernel: Kernel) -> bool {
    use std::sync::OnceLock;
    static AVX_VNNI: OnceLock<bool> = OnceLock::new();
    static AVX512_VNNI: OnceLock<bool> = OnceLock::new();
    let once = if kernel == Kernel::Avx512I16 { &AVX512_VNNI } else { &AVX_VNNI };
    *once.get_or_init(|| agrees(kernel, Kernel::PortableI16))
}

/// Whether `kernel` and `reference` give the same outputs bit for bit on one
/// product with a bias, across a cache block and off the tiles' edges.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn agrees(kernel: Kernel, reference: Kernel) -> bool {
    let (rows, k, n) = (13, driver::KC + 37, 40);
    let value = |i: usize, seed: usize| ((i * 7919 + seed) % 2003) as f32 / 1001.0 - 1.0;
    let x: Vec<f32> = (0..rows * k).map(|i| value(i, 1)).collect();
    let w: Vec<f32> = (0..n * k).map(|i| value(i, 5)).collect();
    let bias: Vec<f32> = (0..n).map(|i| value(i, 9)).collect();
    let product = |kernel: Kernel| {
        linear(kernel, &x, rows, &PackedWeights::new(kernel.layout(), &w, n, k, Some(bias.clone())))
    };
    product(kernel) == product(reference)
}

/// Whether the AMX kernel may run: allowed by the cap, and the CPU and OS
/// grant it and agree with its emulation (`amx::hardware::usable`).
fn amx_granted() -> bool {
    #[cfg(target_arch = "x86_64")]
    return crate::isa::allows(crate::isa::Isa::Amx) && amx::hardware::usable();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

#[cfg(test)]
mod tests;
