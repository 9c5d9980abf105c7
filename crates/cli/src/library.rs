//! Opening the library and the model the way every subcommand does.

use std::path::PathBuf;

use anyhow::{Context, Result};
use photofind_clip::Clip;
use photofind_core::store::ModelKey;
use photofind_core::{Embedder, Library, default_data_dir};

use crate::Common;

impl Common {
    /// The data directory: --data-dir, PHOTOFIND_DATA_DIR, or the platform default.
    pub fn data_dir(&self) -> Result<PathBuf> {
        self.data_dir
            .clone()
            .or_else(default_data_dir)
            .context("no data directory: pass --data-dir DIR or set PHOTOFIND_DATA_DIR")
    }

    /// The model directory: --model, PHOTOFIND_MODEL, or the installed
    /// model in use (`photofind model use`); else what to do about it.
    pub fn model_dir(&self) -> Result<PathBuf> {
        if let Some(dir) = &self.model {
            return Ok(dir.clone());
        }
        let models = photofind_models::Models::new(&self.data_dir()?);
        let id = models.current()?;
        models.path(&id).with_context(|| format!("no model: {}", crate::model::not_installed(&models, &id)))
    }

    /// Loads the model, or says how to get one.
    pub fn clip(&self) -> Result<Clip> {
        let dir = self.model_dir()?;
        Clip::load(&dir).with_context(|| format!("cannot load the model in {}", dir.display()))
    }

    /// Opens the library without a model (metadata only), to change it.
    pub fn library(&self) -> Result<Library> {
        open(self.data_dir()?, None)
    }

    /// Opens the library to read it: nothing is written (status, search,
    /// `roots list` work on a read-only disk and beside a running writer).
    pub fn reading_library(&self) -> Result<Library> {
        let dir = self.data_dir()?;
        Library::open_read(&dir).with_context(|| format!("cannot open the library in {}", dir.display()))
    }

    /// Loads the model and opens the library to search it (nothing written).
    pub fn searching_library(&self) -> Result<(Library, Clip)> {
        let clip = self.clip()?;
        Ok((self.reading_library()?, clip))
    }

    /// Opens the library to write it: model loaded, the writer lock held
    /// (another indexing process is named, not raced), `folders` added as
    /// roots, and at least one root there. `what` is the subcommand, for the
    /// lock and the messages.
    pub fn writable_library(
        &self,
        what: &str,
        folders: &[PathBuf],
    ) -> Result<(Library, Clip, photofind_core::service::WriterLock)> {
        let (library, clip) = self.library_with_model()?;
        let writer = library.lock_writer(&format!("photofind {what}"))?;
        for folder in folders {
            library.add_root(folder)?;
        }
        if library.roots()?.is_empty() {
            anyhow::bail!("the library has no folders: run `photofind {what} FOLDER...`");
        }
        Ok((library, clip, writer))
    }

    /// The model a switch is under way to (`photofind model use`), loaded,
    /// when this process should fill its index: only when the model in use
    /// is the installed one (not --model / PHOTOFIND_MODEL). A switch to a
    /// model that is gone, or already in use, is abandoned.
    pub fn next_clip(&self) -> Result<Option<Clip>> {
        if self.model.is_some() {
            return Ok(None);
        }
        let Some((_, dir)) = photofind_models::Models::new(&self.data_dir()?).pending_switch()? else {
            return Ok(None);
        };
        let clip = Clip::load(&dir).with_context(|| format!("cannot load the model in {}", dir.display()))?;
        Ok(Some(clip))
    }

    /// Ends a switch: `id` is the model in use from now on.
    pub fn finish_switch(&self, id: &str) -> Result<()> {
        Ok(photofind_models::Models::new(&self.data_dir()?).finish_switch(id)?)
    }

    /// Loads the model and opens the library for it.
    pub fn library_with_model(&self) -> Result<(Library, Clip)> {
        let clip = self.clip()?;
        let key = ModelKey { id: clip.model_id().to_owned(), dims: clip.dims() };
        Ok((open(self.data_dir()?, Some(&key))?, clip))
    }
}

fn open(dir: PathBuf, model: Option<&ModelKey>) -> Result<Library> {
    Library::open(&dir, model).with_context(|| format!("cannot open the library in {}", dir.display()))
}
