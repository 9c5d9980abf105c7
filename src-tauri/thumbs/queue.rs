//! The thumbnail makers: a few threads that take requests newest first.
//!
//! Scrolling fast through a thousand results asks for hundreds of thumbnails in a second, and
//! the page wants the ones in view now, which are the newest requests. The webview does not
//! tell a scheme handler that it gave up on a request, so the queue assumes it: the newest
//! request runs first, the oldest is dropped when too many wait, and one that waited longer
//! than [`Limits::max_wait`] is dropped when its turn comes. A dropped request is answered at
//! once (the page asks again for a thumbnail it still shows); nothing waits unanswered.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Work for the pool.
pub trait Job: Send + 'static {
    /// Does the work and answers the request.
    fn run(self);
    /// Answers that the request was dropped without being run.
    fn drop_unrun(self);
}

/// How much the pool does at once, and how much it keeps waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Jobs run at once (threads).
    pub workers: usize,
    /// Jobs kept waiting at most; beyond it the oldest is dropped.
    pub waiting: usize,
    /// A job that waited longer is dropped instead of run.
    pub max_wait: Duration,
}

/// Waiting jobs, newest at the back.
struct Stack<J> {
    jobs: VecDeque<(Instant, J)>,
    limits: Limits,
}

impl<J> Stack<J> {
    fn new(limits: Limits) -> Self {
        Self { jobs: VecDeque::new(), limits }
    }

    /// Adds a job that arrived at `now`; returns the oldest one when too many wait.
    fn push(&mut self, job: J, now: Instant) -> Option<J> {
        self.jobs.push_back((now, job));
        if self.jobs.len() > self.limits.waiting.max(1) {
            self.jobs.pop_front().map(|(_, job)| job)
        } else {
            None
        }
    }

    /// The newest job, and those that waited too long by `now` (dropped, oldest first).
    fn pop(&mut self, now: Instant) -> (Option<J>, Vec<J>) {
        let mut stale = Vec::new();
        while let Some((since, _)) = self.jobs.front()
            && now.saturating_duration_since(*since) > self.limits.max_wait
        {
            stale.extend(self.jobs.pop_front().map(|(_, job)| job));
        }
        (self.jobs.pop_back().map(|(_, job)| job), stale)
    }
}

struct State<J> {
    stack: Stack<J>,
    closed: bool,
}

struct Shared<J> {
    state: Mutex<State<J>>,
    wake: Condvar,
}

impl<J> Shared<J> {
    fn lock(&self) -> MutexGuard<'_, State<J>> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A fixed set of threads running [`Job`]s newest first.
pub struct Pool<J: Job> {
    shared: Arc<Shared<J>>,
    workers: Vec<JoinHandle<()>>,
}

impl<J: Job> Pool<J> {
    /// Starts `limits.workers` threads (at least one).
    pub fn new(name: &str, limits: Limits) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State { stack: Stack::new(limits), closed: false }),
            wake: Condvar::new(),
        });
        let workers = (0..limits.workers.max(1))
            .filter_map(|i| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new().name(format!("{name}-{i}")).spawn(move || work(&shared)).ok()
            })
            .collect();
        Self { shared, workers }
    }

    /// Queues a job; the oldest waiting one may be dropped to make room.
    pub fn push(&self, job: J) {
        let mut state = self.shared.lock();
        if state.closed {
            drop(state);
            return job.drop_unrun();
        }
        let evicted = state.stack.push(job, Instant::now());
        drop(state);
        self.shared.wake.notify_one();
        if let Some(old) = evicted {
            old.drop_unrun();
        }
    }
}

