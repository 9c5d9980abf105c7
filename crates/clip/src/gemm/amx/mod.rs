//! The AMX micro-kernel: `tdpbf16ps` on Intel's tile registers (Sapphire
//! Rapids and later), bf16 products with f32 sums like the AVX512-BF16
//! kernel, but a 16×16 block of the output per instruction.
//!
//! A tile register holds 16 rows of 64 bytes. This kernel computes a 32×32
//! tile of the output in four of the eight registers (`tmm0`–`tmm3`, 2 × 2
//! tiles of 16×16 f32), and per 16 input pairs loads two tiles of
//! activations (`tmm4`, `tmm5`: 16 rows × 16 bf16 pairs each) and two of
//! weights (`tmm6`, `tmm7`: 16 pair-steps × 16 columns), then does four
//! `tdpbf16ps`: 32 × 32 × 32 multiply-adds.
//!
//! The weights are read in the layout every bf16 kernel uses (a panel of 32
//! columns, step by step): a weight tile is 16 steps of 16 columns, 128
//! bytes apart. The activations are packed row by row inside each panel of
//! 32 rows (AMX reads a tile row as one row's 16 pairs), and steps come in
//! whole tiles of 16 pairs (zeros past the end); see [`Layout::amx`].
//!
//! The loop is written once, over [`Tiles`]: [`hardware`] runs it on the
//! tile registers, [`Emulated`] in plain Rust on any CPU, so the tests check
//! the kernel's addressing, strides and edges on machines without AMX, and
//! the hardware against its emulation where AMX exists.
//!
//! [`Layout::amx`]: super::pack::Layout::amx

#[cfg(target_arch = "x86_64")]
pub(super) mod hardware;

use super::pack::bf16_value;

/// Rows and columns of the output tile the kernel computes.
pub(super) const TILE: (usize, usize) = (MR, NR);
/// Input pairs per tile row (64 bytes): steps come in multiples of this.
pub(super) const STEPS: usize = 16;

const MR: usize = 32;
const NR: usize = 32;
/// Rows (and 4-byte columns) of one tile register as this kernel configures it.
const ROWS: usize = 16;

/// Eight tile registers, `tmm0`–`tmm7`, each 16 rows of 16 dwords.
///
/// `load` and `store` take a slice starting at the tile's first element and
/// the distance between its rows in elements; each asserts that the 16 rows
/// of 16 elements lie inside the slice.
pub(super) trait Tiles {
    /// Tile `T` := rows of `from` (bf16 pairs).
    fn load<const T: u8>(&mut self, from: &[u32], stride: usize);
    /// Tile `T` := rows of `from` (f32 sums).
    fn load_sums<const T: u8>(&mut self, from: &[f32], stride: usize);
    /// Rows of `to` := tile `T` (f32 sums).
    fn store_sums<const T: u8>(&mut self, to: &mut [f32], stride: usize);
    /// `tdpbf16ps tmmC, tmmA, tmmB`: `C[m][n] += Σ_k A[m][k] · B[k][n]` over bf16 pairs.
    fn dot<const C: u8, const A: u8, const B: u8>(&mut self);
}

/// Asserts that 16 rows of 16 elements, `stride` apart, fit in `len`.
fn assert_fits(len: usize, stride: usize) {
    assert!(stride >= ROWS && len >= (ROWS - 1) * stride + ROWS, "a tile's 16 rows fit in the slice");
}

/// `c[i][j] += Σ_q dot(a_pair[i][q], b_pair[q·32 + j])` for `i, j < 32`:
/// `a` holds 32 rows of `steps` bf16 pairs one after another, `b` 32
/// columns' pairs step by step, `c`'s rows `ldc` apart.
///
/// # Panics
/// If `steps` is not a whole number of tiles or a slice is too short.
pub(super) fn tile_32x32(
    tiles: &mut impl Tiles,
    steps: usize,
    a: &[u32],
    b: &[u32],
    c: &mut [f32],
    ldc: usize,
) {
    assert!(steps.is_multiple_of(STEPS), "steps come in whole tiles of {STEPS} pairs");
    assert!(a.len() >= MR * steps && b.len() >= steps * NR, "packed panels hold the pairs");
    assert!(c.len() >= (MR - 1) * ldc + NR && ldc >= NR, "c holds a 32×32 tile");
    let (upper, lower) = c.split_at_mut(ROWS * ldc);
    tiles.load_sums::<0>(upper, ldc);
    tiles.load_sums::<1>(&upper[ROWS..], ldc);
    tiles.load_sums::<2>(lower, ldc);
    tiles.load_sums::<3>(&lower[ROWS..], ldc);
    for q in (0..steps).step_by(STEPS) {
        tiles.load::<4>(&a[q..], steps);
        tiles.load::<5>(&a[ROWS * steps + q..], steps);
        tiles.load::<6>(&b[q * NR..], NR);
        tiles.load::<7>(&b[q * NR + ROWS..], NR);
        tiles.dot::<0, 4, 6>();
        tiles.dot::<1, 4, 7>();
        tiles.dot::<2, 5, 6>();
        tiles.dot::<3, 5, 7>();
    }
    tiles.store_sums::<0>(upper, ldc);
    tiles.store_sums::<1>(&mut upper[ROWS..], ldc);
    tiles.store_sums::<2>(lower, ldc);
    tiles.store_sums::<3>(&mut lower[ROWS..], ldc);
}

