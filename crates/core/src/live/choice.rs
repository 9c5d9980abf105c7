//! Which model a library uses: the one pinned (`--model`, `PHOTOFIND_MODEL`:
//! a pinned model never switches), else the installed model in use
//! (`photofind model use`), and the one a switch is under way to.

use std::path::{Path, PathBuf};

use photofind_models::{Manifest, Models, StoreError};

/// Why there is no model to use.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The model in use is not installed; the message says how to get it.
    #[error("no model: {message}")]
    Missing {
        /// What to do, for a person.
        message: String,
    },
    /// The installed-models store cannot be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The model's files are there but do not load.
    #[error("cannot load the model in {}: {reason}", dir.display())]
    Load {
        /// The model's directory.
        dir: PathBuf,
        /// What the loader said.
        reason: String,
    },
}

/// The model choice of one library.
#[derive(Debug, Clone)]
pub struct ModelChoice {
    models: Models,
    pinned: Option<PathBuf>,
}

impl ModelChoice {
    /// The choice for the library in `data_dir`: `pinned` when given, else
    /// `PHOTOFIND_MODEL`, else the installed model in use.
    pub fn new(data_dir: &Path, pinned: Option<PathBuf>) -> Self {
        let pinned = pinned.or_else(|| std::env::var_os("PHOTOFIND_MODEL").map(PathBuf::from));
        Self { models: Models::new(data_dir), pinned }
    }

    /// The installed models.
    pub fn models(&self) -> &Models {
        &self.models
    }

    /// Whether the model is pinned to a directory (then it never switches).
    pub fn is_pinned(&self) -> bool {
        self.pinned.is_some()
    }

    /// The directory of the model to use, or what to do to get one.
    pub fn current_dir(&self) -> Result<PathBuf, ModelError> {
        if let Some(dir) = &self.pinned {
            return Ok(dir.clone());
        }
        let id = self.models.current()?;
        self.models.path(&id).ok_or_else(|| ModelError::Missing { message: self.missing_message() })
    }

    /// The installed model a switch is under way to, unless the model is pinned.
    pub fn next(&self) -> Result<Option<(String, PathBuf)>, ModelError> {
        if self.is_pinned() {
            return Ok(None);
        }
        Ok(self.models.pending_switch()?)
    }

    /// Ends a switch: `id` is the model in use from now on.
    pub fn finish_switch(&self, id: &str) -> Result<(), ModelError> {
        Ok(self.models.finish_switch(id)?)
    }

    /// The built-in manifest of the installed model in use, if it is one.
    pub fn manifest(&self) -> Option<Manifest> {
        Manifest::find_builtin(&self.models.current().ok()?)
    }

    /// What to do when the model in use is not installed.
    pub fn missing_message(&self) -> String {
        let id = self.models.current().unwrap_or_else(|_| photofind_models::DEFAULT_MODEL_ID.to_owned());
        not_installed(&self.models, &id)
    }
}

/// What to do when model `id` is not installed: how to download it (a
/// built-in model) or where to put one.
pub fn not_installed(models: &Models, id: &str) -> String {
    match Manifest::find_builtin(id) {
        Some(manifest) => photofind_models::missing_model_message(&manifest, models.root()),
        None => format!(
            "model {id} is not installed in {}: see `photofind model list`, or pass --model DIR / \
             PHOTOFIND_MODEL=DIR with any local CLIP checkpoint directory",
            models.root().display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_model_is_used_as_it_is_and_never_switches() {
        let data = tempfile::tempdir().expect("tmp");
        let choice = ModelChoice::new(data.path(), Some("/models/mine".into()));
        assert_eq!(choice.current_dir().expect("pinned"), PathBuf::from("/models/mine"));
        assert!(choice.next().expect("reads").is_none());
    }

    #[test]
    fn without_an_installed_model_the_error_says_how_to_get_one() {
        let data = tempfile::tempdir().expect("tmp");
        let choice = ModelChoice { models: Models::new(data.path()), pinned: None };
        let err = choice.current_dir().expect_err("nothing installed");
        assert!(err.to_string().contains("photofind model fetch"), "{err}");
    }
}
