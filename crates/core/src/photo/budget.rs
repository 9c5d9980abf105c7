//! A memory budget that the decoding workers share: each reserves what its
//! photo will take (the file's bytes and the decoded pixels) before it
//! reads, and waits while the others hold too much. One photo larger than
//! the whole budget still runs, alone, so no photo waits forever.

use std::sync::{Condvar, Mutex, PoisonError};

use super::{big, header, jpeg_denom};

/// Bytes the decoding workers may hold at once.
#[derive(Debug)]
pub struct DecodeBudget {
    limit: u64,
    held: Mutex<u64>,
    freed: Condvar,
}

/// Bytes reserved from a [`DecodeBudget`]; given back when dropped.
#[derive(Debug)]
pub struct Reserved<'a> {
    budget: &'a DecodeBudget,
    bytes: u64,
}

impl DecodeBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Self {
        Self { limit, held: Mutex::new(0), freed: Condvar::new() }
    }

    /// Waits until `bytes` fit (or nothing else is held), then holds them.
    pub fn reserve(&self, bytes: u64) -> Reserved<'_> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        while *held > 0 && *held + bytes > self.limit {
            held = self.freed.wait(held).unwrap_or_else(PoisonError::into_inner);
        }
        *held += bytes;
        Reserved { budget: self, bytes }
    }

    /// Bytes held now.
    pub fn held(&self) -> u64 {
        *self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        let mut held = self.budget.held.lock().unwrap_or_else(PoisonError::into_inner);
        *held -= self.bytes;
        self.budget.freed.notify_all();
    }
}

/// Roughly what decoding `bytes` for a model whose input's shorter side is
/// `short_side` holds at its peak besides the file itself: the decoder's
/// output (up to 8 bytes a pixel for 16-bit RGBA) and the 8-bit RGB copy; a
/// fraction of that for a DCT-scaled JPEG, a few rows for a streamed PNG.
pub fn decode_peak(bytes: &[u8], short_side: u32) -> u64 {
    let Some((width, height, per_pixel)) = header(bytes) else { return 0 };
    let pixels = u64::from(width) * u64::from(height);
    let full = pixels * (per_pixel + 3);
    let min_short = short_side.saturating_mul(2);
    match image::guess_format(bytes) {
        Ok(image::ImageFormat::Jpeg) if short_side > 0 => {
            let denom = jpeg_denom(width, height, min_short).unwrap_or(1);
            full / (denom * denom)
        }
        Ok(image::ImageFormat::Png) if short_side > 0 && big::streams(bytes, width, height, min_short) => {
            u64::from(width) * 16
        }
        _ => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_reservation_waits_until_others_give_back() {
        let budget = Arc::new(DecodeBudget::new(100));
        let first = budget.reserve(80);
        let waiting = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || {
                let _second = budget.reserve(50);
                budget.held()
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(budget.held(), 80, "the second reservation must wait");
        drop(first);
        assert_eq!(waiting.join().expect("joins"), 50);
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn a_photo_larger_than_the_budget_runs_alone() {
        let budget = DecodeBudget::new(10);
        let big = budget.reserve(1000);
        assert_eq!(budget.held(), 1000);
        drop(big);
    }
}