/// The tile registers in memory, and `tdpbf16ps` as Intel's manual defines
/// it: for each pair, the odd elements' product then the even ones' added to
/// the f32 sum, each add rounded to nearest even; bf16 inputs that are
/// denormal read as zero, denormal sums are flushed to zero.
pub(super) struct Emulated {
    tiles: [[[u32; ROWS]; ROWS]; 8],
}

impl Default for Emulated {
    fn default() -> Self {
        Self { tiles: [[[0; ROWS]; ROWS]; 8] }
    }
}

impl Tiles for Emulated {
    fn load<const T: u8>(&mut self, from: &[u32], stride: usize) {
        assert_fits(from.len(), stride);
        for (r, row) in self.tiles[usize::from(T)].iter_mut().enumerate() {
            row.copy_from_slice(&from[r * stride..][..ROWS]);
        }
    }

    fn load_sums<const T: u8>(&mut self, from: &[f32], stride: usize) {
        assert_fits(from.len(), stride);
        for (r, row) in self.tiles[usize::from(T)].iter_mut().enumerate() {
            row.iter_mut().zip(&from[r * stride..][..ROWS]).for_each(|(t, v)| *t = v.to_bits());
        }
    }

    fn store_sums<const T: u8>(&mut self, to: &mut [f32], stride: usize) {
        assert_fits(to.len(), stride);
        for (r, row) in self.tiles[usize::from(T)].iter().enumerate() {
            to[r * stride..][..ROWS].iter_mut().zip(row).for_each(|(v, t)| *v = f32::from_bits(*t));
        }
    }

    fn dot<const C: u8, const A: u8, const B: u8>(&mut self) {
        let (a, b) = (self.tiles[usize::from(A)], self.tiles[usize::from(B)]);
        for (m, sums) in self.tiles[usize::from(C)].iter_mut().enumerate() {
            for (n, sum) in sums.iter_mut().enumerate() {
                let mut acc = f32::from_bits(*sum);
                for (k, &x) in a[m].iter().enumerate() {
                    let w = b[k][n];
                    acc = flushed(acc + bf16_daz(x >> 16) * bf16_daz(w >> 16));
                    acc = flushed(acc + bf16_daz(x) * bf16_daz(w));
                }
                *sum = acc.to_bits();
            }
        }
    }
}

/// The bf16 in the low 16 bits of `half`, a denormal read as zero.
fn bf16_daz(half: u32) -> f32 {
    let value = bf16_value(half as u16);
    if value.is_subnormal() { 0.0f32.copysign(value) } else { value }
}

/// `sum`, or zero (with its sign) where it is denormal.
fn flushed(sum: f32) -> f32 {
    if sum.is_subnormal() { 0.0f32.copysign(sum) } else { sum }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emulated_kernel_multiplies_a_tile_as_the_definition_says() {
        // Small integers: every product and sum is exact in f32, so the tile
        // must equal the plain sum whatever the order.
        let steps = 2 * STEPS;
        let a: Vec<u32> = (0..MR * steps).map(|i| pair((i % 7) as f32 - 3.0, (i % 5) as f32)).collect();
        let b: Vec<u32> = (0..steps * NR).map(|i| pair((i % 3) as f32, (i % 11) as f32 - 5.0)).collect();
        let ldc = NR + 3;
        let mut c: Vec<f32> = (0..MR * ldc).map(|i| i as f32).collect();
        let before = c.clone();
        tile_32x32(&mut Emulated::default(), steps, &a, &b, &mut c, ldc);
        for i in 0..MR {
            for j in 0..ldc {
                let expected = if j < NR {
                    let halves = |v: u32| [bf16_value(v as u16), bf16_value((v >> 16) as u16)];
                    let dot = (0..steps).map(|q| {
                        let (x, w) = (halves(a[i * steps + q]), halves(b[q * NR + j]));
                        x[0] * w[0] + x[1] * w[1]
                    });
                    before[i * ldc + j] + dot.sum::<f32>()
                } else {
                    before[i * ldc + j] // past the tile: untouched
                };
                assert_eq!(c[i * ldc + j], expected, "c[{i}][{j}]");
            }
        }
    }

    #[test]
    fn denormal_inputs_read_as_zero_and_denormal_sums_flush() {
        let tiny = f32::from_bits(0x0040_0000); // a bf16-exact denormal
        assert_eq!(bf16_daz(u32::from(super::super::pack::bf16_bits(tiny))), 0.0);
        assert_eq!(flushed(f32::MIN_POSITIVE / 2.0), 0.0);
        assert_eq!(flushed(-1.5), -1.5);
    }

    #[test]
    #[should_panic(expected = "whole tiles")]
    fn steps_must_be_whole_tiles() {
        let mut c = vec![0.0; MR * NR];
        tile_32x32(&mut Emulated::default(), 3, &[0; MR * 3], &[0; 3 * NR], &mut c, NR);
    }

    fn pair(even: f32, odd: f32) -> u32 {
        use super::super::pack::bf16_bits;
        u32::from(bf16_bits(even)) | u32::from(bf16_bits(odd)) << 16
    }
}
