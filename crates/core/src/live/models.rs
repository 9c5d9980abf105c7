//! The models a library can use, as the CLI's `photofind model` and the
//! window's settings both show and change them: one rule for which model a
//! switch goes to and when search follows.

use std::path::PathBuf;

use photofind_models::{Manifest, Models, StoreError};
use serde::Serialize;

use crate::Library;
use crate::store::Coverage;

/// A model photofind knows: built in, or installed from a manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModelEntry {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it is good at.
    pub description: String,
    /// Download size in bytes.
    pub size: u64,
    /// Every file's size is published (else `size` is a lower bound).
    pub size_known: bool,
    /// Vector length.
    pub dims: u32,
    /// Licence.
    pub license: String,
    /// Where it is installed, if it is.
    #[serde(with = "crate::paths::serde_opt")]
    #[cfg_attr(feature = "ts", ts(type = "PathJson | null"))]
    pub installed: Option<PathBuf>,
    /// Search uses it.
    pub current: bool,
    /// A switch to it is under way.
    pub next: bool,
    /// A text-only model: the image model whose photos it finds with words in
    /// other languages (it is never the model that indexes). `None` for a CLIP model.
    pub reads_for: Option<String>,
}

/// The built-in models and any other installed one, with their states.
pub fn list(models: &Models) -> Result<Vec<ModelEntry>, StoreError> {
    let (current, next) = (models.current()?, models.next()?);
    let installed = models.installed()?;
    let mut manifests = Manifest::builtin();
    for model in &installed {
        if !manifests.iter().any(|m| m.id == model.id)
            && let Ok(manifest) = model.manifest()
        {
            manifests.push(manifest);
        }
    }
    Ok(manifests
        .into_iter()
        .map(|m| ModelEntry {
            installed: installed.iter().find(|i| i.id == m.id).map(|i| i.path.clone()),
            current: m.id == current,
            next: next.as_deref() == Some(m.id.as_str()),
            size: m.total_size(),
            size_known: m.files.iter().all(|f| f.size.is_some()),
            dims: m.dims,
            id: m.id,
            name: m.name,
            description: m.description,
            license: m.license,
            reads_for: m.space,
        })
        .collect())
}

/// What asking to use a model did.
#[derive(Debug, Clone, PartialEq)]
pub enum Switched {
    /// It is the model in use already (any switch away from it is abandoned).
    AlreadyInUse,
    /// Search uses it now; `coverage` is its index's share of the library.
    Now {
        /// Photos it has vectors for, of all.
        coverage: Coverage,
    },
    /// A switch started: its index fills in the background while search
    /// keeps the current model, and search follows once it covers the library.
    Started {
        /// The model search keeps meanwhile.
        current: String,
        /// How far its index is.
        coverage: Coverage,
    },
}

/// Why a model cannot be used or removed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The models directory failed, or the model is not installed.
    #[error(transparent)]
    Models(#[from] StoreError),
    /// The library could not be read.
    #[error(transparent)]
    Library(#[from] crate::Error),
    /// The model to remove is the one a switch fills: the running service holds it.
    #[error("a switch to {id} is under way: cancel it (use the current model) before removing {id}")]
    Switching {
        /// The model id.
        id: String,
    },
}

/// Switches to installed model `id`: at once when nothing would become
/// unsearchable (an empty library, an index that covers it) or when `now`;
/// else starts a switch that indexing finishes.
pub fn switch(library: &Library, models: &Models, id: &str, now: bool) -> Result<Switched, Error> {
    if models.path(id).is_none() {
        return Err(StoreError::NotInstalled { id: id.to_owned(), root: models.root().to_owned() }.into());
    }
    let current = models.current()?;
    if id == current {
        models.clear_next()?;
        return Ok(Switched::AlreadyInUse);
    }
    let coverage = library.coverage(id)?;
    if now || coverage.complete() {
        models.finish_switch(id)?;
        return Ok(Switched::Now { coverage });
    }
    models.set_next(id)?;
    Ok(Switched::Started { current, coverage })
}

/// Removes model `id`: its files and its index in `library` (never the
/// model in use, nor the one a switch is filling). Returns the vectors its index held.
pub fn remove(library: &Library, models: &Models, id: &str) -> Result<Option<u64>, Error> {
    if models.next()?.as_deref() == Some(id) {
        return Err(Error::Switching { id: id.to_owned() });
    }
    models.remove(id)?;
    Ok(library.drop_model(id)?)
}