impl<J: Job> Drop for Pool<J> {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn work<J: Job>(shared: &Shared<J>) {
    loop {
        let mut state = shared.lock();
        while state.stack.jobs.is_empty() && !state.closed {
            state = shared.wake.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        if state.closed {
            let left: Vec<J> = state.stack.jobs.drain(..).map(|(_, job)| job).collect();
            drop(state);
            return left.into_iter().for_each(Job::drop_unrun);
        }
        let (job, stale) = state.stack.pop(Instant::now());
        drop(state);
        stale.into_iter().for_each(Job::drop_unrun);
        if let Some(job) = job {
            // A decoder that panics must not take a thread of the few with it.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job.run()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    const LIMITS: Limits = Limits { workers: 1, waiting: 3, max_wait: Duration::from_secs(10) };

    #[test]
    fn the_newest_request_is_taken_first() {
        let mut stack = Stack::new(LIMITS);
        let now = Instant::now();
        for job in 1..=3 {
            assert_eq!(stack.push(job, now), None);
        }
        assert_eq!(stack.pop(now), (Some(3), vec![]));
        assert_eq!(stack.pop(now), (Some(2), vec![]));
    }

    #[test]
    fn too_many_waiting_drops_the_oldest() {
        let mut stack = Stack::new(LIMITS);
        let now = Instant::now();
        let evicted: Vec<_> = (1..=5).filter_map(|job| stack.push(job, now)).collect();
        assert_eq!(evicted, [1, 2]);
        assert_eq!(stack.pop(now), (Some(5), vec![]));
    }

    #[test]
    fn a_request_that_waited_too_long_is_dropped_not_run() {
        let mut stack = Stack::new(LIMITS);
        let start = Instant::now();
        stack.push("old", start);
        stack.push("older-than-wait", start);
        stack.push("fresh", start + Duration::from_secs(9));
        let later = start + Duration::from_secs(11);
        assert_eq!(stack.pop(later), (Some("fresh"), vec!["old", "older-than-wait"]));
        assert_eq!(stack.pop(later), (None, vec![]));
    }

    /// Counts how many run at once; each waits for the test's go.
    struct Probe {
        running: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
        done: mpsc::Sender<Result<usize, usize>>,
        id: usize,
        hold: Duration,
    }

    impl Job for Probe {
        fn run(self) {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(self.hold);
            self.running.fetch_sub(1, Ordering::SeqCst);
            let _ = self.done.send(Ok(self.id));
        }

        fn drop_unrun(self) {
            let _ = self.done.send(Err(self.id));
        }
    }

    struct Probes {
        jobs: Vec<Probe>,
        answers: mpsc::Receiver<Result<usize, usize>>,
        running: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
    }

    fn probes(count: usize, hold: Duration) -> Probes {
        let (tx, answers) = mpsc::channel();
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let jobs = (0..count)
            .map(|id| Probe { running: running.clone(), most: most.clone(), done: tx.clone(), id, hold })
            .collect();
        Probes { jobs, answers, running, most }
    }

    #[test]
    fn no_more_than_the_workers_run_at_once_and_every_request_is_answered() {
        let limits = Limits { workers: 3, waiting: 100, max_wait: Duration::from_secs(60) };
        let pool = Pool::new("test", limits);
        let Probes { jobs, answers, most, .. } = probes(24, Duration::from_millis(20));
        jobs.into_iter().for_each(|job| pool.push(job));
        let answered: Vec<_> =
            (0..24).map(|_| answers.recv_timeout(Duration::from_secs(10)).expect("answered")).collect();
        assert!(answered.iter().all(Result::is_ok), "{answered:?}");
        assert!(most.load(Ordering::SeqCst) <= 3, "{} ran at once", most.load(Ordering::SeqCst));
    }

    #[test]
    fn a_burst_is_served_newest_first_and_the_overflow_answered_at_once() {
        let limits = Limits { workers: 1, waiting: 4, max_wait: Duration::from_secs(60) };
        let pool = Pool::new("test", limits);
        let Probes { mut jobs, answers, running, .. } = probes(10, Duration::from_millis(200));
        pool.push(jobs.remove(0));
        // The one worker is busy with the first: the rest wait, and only 4 of them fit.
        let deadline = Instant::now() + Duration::from_secs(10);
        while running.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        jobs.into_iter().for_each(|job| pool.push(job));
        let answered: Vec<_> =
            (0..10).map(|_| answers.recv_timeout(Duration::from_secs(10)).expect("answered")).collect();
        assert_eq!(answered, [Err(1), Err(2), Err(3), Err(4), Err(5), Ok(0), Ok(9), Ok(8), Ok(7), Ok(6)]);
    }
}
