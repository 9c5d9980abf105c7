//! The errors of this crate: one enum per concern, every variant naming what it is about.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// A manifest that cannot be read or is not valid.
#[derive(Debug, Error)]
pub enum ManifestError {
    /// The manifest file cannot be read.
    #[error("cannot read manifest {}: {source}", path.display())]
    Read {
        /// The manifest file.
        path: PathBuf,
        /// Why it cannot be read.
        source: io::Error,
    },
    /// The manifest is not valid TOML or has fields of the wrong type.
    #[error("{origin}: {source}")]
    Parse {
        /// The file (or built-in name) the manifest came from.
        origin: String,
        /// What the TOML parser found.
        source: toml::de::Error,
    },
    /// A field has a value the manifest format does not allow.
    #[error("{origin}: field `{field}` {reason}")]
    Invalid {
        /// The file (or built-in name) the manifest came from.
        origin: String,
        /// The field at fault, e.g. `files[1].sha256`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The manifest cannot be written out as TOML.
    #[error("cannot write the manifest of {id}: {source}")]
    Serialize {
        /// The model id.
        id: String,
        /// What the TOML serialiser found.
        source: toml::ser::Error,
    },
}

/// A failure of the installed-models store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A file or directory of the store cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path at fault.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The model asked for is not installed.
    #[error("model {id} is not installed in {}; run `photofind model fetch {id}` first", root.display())]
    NotInstalled {
        /// The model id.
        id: String,
        /// The models directory that was searched.
        root: PathBuf,
    },
}

impl StoreError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
