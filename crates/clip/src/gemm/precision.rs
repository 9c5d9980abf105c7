//! Which numbers the image tower multiplies in, and how a process picks it.

use std::sync::OnceLock;

/// The numbers the image tower multiplies in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    /// f32 throughout.
    F32,
    /// The fastest this CPU has that holds the fidelity bar: bf16 products
    /// with f32 sums on AMX, and on AVX512-BF16 where it beats f32 (not
    /// Intel's); i16 products with exact i32 sums on AVX512-VNNI and
    /// AVX-VNNI (`vpdpwssd`), and on other AVX2 CPUs where `vpmaddwd` beats
    /// f32 FMAs (not Zen 1/2, Haswell or Broadwell); else f32. And f16 text
    /// weights on CPUs with AVX2 and F16C.
    #[default]
    Auto,
}

/// The process's choice, once made ([`Precision::choose`]).
static CHOSEN: OnceLock<Precision> = OnceLock::new();

impl std::str::FromStr for Precision {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "f32" => Ok(Self::F32),
            "auto" => Ok(Self::Auto),
            other => Err(format!("unknown precision {other:?}: expected f32 or auto")),
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::F32 => "f32",
            Self::Auto => "auto",
        })
    }
}

impl Precision {
    /// Makes `self` the precision of every model this process loads from now
    /// on (a command-line flag, read before any model is loaded). The first
    /// choice stands: `false` when one was already made.
    pub fn choose(self) -> bool {
        CHOSEN.set(self).is_ok()
    }

    /// The process's precision: the one chosen, else `PHOTOFIND_PRECISION`
    /// (`f32` or `auto`), else [`Precision::Auto`]. A bad variable is an
    /// error naming it and its value.
    pub fn current() -> Result<Self, String> {
        if let Some(chosen) = CHOSEN.get() {
            return Ok(*chosen);
        }
        std::env::var("PHOTOFIND_PRECISION").map_or(Ok(Self::Auto), |text| {
            text.parse().map_err(|e| format!("PHOTOFIND_PRECISION={text}: {e}"))
        })
    }
}
