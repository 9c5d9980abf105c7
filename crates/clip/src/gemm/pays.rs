//! Which reduced-precision kernels outrun f32 on this CPU, so that
//! `--precision auto` takes them: a rule per instruction, from the CPU's
//! vendor, family and model (CPUID), fixed for the process.

/// The CPU as CPUID names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cpu {
    pub vendor: Vendor,
    /// The display family (base family, plus the extended family where the base is 15).
    pub family: u32,
    /// The display model (base model, plus the extended model on family 6 and 15).
    pub model: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Vendor {
    Intel,
    Amd,
    Other,
}

impl Cpu {
    /// This CPU (`None` off x86-64).
    pub(super) fn here() -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::__cpuid;
            // SAFETY: CPUID leaves 0 and 1 exist on every x86-64 CPU.
            #[allow(unused_unsafe, unsafe_code)] // `__cpuid` is a safe fn in newer Rust
            let (name, signature) = unsafe { (__cpuid(0), __cpuid(1).eax) };
            // The vendor string ("GenuineIntel", "AuthenticAMD") is EBX, EDX, ECX.
            let vendor = match [name.ebx, name.edx, name.ecx] {
                [0x756e_6547, 0x4965_6e69, 0x6c65_746e] => Vendor::Intel,
                [0x6874_7541, 0x6974_6e65, 0x444d_4163] => Vendor::Amd,
                _ => Vendor::Other,
            };
            Some(Self::from_signature(vendor, signature))
        }
        #[cfg(not(target_arch = "x86_64"))]
        None
    }

    /// Family and model from CPUID leaf 1's EAX, as Intel and AMD define them.
    fn from_signature(vendor: Vendor, eax: u32) -> Self {
        let (base_family, base_model) = ((eax >> 8) & 0xF, (eax >> 4) & 0xF);
        let (extended_family, extended_model) = ((eax >> 20) & 0xFF, (eax >> 16) & 0xF);
        let family = if base_family == 0xF { base_family + extended_family } else { base_family };
        let model = if base_family == 0x6 || base_family == 0xF {
            base_model | extended_model << 4
        } else {
            base_model
        };
        Self { vendor, family, model }
    }
}

/// Whether `vdpbf16ps` outruns f32 multiply-adds on this CPU, so `auto`
/// should take the AVX512-BF16 kernel. On AMD's Zen 4 it does twice the
/// work of an f32 FMA (230 against 115 GFLOP/s a core, `bench/cpu_peak512.c`);
/// on Intel's Xeon with AMX (2026-12-03) half (106 against 211), and the
/// tower ran 18.9 images/s on it against 25.3 in f32 (`docs/PERFORMANCE.md`,
/// ninth session). So on Intel `auto` uses bf16 only on AMX's tiles.
pub(super) fn bf16_dots_pay() -> bool {
    Cpu::here().is_some_and(|cpu| cpu.vendor != Vendor::Intel)
}

/// Whether AVX2's `vpmaddwd` (16 i16 multiply-adds) outruns f32 FMAs (8) on
/// this CPU, so `auto` should take the i16 kernel where it would otherwise
/// take the AVX2 f32 one.
pub(super) fn i16_dots_pay() -> bool {
    Cpu::here().is_some_and(i16_dots_pay_on)
}

/// [`i16_dots_pay`] for `cpu`: where `vpmaddwd` issues on two ports, twice
/// an FMA's multiply-adds a cycle. Measured on Zen 3 (`bench/cpu_peak.c`,
/// `docs/PERFORMANCE.md`, tenth session); by the vendors' instruction
/// tables, one port on AMD's Zen 1 and 2 (family 0x17) and Intel's Haswell
/// and Broadwell, where it would only add work.
pub(super) fn i16_dots_pay_on(cpu: Cpu) -> bool {
    const HASWELL_BROADWELL: [u32; 8] = [0x3C, 0x3F, 0x45, 0x46, 0x3D, 0x47, 0x4F, 0x56];
    match cpu.vendor {
        Vendor::Amd => cpu.family >= 0x19,
        Vendor::Intel => cpu.family == 6 && !HASWELL_BROADWELL.contains(&cpu.model),
        Vendor::Other => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_and_model_read_as_the_vendors_define_them() {
        // EAX of CPUID leaf 1: Zen 3 (Milan) 0x00A00F11, Zen 2 (Rome) 0x00830F10,
        // Skylake client 0x000506E3, Haswell 0x000306C3.
        let read = |vendor, eax| {
            let cpu = Cpu::from_signature(vendor, eax);
            (cpu.family, cpu.model)
        };
        assert_eq!(read(Vendor::Amd, 0x00A0_0F11), (0x19, 0x01));
        assert_eq!(read(Vendor::Amd, 0x0083_0F10), (0x17, 0x31));
        assert_eq!(read(Vendor::Intel, 0x0005_06E3), (6, 0x5E));
        assert_eq!(read(Vendor::Intel, 0x0003_06C3), (6, 0x3C));
    }

    #[test]
    fn i16_products_are_taken_where_two_ports_multiply() {
        let cpu = |vendor, family, model| Cpu { vendor, family, model };
        assert!(i16_dots_pay_on(cpu(Vendor::Amd, 0x19, 0x01)), "Zen 3");
        assert!(i16_dots_pay_on(cpu(Vendor::Amd, 0x1A, 0x02)), "Zen 5");
        assert!(!i16_dots_pay_on(cpu(Vendor::Amd, 0x17, 0x31)), "Zen 2");
        assert!(i16_dots_pay_on(cpu(Vendor::Intel, 6, 0x5E)), "Skylake");
        assert!(!i16_dots_pay_on(cpu(Vendor::Intel, 6, 0x3C)), "Haswell");
        assert!(!i16_dots_pay_on(cpu(Vendor::Other, 6, 0x5E)));
    }

    /// CPUID reads the vendor, family and model Linux reports.
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    #[test]
    fn cpuid_reads_what_linux_reports() {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").expect("/proc/cpuinfo");
        let field = |name: &str| {
            let line =
                cpuinfo.lines().find(|line| line.split(':').next().is_some_and(|key| key.trim() == name));
            line.and_then(|line| line.split(':').nth(1)).map(str::trim).expect("a cpuinfo field").to_owned()
        };
        let cpu = Cpu::here().expect("x86-64");
        let vendor = match field("vendor_id").as_str() {
            "GenuineIntel" => Vendor::Intel,
            "AuthenticAMD" => Vendor::Amd,
            _ => Vendor::Other,
        };
        assert_eq!(cpu.vendor, vendor);
        assert_eq!(cpu.family.to_string(), field("cpu family"));
        assert_eq!(cpu.model.to_string(), field("model"));
    }
}
