//! When the indexing service runs again: after a failure, on a backoff ([`Backoff`]), woken
//! early by a stop or a restart ([`Stop`]).

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// When a failed service starts again: after 1 s, 2 s, 4 s … up to `cap`; after a run that
/// lasted `healthy`, from 1 s again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    healthy: Duration,
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(300), Duration::from_secs(600))
    }
}

impl Backoff {
    /// Doubles from `base` up to `cap`; resets after a run of `healthy`.
    pub fn new(base: Duration, cap: Duration, healthy: Duration) -> Self {
        Self { base, cap, healthy, next: base }
    }

    /// How long to wait after a run that failed once it had run for `ran_for`.
    pub fn after_failure(&mut self, ran_for: Duration) -> Duration {
        if ran_for >= self.healthy {
            self.next = self.base;
        }
        let delay = self.next;
        self.next = (self.next * 2).min(self.cap);
        delay
    }
}

/// A stop that also ends a wait between runs; a poke ends the wait only (a restart).
#[derive(Debug, Default)]
pub(crate) struct Stop {
    /// (stopped, poked).
    state: Mutex<(bool, bool)>,
    wake: Condvar,
}

impl Stop {
    fn state(&self) -> MutexGuard<'_, (bool, bool)> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn set(&self) {
        self.state().0 = true;
        self.wake.notify_all();
    }

    pub(crate) fn poke(&self) {
        self.state().1 = true;
        self.wake.notify_all();
    }

    pub(crate) fn is_set(&self) -> bool {
        self.state().0
    }

    /// Waits `delay` unless stopped or poked first; whether it was stopped.
    pub(crate) fn wait(&self, delay: Duration) -> bool {
        let (mut state, _) = self
            .wake
            .wait_timeout_while(self.state(), delay, |(stopped, poked)| !*stopped && !*poked)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.1 = false;
        state.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;
    use std::time::Instant;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_restart_ends_the_wait_after_a_failure_but_only_a_stop_stops() {
        let stop = Stop::default();
        stop.poke();
        let started = Instant::now();
        assert!(!stop.wait(secs(60)), "a poke is not a stop");
        assert!(started.elapsed() < secs(30), "the poke ended the wait");
        stop.set();
        assert!(stop.wait(secs(60)) && stop.is_set());
    }

    #[test]
    fn restarts_back_off_doubling_up_to_the_cap() {
        let mut backoff = Backoff::new(secs(1), secs(30), secs(600));
        let delays: Vec<u64> = (0..8).map(|_| backoff.after_failure(secs(2)).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn a_healthy_run_starts_the_backoff_over() {
        let mut backoff = Backoff::new(secs(1), secs(300), secs(600));
        for _ in 0..5 {
            backoff.after_failure(secs(1));
        }
        assert_eq!(backoff.after_failure(secs(601)), secs(1));
        assert_eq!(backoff.after_failure(secs(3)), secs(2));
    }

    #[test]
    fn the_default_backoff_waits_a_second_first_and_a_few_minutes_at_most() {
        let mut backoff = Backoff::default();
        assert_eq!(backoff.after_failure(Duration::ZERO), secs(1));
        let last = (0..20).map(|_| backoff.after_failure(Duration::ZERO)).last();
        assert_eq!(last, Some(secs(300)));
    }

    #[test]
    fn a_stop_ends_the_wait_between_runs() {
        let stop = Arc::new(Stop::default());
        let waiting = Arc::clone(&stop);
        let started = Instant::now();
        let waiter = std::thread::spawn(move || waiting.wait(secs(60)));
        std::thread::sleep(Duration::from_millis(50));
        stop.set();
        assert!(waiter.join().expect("joins"));
        assert!(started.elapsed() < secs(10));
        assert!(!Stop::default().wait(Duration::from_millis(10)), "no stop: the wait runs out");
    }
}
