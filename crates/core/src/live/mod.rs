//! The live library as every shell runs it: the model to use, the watching
//! service, and a model switch carried through to the end. `photofind
//! watch`, `photofind index` and the desktop app's background service are
//! all this; they keep only their arguments and how they show events.
//!
//! ```text
//! ModelChoice ─▶ load ─▶ watch (current [+ next]) ─▶ Covered ─▶ finish_switch ─▶ swap ─▶ watch …
//! ```
//!
//! Writing needs the library's [`WriterLock`]: a second writer cannot be
//! expressed, only refused when it tries to take the lock.

mod choice;
pub mod models;
pub mod text;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub use self::choice::{ModelChoice, ModelError, not_installed};
use crate::service::WriterLock;
use crate::store::Coverage;
use crate::{Embedder, Library, index, watch};

/// Why the live library stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No model to use, or the next one does not load.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The service failed (the index, the watcher).
    #[error(transparent)]
    Watch(#[from] watch::Error),
    /// An indexing run failed.
    #[error(transparent)]
    Index(#[from] index::Error),
    /// The library could not be read.
    #[error(transparent)]
    Library(#[from] crate::Error),
}

/// How a model is made from its directory (the shells pass CLIP's loader).
pub type Loader<'a, M> = &'a (dyn Fn(&Path) -> Result<M, String> + Sync);

/// A library being written, with its model choice.
pub struct Live<'a, M> {
    /// The library.
    pub library: &'a Library,
    /// Its writer lock, held for as long as this runs.
    pub writer: &'a WriterLock,
    /// Which model to use.
    pub choice: &'a ModelChoice,
    /// Loads a model.
    pub load: Loader<'a, M>,
}

/// What a switch's indexing pass came to (see [`Live::switch`]).
#[derive(Debug, Clone)]
pub struct Switch {
    /// The next model.
    pub model: String,
    /// Its run over the library.
    pub summary: index::Summary,
    /// How much of the library it covers now.
    pub coverage: Coverage,
    /// It covered the library and is the model in use now.
    pub finished: bool,
}

impl<M: Embedder> Live<'_, M> {
    /// Loads the model to use, or says how to get one.
    pub fn load_current(&self) -> Result<M, ModelError> {
        let dir = self.choice.current_dir()?;
        self.load_dir(&dir)
    }

    fn load_dir(&self, dir: &Path) -> Result<M, ModelError> {
        (self.load)(dir).map_err(|reason| ModelError::Load { dir: dir.to_owned(), reason })
    }

    /// The model a switch is under way to, loaded.
    fn load_next(&self) -> Result<Option<M>, ModelError> {
        self.choice.next()?.map(|(_, dir)| self.load_dir(&dir)).transpose()
    }

    /// Watches with `current` until `commands` stops it. A switch under way
    /// is carried through: the next model fills its index alongside, and
    /// once it covers the library it becomes the model in use, `swapped`
    /// gets it (searches move to it), and watching goes on with it.
    pub fn watch(
        &self,
        current: Arc<M>,
        options: &watch::Options,
        commands: &watch::Commands,
        on_event: &mut dyn FnMut(watch::Event),
        swapped: &mut dyn FnMut(Arc<M>),
    ) -> Result<(), Error> {
        let mut current = current;
        let mut next = self.load_next()?.map(Arc::new);
        loop {
            let next_model = next.as_deref().map(|n| n as &dyn Embedder);
            match self.library.watch(
                self.writer,
                current.as_ref(),
                next_model,
                options,
                commands,
                on_event,
            )? {
                watch::Ended::Stopped => return Ok(()),
                watch::Ended::Covered { model } => {
                    self.choice.finish_switch(&model)?;
                    let Some(model_now) = next.take() else { return Ok(()) };
                    current = model_now;
                    swapped(current.clone());
                    on_event(watch::Event::Switched { model });
                }
            }
        }
    }

    /// Indexes every root once with `current` (see [`Library::index`]).
    pub fn index(
        &self,
        current: &M,
        options: &index::Options,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(index::Event),
    ) -> Result<index::Summary, Error> {
        Ok(self.library.index(self.writer, current, options, cancel, on_event)?)
    }

    /// When a switch is under way, indexes every root with the next model
    /// too, and makes it the model in use once it covers the library.
    /// `starting` hears the next model's id before its run.
    pub fn switch(
        &self,
        options: &index::Options,
        cancel: &AtomicBool,
        starting: &mut dyn FnMut(&str),
        on_event: &mut dyn FnMut(index::Event),
    ) -> Result<Option<Switch>, Error> {
        let Some(next) = self.load_next()? else { return Ok(None) };
        let model = next.model_id().to_owned();
        starting(&model);
        let summary = self.library.index(self.writer, &next, options, cancel, on_event)?;
        let coverage = self.library.coverage(&model)?;
        let finished = !summary.cancelled && coverage.complete();
        if finished {
            self.choice.finish_switch(&model)?;
        }
        Ok(Some(Switch { model, summary, coverage, finished }))
    }
}
