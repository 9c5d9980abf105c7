//! [`Tiles`] on the CPU's tile registers, and whether this process may use
//! them.
//!
//! Stable Rust has no AMX intrinsics (`x86_amx_intrinsics` is unstable), so
//! the five instructions are inline assembly. AMX needs three things, all
//! checked once by [`usable`]: the CPU's AMX-TILE and AMX-BF16 (CPUID leaf 7),
//! the OS saving the tile state (XCR0 bits 17 and 18), and, on Linux, the
//! process's permission for the 8 KiB of tile data per thread
//! (`arch_prctl(ARCH_REQ_XCOMP_PERM)`; without it the first tile
//! instruction kills the process). Then a product on the registers is
//! compared with [`Emulated`]'s: a CPU or kernel that disagrees is not used.

#![allow(unsafe_code)]

use std::arch::asm;
use std::cell::Cell;
use std::sync::OnceLock;

use super::{Emulated, MR, NR, ROWS, STEPS, Tiles, assert_fits, tile_32x32};

/// The tile registers of this thread, configured as the kernel needs them.
/// Only [`Hardware::here`] makes one, and only where [`usable`] said yes.
pub(in crate::gemm) struct Hardware(());

/// The configuration `ldtilecfg` loads: palette 1, all eight tiles 16 rows
/// of 64 bytes (Intel's layout: colsb as u16 from byte 16, rows from byte 48).
#[repr(C, align(64))]
struct Config([u8; 64]);

const CONFIG: Config = {
    let mut bytes = [0u8; 64];
    bytes[0] = 1;
    let mut tile = 0;
    while tile < 8 {
        bytes[16 + 2 * tile] = (ROWS * 4) as u8;
        bytes[48 + tile] = ROWS as u8;
        tile += 1;
    }
    Config(bytes)
};

thread_local! {
    /// Whether this thread's tile registers hold [`CONFIG`] (the OS keeps it
    /// across context switches; nothing else in the process configures tiles).
    static CONFIGURED: Cell<bool> = const { Cell::new(false) };
}

impl Hardware {
    /// This thread's tile registers, configured. `None` where the CPU or OS
    /// does not grant AMX.
    pub(in crate::gemm) fn here() -> Option<Self> {
        // SAFETY: `usable` checked the CPU, the OS's state and the permission.
        usable().then(|| unsafe { Self::configured() })
    }

    /// # Safety
    /// The CPU has AMX-TILE and AMX-BF16 and the OS lets this process use them.
    unsafe fn configured() -> Self {
        if !CONFIGURED.get() {
            // SAFETY: AMX-TILE is granted (the caller's promise); CONFIG is a
            // valid palette-1 configuration (8 tiles of 16 × 64 bytes).
            unsafe { asm!("ldtilecfg [{0}]", in(reg) &CONFIG, options(nostack, readonly, preserves_flags)) };
            CONFIGURED.set(true);
        }
        Self(())
    }
}

// Every asm block below is sound for the same reasons: a `Hardware` exists
// only on a thread whose tiles were configured on a CPU and OS that grant
// AMX; every load and store first asserts that its 16 rows of 64 bytes,
// `stride` elements apart, lie in the slice; the tile numbers are 0–7.
impl Tiles for Hardware {
    fn load<const T: u8>(&mut self, from: &[u32], stride: usize) {
        assert_fits(from.len(), stride);
        // SAFETY: see above the impl: AMX configured, 16 rows of `from` asserted.
        unsafe { tile_load::<T>(from.as_ptr().cast(), stride * 4) };
    }

    fn load_sums<const T: u8>(&mut self, from: &[f32], stride: usize) {
        assert_fits(from.len(), stride);
        // SAFETY: see above the impl: AMX configured, 16 rows of `from` asserted.
        unsafe { tile_load::<T>(from.as_ptr().cast(), stride * 4) };
    }

    fn store_sums<const T: u8>(&mut self, to: &mut [f32], stride: usize) {
        assert_fits(to.len(), stride);
        let (at, bytes) = (to.as_mut_ptr(), stride * 4);
        // SAFETY: see above the impl: AMX configured, 16 rows of `to` asserted.
        unsafe {
            asm!("tilestored [{at} + {bytes}*1], tmm{t}", t = const T, at = in(reg) at, bytes = in(reg) bytes,
                options(nostack, preserves_flags));
        }
    }

    fn dot<const C: u8, const A: u8, const B: u8>(&mut self) {
        // SAFETY: see above the impl: AMX configured; registers only, no memory.
        unsafe {
            asm!("tdpbf16ps tmm{c}, tmm{a}, tmm{b}", c = const C, a = const A, b = const B,
                options(nostack, nomem, preserves_flags));
        }
    }
}

