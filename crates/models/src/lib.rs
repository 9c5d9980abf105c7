//! photofind's model manager: which CLIP checkpoints exist, which are installed, and how to
//! download one safely.
//!
//! A model is of one of two [`ModelKind`]s: `clip` (photos and text; it indexes a library) or
//! `text` (text only, into the vector space of the image model its manifest names as `space`,
//! e.g. a multilingual text model for a library indexed with CLIP ViT-B/32).
//!
//! - [`Manifest`]: a checkpoint's Hub repository, pinned revision, and every file with its size
//!   and SHA-256 (the built-in ones live in `models/*.toml` and are compiled in).
//! - [`Models`]: the installed models under `data_dir/models`, and which one is in use.
//! - [`fetch`]: a resumable, verified download that installs a model atomically.
//! - [`missing_model_message`]: what to tell someone whose model is not there.
//!
//! This crate knows nothing about embeddings; it only puts checkpoint directories on disk.
//!
//! ```
//! use photofind_models::{DEFAULT_MODEL_ID, Manifest, Models};
//!
//! let manifest = Manifest::find_builtin(DEFAULT_MODEL_ID).expect("the default model is built in");
//! assert_eq!(manifest.dims, 512);
//! assert!(manifest.total_size() > 600_000_000);
//!
//! let data_dir = tempfile::tempdir()?;
//! let models = Models::new(data_dir.path());
//! assert!(models.installed()?.is_empty());
//! assert_eq!(models.current()?, DEFAULT_MODEL_ID);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod fetch;
mod manifest;
mod message;
mod store;

pub use error::{FetchError, ManifestError, NetworkError, StoreError};
pub use fetch::{DEFAULT_ENDPOINT, FetchOptions, Progress, UNSIZED_FILE_CAP, fetch};
pub use manifest::{DEFAULT_MODEL_ID, Manifest, ModelFile, ModelKind};
pub use message::{missing_model_message, unverified_warning};
pub use store::{InstalledModel, MANIFEST_FILE, Models};
