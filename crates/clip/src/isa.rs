//! Which vector instructions the CPU paths may use: what this CPU has,
//! capped by `PHOTOFIND_MAX_ISA` (`baseline`, `avx2`, `avxvnni`, `avx512`,
//! `avx512bf16`, `amx`; unset: no cap).
//!
//! The build targets baseline x86-64, and every CPU path (the packed
//! products, attention, layer norm, QuickGELU, the text tower's products)
//! picks its instructions at run time by asking here, so one setting moves
//! them all: to measure the AVX2 paths on a CPU with AVX-512, or to step
//! round a kernel on a CPU where it misbehaves. candle's own matmul is not
//! governed by it (it dispatches on its own).

use std::sync::OnceLock;

/// The instruction-set levels, each including the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// Baseline x86-64 (SSE2), or any other architecture: plain Rust, and
    /// candle's matmul for the image tower.
    Baseline,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-VNNI (`vpdpwssd` on 256 bits: Alder Lake and later, Zen 5), for
    /// the i16 products.
    AvxVnni,
    /// AVX-512F.
    Avx512,
    /// AVX512-BF16 (bf16 products for `--precision auto`).
    Avx512Bf16,
    /// AMX-BF16 tiles, where the OS grants them.
    Amx,
}

impl std::str::FromStr for Isa {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "baseline" => Ok(Self::Baseline),
            "avx2" => Ok(Self::Avx2),
            "avxvnni" => Ok(Self::AvxVnni),
            "avx512" => Ok(Self::Avx512),
            "avx512bf16" => Ok(Self::Avx512Bf16),
            "amx" => Ok(Self::Amx),
            other => Err(format!(
                "unknown instruction set {other:?}: expected baseline, avx2, avxvnni, avx512, avx512bf16 or amx"
            )),
        }
    }
}

impl Isa {
    /// The cap `PHOTOFIND_MAX_ISA` sets, if any; a bad value is an error
    /// naming the variable and its value.
    pub fn cap() -> Result<Option<Self>, String> {
        match std::env::var("PHOTOFIND_MAX_ISA") {
            Ok(text) => text.parse().map(Some).map_err(|e| format!("PHOTOFIND_MAX_ISA={text}: {e}")),
            Err(_) => Ok(None),
        }
    }
}

/// Whether the cap lets the CPU paths use `level` (read once; a bad value
/// caps nothing here, and [`crate::Clip::load`] reports it).
pub(crate) fn allows(level: Isa) -> bool {
    static CAP: OnceLock<Isa> = OnceLock::new();
    *CAP.get_or_init(|| Isa::cap().ok().flatten().unwrap_or(Isa::Amx)) >= level
}

/// AVX2 and FMA: on this CPU and allowed.
pub(crate) fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        allows(Isa::Avx2) && has!("avx2") && has!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// AVX-512F: on this CPU and allowed.
pub(crate) fn avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        allows(Isa::Avx512) && std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// AVX2, FMA and F16C (f16 ↔ f32 in vectors): on this CPU and allowed (at
/// the `avx2` level).
pub(crate) fn avx2_f16c() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        avx2() && std::arch::is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// AVX2, FMA and AVX-VNNI: on this CPU and allowed.
pub(crate) fn avx_vnni() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        allows(Isa::AvxVnni) && avx2() && std::arch::is_x86_feature_detected!("avxvnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// AVX-512F with AVX512-VNNI: on this CPU and allowed (at the `avx512` level).
pub(crate) fn avx512_vnni() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        avx512() && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// AVX-512F with AVX512-BF16: on this CPU and allowed.
pub(crate) fn avx512_bf16() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        allows(Isa::Avx512Bf16) && avx512() && std::arch::is_x86_feature_detected!("avx512bf16")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_in_any_case_and_order_by_what_they_include() {
        assert_eq!(" AVX512bf16 ".parse::<Isa>(), Ok(Isa::Avx512Bf16));
        assert_eq!("avxVNNI".parse::<Isa>(), Ok(Isa::AvxVnni));
        assert!(Isa::Baseline < Isa::Avx2 && Isa::Avx2 < Isa::AvxVnni && Isa::AvxVnni < Isa::Avx512);
        assert!(Isa::Avx512 < Isa::Avx512Bf16 && Isa::Avx512Bf16 < Isa::Amx);
        let error = "sse9".parse::<Isa>().unwrap_err();
        assert!(error.contains("\"sse9\"") && error.contains("avx2"), "{error}");
    }

    #[test]
    fn nothing_allowed_is_more_than_the_cpu_has() {
        assert!(!avx512_bf16() || avx512());
        assert!(!avx512_vnni() || avx512());
        assert!(!avx_vnni() || avx2());
        assert!(!avx2_f16c() || avx2());
        #[cfg(target_arch = "x86_64")]
        assert!(!avx512() || std::arch::is_x86_feature_detected!("avx512f"));
    }
}
