//! The service's state for other processes (`service.json`, see
//! [`crate::service`]): written when something a reader shows changes, and
//! at most once a second for progress.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use crate::service::{Phase, ServiceState};

/// How often progress alone is written.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// The state and where it goes.
pub(super) struct Publisher {
    state: ServiceState,
    data_dir: Option<PathBuf>,
    last: Instant,
}

impl Publisher {
    /// A service starting now, publishing in `data_dir` (if anywhere).
    pub fn new(data_dir: Option<PathBuf>) -> Self {
        let state = ServiceState {
            pid: std::process::id(),
            started: Some(SystemTime::now()),
            phase: Phase::Starting,
            ..ServiceState::default()
        };
        Self { state, data_dir, last: Instant::now() }
    }

    /// The state, to change (then publish).
    pub fn state(&mut self) -> &mut ServiceState {
        &mut self.state
    }

    /// Writes the state now.
    pub fn publish(&mut self) {
        self.last = Instant::now();
        if let Some(dir) = &self.data_dir {
            let _ = crate::service::publish(dir, &self.state);
        }
    }

    /// Writes the state unless it was written less than a second ago.
    pub fn publish_progress(&mut self) {
        if self.last.elapsed() >= PROGRESS_EVERY {
            self.publish();
        }
    }
}
