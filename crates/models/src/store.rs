//! The installed models: one directory per model under `data_dir/models`.
//!
//! A model directory counts as installed only when it holds `manifest.toml`. The downloader
//! writes that file last and moves the whole directory into place with one rename, so a model
//! that is still downloading, or whose download failed, never looks installed.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::StoreError;
use crate::manifest::{DEFAULT_MODEL_ID, Manifest, ModelKind, is_valid_id};

/// Name of the manifest file that marks a model directory complete.
pub const MANIFEST_FILE: &str = "manifest.toml";

/// Name of the one-line file holding the id of the model in use.
const CURRENT_FILE: &str = "current";

/// Name of the one-line file holding the id of the model being switched to.
const NEXT_FILE: &str = "next";

/// Directory (under the models directory) where downloads are assembled.
const PARTIAL_DIR: &str = ".partial";

/// The models directory of a data directory.
#[derive(Debug, Clone)]
pub struct Models {
    root: PathBuf,
}

/// A complete model directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledModel {
    /// The model id (the directory name).
    pub id: String,
    /// The model directory: a checkpoint `--model` accepts.
    pub path: PathBuf,
    /// What it embeds, from its manifest (`clip` if the manifest cannot be read).
    pub kind: ModelKind,
    /// For a text model, the image model whose vector space it embeds into.
    pub space: Option<String>,
}

impl InstalledModel {
    /// Reads the manifest the model was installed with.
    pub fn manifest(&self) -> Result<Manifest, crate::ManifestError> {
        Manifest::load(&self.path.join(MANIFEST_FILE))
    }
}

