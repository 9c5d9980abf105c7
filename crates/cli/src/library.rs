//! Opening the library and the model the way every subcommand does: the
//! rules (which model, which data dir) are core's (`photofind_core::live`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use photofind_clip::Clip;
use photofind_core::live::{Live, ModelChoice};
use photofind_core::service::WriterLock;
use photofind_core::store::ModelKey;
use photofind_core::{Embedder, Library, default_data_dir};

use crate::Common;

/// A library opened to write it, with its writer lock and model.
pub struct Writable {
    pub library: Library,
    pub writer: WriterLock,
    pub choice: ModelChoice,
    pub clip: Clip,
}

impl Writable {
    /// The live library over it (see [`photofind_core::live`]).
    pub fn live(&self) -> Live<'_, Clip> {
        Live { library: &self.library, writer: &self.writer, choice: &self.choice, load: &load }
    }
}

/// Loads CLIP from `dir`.
pub fn load(dir: &Path) -> std::result::Result<Clip, String> {
    Clip::load(dir).map_err(|e| e.to_string())
}

impl Common {
    /// The data directory: --data-dir, PHOTOFIND_DATA_DIR, or the platform default.
    pub fn data_dir(&self) -> Result<PathBuf> {
        self.data_dir
            .clone()
            .or_else(default_data_dir)
            .context("no data directory: pass --data-dir DIR or set PHOTOFIND_DATA_DIR")
    }

    /// Which model: --model / PHOTOFIND_MODEL, else the installed model in use.
    pub fn choice(&self) -> Result<ModelChoice> {
        Ok(ModelChoice::new(&self.data_dir()?, self.model.clone()))
    }

    /// Loads the model, or says how to get one.
    pub fn clip(&self) -> Result<Clip> {
        let choice = self.choice()?;
        let dir = choice.current_dir()?;
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
    pub fn writable_library(&self, what: &str, folders: &[PathBuf]) -> Result<Writable> {
        let clip = self.clip()?;
        let key = ModelKey { id: clip.model_id().to_owned(), dims: clip.dims() };
        let library = open(self.data_dir()?, Some(&key))?;
        let writer = library.lock_writer(&format!("photofind {what}"))?;
        for folder in folders {
            library.add_root(folder)?;
        }
        if library.roots()?.is_empty() {
            anyhow::bail!("the library has no folders: run `photofind {what} FOLDER...`");
        }
        Ok(Writable { library, writer, choice: self.choice()?, clip })
    }
}

fn open(dir: PathBuf, model: Option<&ModelKey>) -> Result<Library> {
    Library::open(&dir, model).with_context(|| format!("cannot open the library in {}", dir.display()))
}
