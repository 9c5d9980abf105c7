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
//! bf16 products with f32 sums on CPUs with AVX512-BF16, twice the
//! multiply-adds per instruction; the fidelity tests hold it to the same bar
//! against transformers. [`Kernel::detect`] picks the kernel at run time.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod driver;
mod pack;
mod portable;
mod precision;

pub use driver::{linear, linear_fused};
pub use pack::{Layout, PackedWeights};
pub use precision::Precision;

/// Which micro-kernel multiplies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// AVX2 + FMA, f32, 6×16 tiles (`avx2.rs`).
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512F, f32, 12×32 tiles (`avx512.rs`).
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// AVX512-BF16 `vdpbf16ps`: bf16 products, f32 sums, 12×32 tiles.
    #[cfg(target_arch = "x86_64")]
    Avx512Bf16,
    /// Plain Rust f32, any CPU: the reference the f32 kernels are tested against.
    Portable,
    /// Plain Rust, the bf16 kernels' arithmetic on any CPU (for tests).
    PortableBf16,
}

impl Kernel {
    /// The kernel to use on this CPU at `precision`, or `None` where candle's
    /// matmul is the faster choice (no AVX2: nothing here beats it).
    pub fn detect(precision: Precision) -> Option<Self> {
        let has = Features::of_this_cpu();
        if precision == Precision::Auto && has.avx512_bf16 {
            #[cfg(target_arch = "x86_64")]
            return Some(Kernel::Avx512Bf16);
        }
        if has.avx512 {
            #[cfg(target_arch = "x86_64")]
            return Some(Kernel::Avx512);
        }
        if has.avx2 {
            #[cfg(target_arch = "x86_64")]
            return Some(Kernel::Avx2);
        }
        None
    }

    /// Every kernel this CPU can run (for tests and benchmarks).
    pub fn available() -> Vec<Self> {
        let has = Features::of_this_cpu();
        let mut kernels = vec![Kernel::Portable, Kernel::PortableBf16];
        #[cfg(target_arch = "x86_64")]
        kernels.extend(
            [(has.avx2, Kernel::Avx2), (has.avx512, Kernel::Avx512), (has.avx512_bf16, Kernel::Avx512Bf16)]
                .into_iter()
                .filter_map(|(has, kernel)| has.then_some(kernel)),
        );
        kernels
    }

    /// The tile and the values this kernel reads.
    pub fn layout(self) -> Layout {
        let (bf16, (mr, nr)) = match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => (false, avx2::TILE),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => (false, avx512::TILE),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512Bf16 => (true, avx512::TILE),
            Kernel::Portable => (false, portable::TILE),
            Kernel::PortableBf16 => (true, portable::TILE_BF16),
        };
        Layout { mr, nr, bf16 }
    }

    /// Whether this is one of the plain-Rust reference kernels (slow; for tests).
    pub fn is_portable(self) -> bool {
        matches!(self, Kernel::Portable | Kernel::PortableBf16)
    }

    /// Whether the products round to bf16 (see [`Precision`]).
    pub fn is_reduced(self) -> bool {
        self.layout().bf16
    }

    /// `c[0..mr][0..nr] += a · b` for one packed row panel `a` and one
    /// packed weight panel `b` of `steps` steps each; `c` rows `ldc` apart.
    fn multiply(self, steps: usize, a: pack::Panel, b: pack::Panel, c: &mut [f32], ldc: usize) {
        use pack::Panel::{Bf16, F32};
        match (self, a, b) {
            // SAFETY (each arm): the kernel is only constructed where the CPU
            // was found to have its features (`detect`, `available`); the
            // kernels assert their slices' lengths before reading.
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            (Kernel::Avx2, F32(a), F32(b)) => unsafe { avx2::kernel_6x16(steps, a, b, c, ldc) },
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            (Kernel::Avx512, F32(a), F32(b)) => unsafe { avx512::f32_12x32(steps, a, b, c, ldc) },
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            (Kernel::Avx512Bf16, Bf16(a), Bf16(b)) => unsafe { avx512::bf16_12x32(steps, a, b, c, ldc) },
            (Kernel::Portable, F32(a), F32(b)) => portable::f32_tile(self.layout(), steps, a, b, c, ldc),
            (Kernel::PortableBf16, Bf16(a), Bf16(b)) => {
                portable::bf16_tile(self.layout(), steps, a, b, c, ldc)
            }
            _ => unreachable!("{self:?} reads the values its layout packs"),
        }
    }
}

/// The instruction sets the kernels need, as this CPU reports them.
struct Features {
    avx2: bool,
    avx512: bool,
    avx512_bf16: bool,
}

impl Features {
    fn of_this_cpu() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let avx2 = has!("avx2") && has!("fma");
            let avx512 = has!("avx512f");
            Self { avx2, avx512, avx512_bf16: avx512 && has!("avx512bf16") }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Self { avx2: false, avx512: false, avx512_bf16: false }
    }
}

#[cfg(test)]
mod tests;
