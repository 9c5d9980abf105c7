//! Telling a running service what to do, from any thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender, unbounded};

/// What the service can be told while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Command {
    Stop,
    Pause,
    Resume,
    Rescan,
    RootsChanged,
}

/// A handle to a running service, for any thread: cheap to clone.
#[derive(Debug, Clone)]
pub struct Control {
    commands: Sender<Command>,
    interrupt: Arc<AtomicBool>,
    stopping: Arc<AtomicBool>,
}

/// The service's end of [`Control`].
#[derive(Debug)]
pub struct Commands {
    pub(super) commands: Receiver<Command>,
    pub(super) interrupt: Arc<AtomicBool>,
    pub(super) stopping: Arc<AtomicBool>,
}

/// A control and the commands it sends.
pub fn control() -> (Control, Commands) {
    let (tx, rx) = unbounded();
    let (interrupt, stopping) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let commands = Commands { commands: rx, interrupt: interrupt.clone(), stopping: stopping.clone() };
    (Control { commands: tx, interrupt, stopping }, commands)
}

impl Control {
    /// Stops the service after the current batch commits.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.interrupt.store(true, Ordering::SeqCst);
        let _ = self.commands.send(Command::Stop);
    }

    /// Pauses indexing (changes are still noted) after the current batch.
    pub fn pause(&self) {
        self.interrupt.store(true, Ordering::SeqCst);
        let _ = self.commands.send(Command::Pause);
    }

    /// Resumes indexing, catching up on what changed meanwhile.
    pub fn resume(&self) {
        let _ = self.commands.send(Command::Resume);
    }

    /// Rescans every root.
    pub fn rescan(&self) {
        let _ = self.commands.send(Command::Rescan);
    }

    /// Re-reads the library's roots (after one was added or removed).
    pub fn roots_changed(&self) {
        let _ = self.commands.send(Command::RootsChanged);
    }
}

impl Commands {
    /// Makes commands that stopped a service ready to run it again: for a
    /// shell restarting it (e.g. to start a model switch). What was sent
    /// before is dropped; a new run reads the roots and the model anew.
    pub fn rearm(&self) {
        while self.commands.try_recv().is_ok() {}
        self.stopping.store(false, Ordering::SeqCst);
        self.interrupt.store(false, Ordering::SeqCst);
    }

    /// The service was told to stop.
    pub(super) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// A command waits to be read.
    pub(super) fn waiting(&self) -> bool {
        !self.commands.is_empty()
    }
}