impl Models {
    /// The store of `data_dir`; models live in `data_dir/models`. Nothing is created yet.
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("models") }
    }

    /// The models directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The complete models, sorted by id. A missing models directory means none.
    pub fn installed(&self) -> Result<Vec<InstalledModel>, StoreError> {
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(StoreError::io(&self.root)(err)),
        };
        let mut models = Vec::new();
        for entry in entries {
            let entry = entry.map_err(StoreError::io(&self.root))?;
            let Some(id) = entry.file_name().to_str().map(str::to_owned) else { continue };
            if let Some(path) = self.path(&id) {
                models.push(installed_model(id, path));
            }
        }
        models.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(models)
    }

    /// The installed text models whose vectors land in the space of image model `space`,
    /// sorted by id: the query models a library indexed with `space` can use.
    pub fn text_models_for(&self, space: &str) -> Result<Vec<InstalledModel>, StoreError> {
        let mut models = self.installed()?;
        models.retain(|model| model.kind == ModelKind::Text && model.space.as_deref() == Some(space));
        Ok(models)
    }

    /// The directory of model `id` if it is installed (complete).
    pub fn path(&self, id: &str) -> Option<PathBuf> {
        let dir = self.model_dir(id)?;
        dir.join(MANIFEST_FILE).is_file().then_some(dir)
    }

    /// The id of the model in use: the one last set, or [`DEFAULT_MODEL_ID`].
    ///
    /// The model need not be installed; [`Models::path`] says whether it is.
    pub fn current(&self) -> Result<String, StoreError> {
        let path = self.root.join(CURRENT_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => {
                Ok(Some(text.trim()).filter(|id| is_valid_id(id)).unwrap_or(DEFAULT_MODEL_ID).to_owned())
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(DEFAULT_MODEL_ID.to_owned()),
            Err(err) => Err(StoreError::io(path)(err)),
        }
    }

    /// Makes installed model `id` the one in use; refuses a model that is not installed, and a
    /// text model ([`StoreError::TextOnly`]): the model in use indexes the photos.
    pub fn set_current(&self, id: &str) -> Result<(), StoreError> {
        self.check_image_model(id)?;
        write_atomically(&self.root.join(CURRENT_FILE), format!("{id}\n").as_bytes())
            .map_err(StoreError::io(self.root.join(CURRENT_FILE)))
    }

    /// The model being switched to, if a switch is under way: its index
    /// fills while searches keep using [`Models::current`] (see
    /// [`Models::finish_switch`]).
    pub fn next(&self) -> Result<Option<String>, StoreError> {
        let path = self.root.join(NEXT_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text.trim().to_owned()).filter(|id| is_valid_id(id))),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(StoreError::io(path)(err)),
        }
    }

    /// The switch under way, as (model id, its directory), when it can go
    /// on: a switch to a model that is no longer installed, or that is
    /// already in use, is abandoned here.
    pub fn pending_switch(&self) -> Result<Option<(String, PathBuf)>, StoreError> {
        let Some(id) = self.next()? else { return Ok(None) };
        match self.path(&id).filter(|_| self.current().is_ok_and(|current| current != id)) {
            Some(dir) => Ok(Some((id, dir))),
            None => self.clear_next().map(|()| None),
        }
    }

    /// Starts a switch to installed model `id` (replacing any other under way); refuses a text
    /// model as [`Models::set_current`] does.
    pub fn set_next(&self, id: &str) -> Result<(), StoreError> {
        self.check_image_model(id)?;
        write_atomically(&self.root.join(NEXT_FILE), format!("{id}\n").as_bytes())
            .map_err(StoreError::io(self.root.join(NEXT_FILE)))
    }

    /// Abandons the switch under way, if any.
    pub fn clear_next(&self) -> Result<(), StoreError> {
        let path = self.root.join(NEXT_FILE);
        match fs::remove_file(&path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(StoreError::io(path)(err)),
            _ => Ok(()),
        }
    }

    /// Makes `id` the model in use and ends the switch to it: from now on
    /// searches use it.
    pub fn finish_switch(&self, id: &str) -> Result<(), StoreError> {
        self.set_current(id)?;
        if self.next()?.as_deref() == Some(id) {
            self.clear_next()?;
        }
        Ok(())
    }

    /// Deletes installed model `id` (moved aside first, so a half-deleted
    /// model is never taken for an installed one). The model in use is
    /// refused; `Ok(false)` when it was not installed.
    pub fn remove(&self, id: &str) -> Result<bool, StoreError> {
        if self.current()? == id {
            return Err(StoreError::InUse { id: id.to_owned() });
        }
        let Some(dir) = self.path(id) else { return Ok(false) };
        if self.next()?.as_deref() == Some(id) {
            self.clear_next()?;
        }
        let retired = self.retired_dir(id);
        if let Some(parent) = retired.parent() {
            fs::create_dir_all(parent).map_err(StoreError::io(parent))?;
        }
        fs::rename(&dir, &retired).map_err(StoreError::io(&dir))?;
        fs::remove_dir_all(&retired).map_err(StoreError::io(&retired))?;
        Ok(true)
    }

    /// `id` is installed and can index photos.
    fn check_image_model(&self, id: &str) -> Result<(), StoreError> {
        let Some(path) = self.path(id) else {
            return Err(StoreError::NotInstalled { id: id.to_owned(), root: self.root.clone() });
        };
        match installed_model(id.to_owned(), path) {
            InstalledModel { kind: ModelKind::Text, space, .. } => {
                Err(StoreError::TextOnly { id: id.to_owned(), space: space.unwrap_or_default() })
            }
            _ => Ok(()),
        }
    }

    /// Where model `id` lives once installed; `None` for an id that is not a safe directory name.
    pub(crate) fn model_dir(&self, id: &str) -> Option<PathBuf> {
        is_valid_id(id).then(|| self.root.join(id))
    }

    /// Where a download of model `id` is assembled; `None` for an id that is not a safe
    /// directory name. Files put here by hand are checked by the next fetch and used instead of
    /// being downloaded.
    pub fn download_dir(&self, id: &str) -> Option<PathBuf> {
        is_valid_id(id).then(|| download_dir(&self.root, id))
    }

    /// Where a replaced model directory is moved before it is deleted.
    pub(crate) fn retired_dir(&self, id: &str) -> PathBuf {
        self.root.join(PARTIAL_DIR).join(format!("{id}.replaced-{}", std::process::id()))
    }
}

/// An installed model, with the kind its manifest gives.
fn installed_model(id: String, path: PathBuf) -> InstalledModel {
    let manifest = Manifest::load(&path.join(MANIFEST_FILE)).ok();
    let (kind, space) = manifest.map_or((ModelKind::Clip, None), |m| (m.kind, m.space));
    InstalledModel { id, path, kind, space }
}

/// Where a download of model `id` is assembled in the models directory `root`.
pub(crate) fn download_dir(root: &Path, id: &str) -> PathBuf {
    root.join(PARTIAL_DIR).join(id)
}

/// Writes `path` through a temporary file and a rename, so readers see the old or the new
/// contents, never a mix.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("file");
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut file = fs::File::create(&temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, path).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}