/// `tileloadd tmmT`: 16 rows of 64 bytes from `at`, `bytes` apart.
///
/// # Safety
/// This thread's tiles are configured on a CPU and OS that grant AMX, and
/// the 16 rows are readable.
unsafe fn tile_load<const T: u8>(at: *const u8, bytes: usize) {
    // SAFETY: the caller's promise.
    unsafe {
        asm!("tileloadd tmm{t}, [{at} + {bytes}*1]", t = const T, at = in(reg) at, bytes = in(reg) bytes,
            options(nostack, readonly, preserves_flags));
    }
}

/// Whether this process can run the AMX kernel: checked once (CPU, OS,
/// permission, then a product against the emulation).
pub(in crate::gemm) fn usable() -> bool {
    static USABLE: OnceLock<bool> = OnceLock::new();
    *USABLE.get_or_init(|| {
        // SAFETY: `agrees_with_emulation` runs only once the CPU and OS were found to grant AMX.
        cpu_has_amx() && os_saves_tiles() && permitted() && unsafe { agrees_with_emulation() }
    })
}

/// CPUID leaf 7, sub-leaf 0, EDX: AMX-BF16 is bit 22, AMX-TILE bit 24.
fn cpu_has_amx() -> bool {
    use std::arch::x86_64::{__cpuid, __cpuid_count};
    #[allow(unused_unsafe)] // `__cpuid` is a safe fn in newer Rust
    let (max_leaf, edx) = unsafe { (__cpuid(0).eax, __cpuid_count(7, 0).edx) };
    max_leaf >= 7 && edx & (1 << 22) != 0 && edx & (1 << 24) != 0
}

/// XCR0 bits 17 (XTILECFG) and 18 (XTILEDATA): the OS saves the tile state.
fn os_saves_tiles() -> bool {
    if !std::arch::is_x86_feature_detected!("xsave") || !osxsave() {
        return false;
    }
    #[target_feature(enable = "xsave")]
    fn xcr0() -> u64 {
        // SAFETY: XSAVE is on and the OS enabled XGETBV (OSXSAVE, checked by the caller).
        unsafe { std::arch::x86_64::_xgetbv(0) }
    }
    // SAFETY: the CPU has XSAVE (checked above).
    let xcr0 = unsafe { xcr0() };
    xcr0 & (0b11 << 17) == 0b11 << 17
}

/// CPUID leaf 1, ECX bit 27: the OS enabled XGETBV.
fn osxsave() -> bool {
    #[allow(unused_unsafe)]
    let ecx = unsafe { std::arch::x86_64::__cpuid(1).ecx };
    ecx & (1 << 27) != 0
}

/// Linux lends a process the tile data only when asked (kernel 5.16+).
#[cfg(target_os = "linux")]
fn permitted() -> bool {
    const ARCH_GET_XCOMP_PERM: libc::c_long = 0x1022;
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    let mut granted: u64 = 0;
    // SAFETY: arch_prctl with these codes reads an integer or writes one u64 to `granted`.
    unsafe {
        libc::syscall(libc::SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0
            && libc::syscall(libc::SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &mut granted as *mut u64) == 0
            && granted & (1 << XFEATURE_XTILEDATA) != 0
    }
}

/// Other systems: not tried (no AMX machine of theirs was at hand).
#[cfg(not(target_os = "linux"))]
fn permitted() -> bool {
    false
}

/// One 32×32 tile over 64 pairs on the registers and in [`Emulated`]: the
/// same to within f32 rounding (the hardware may order its sums otherwise).
///
/// # Safety
/// The CPU and OS grant AMX.
unsafe fn agrees_with_emulation() -> bool {
    let steps = 4 * STEPS;
    let value = |i: usize, seed: usize| ((i * seed) % 97) as f32 / 48.0 - 1.0;
    let pairs = |len: usize, seed: usize| -> Vec<u32> {
        let bits = |x: f32| u32::from(super::super::pack::bf16_bits(x));
        (0..len).map(|i| bits(value(2 * i, seed)) | bits(value(2 * i + 1, seed)) << 16).collect()
    };
    let (a, b) = (pairs(MR * steps, 31), pairs(steps * NR, 17));
    let start: Vec<f32> = (0..MR * NR).map(|i| value(i, 7)).collect();
    let (mut hardware, mut emulated) = (start.clone(), start);
    // SAFETY: the caller's promise.
    tile_32x32(&mut unsafe { Hardware::configured() }, steps, &a, &b, &mut hardware, NR);
    tile_32x32(&mut Emulated::default(), steps, &a, &b, &mut emulated, NR);
    hardware.iter().zip(&emulated).all(|(h, e)| (h - e).abs() <= 1e-4 * (2 * steps) as f32)
}
