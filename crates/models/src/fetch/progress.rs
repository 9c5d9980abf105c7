//! Download progress: bytes, rate and ETA for the whole model, reported at a bounded pace.

use std::time::{Duration, Instant};

/// Shortest interval between two progress reports; the final report is always sent.
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

/// Where a model download stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The file being downloaded.
    pub file: String,
    /// Bytes of the model on disk, including bytes resumed from an earlier run.
    pub done: u64,
    /// Bytes of the whole model, as far as they are known.
    pub total: u64,
    /// Bytes per second received in this run.
    pub rate: u64,
    /// Seconds left at the current rate, once there is a rate.
    pub eta_secs: Option<u64>,
}

/// Counts bytes and decides when a report is due.
pub(crate) struct Tracker<'a> {
    on_progress: &'a mut dyn FnMut(&Progress),
    total: u64,
    /// Bytes of files already complete.
    finished: u64,
    /// Bytes received over the network in this run (the rate's numerator).
    received: u64,
    started: Instant,
    last_report: Option<Instant>,
}

impl<'a> Tracker<'a> {
    /// A tracker for a model of `total` known bytes.
    pub(crate) fn new(total: u64, on_progress: &'a mut dyn FnMut(&Progress)) -> Self {
        Self { on_progress, total, finished: 0, received: 0, started: Instant::now(), last_report: None }
    }

    /// Adds bytes the manifest did not announce (a file of unpublished size).
    pub(crate) fn grow_total(&mut self, bytes: u64) {
        self.total += bytes;
    }

    /// Counts `bytes` just received over the network.
    pub(crate) fn received(&mut self, bytes: u64) {
        self.received += bytes;
    }

    /// Marks a file of `len` bytes complete.
    pub(crate) fn file_done(&mut self, len: u64) {
        self.finished += len;
    }

    /// Reports `file` with `partial` bytes of it on disk, unless a report went out very recently.
    pub(crate) fn report(&mut self, file: &str, partial: u64) {
        let now = Instant::now();
        if self.last_report.is_some_and(|last| now.duration_since(last) < REPORT_INTERVAL) {
            return;
        }
        self.last_report = Some(now);
        self.send(file, self.finished + partial, now);
    }

    /// Sends the last report: everything counted as done.
    pub(crate) fn finish(&mut self, file: &str) {
        self.total = self.total.max(self.finished);
        self.send(file, self.finished, Instant::now());
    }

    fn send(&mut self, file: &str, done: u64, now: Instant) {
        let rate = rate(self.received, now.duration_since(self.started));
        let eta_secs = (rate > 0).then(|| self.total.saturating_sub(done).div_ceil(rate));
        let progress = Progress { file: file.to_owned(), done, total: self.total.max(done), rate, eta_secs };
        (self.on_progress)(&progress);
    }
}

/// Bytes per second; zero until some time has passed.
fn rate(bytes: u64, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs_f64();
    if secs < 1e-3 { 0 } else { (bytes as f64 / secs) as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_throttled_but_the_final_one_is_always_sent() {
        let mut seen = Vec::new();
        let mut record = |progress: &Progress| seen.push(progress.clone());
        let mut tracker = Tracker::new(1000, &mut record);
        for partial in 0..100 {
            tracker.received(10);
            tracker.report("a", partial * 10);
        }
        tracker.file_done(1000);
        tracker.finish("a");
        assert!(seen.len() <= 3, "{} reports in well under 100 ms", seen.len());
        let last = seen.last().expect("a final report");
        assert_eq!((last.done, last.total), (1000, 1000));
    }

    #[test]
    fn rate_is_bytes_over_elapsed_time() {
        assert_eq!(rate(1000, Duration::from_secs(2)), 500);
        assert_eq!(rate(1000, Duration::ZERO), 0);
    }
}
