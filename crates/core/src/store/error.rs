//! What can go wrong with the on-disk index.

use std::path::PathBuf;

/// An error from the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data directory cannot be created or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// LMDB failed.
    #[error("index database: {0}")]
    Heed(#[from] heed::Error),
    /// The vector index failed.
    #[error("vector index: {0}")]
    Arroy(#[from] arroy::Error),
    /// The index was written by a newer (or older, incompatible) photofind.
    #[error(
        "{}: the index has schema version {found}, this photofind reads version {supported}; \
         use a matching photofind or move the directory away to re-index",
        dir.display()
    )]
    Schema {
        /// The data directory.
        dir: PathBuf,
        /// The version on disk.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The same model id was indexed with vectors of another length.
    #[error(
        "model {model:?} was indexed with {stored}-dimensional vectors, but now gives {given}; \
         the checkpoint changed under the same name: give it another directory name to index it anew"
    )]
    ModelDims {
        /// The model id.
        model: String,
        /// Dims on disk.
        stored: usize,
        /// Dims of the model now.
        given: usize,
    },
    /// A vector to store has the wrong length.
    #[error("{}: vector has {received} values, the model gives {expected}", path.display())]
    VectorDims {
        /// The photo.
        path: PathBuf,
        /// The model's dims.
        expected: usize,
        /// The vector's length.
        received: usize,
    },
    /// A query vector has the wrong length.
    #[error("query vector has {received} values, the index holds {expected}")]
    QueryDims {
        /// The index's dims.
        expected: usize,
        /// The query's length.
        received: usize,
    },
    /// The store's metadata record is gone.
    #[error("the index has no metadata record; it was not created by photofind")]
    MissingMeta,
    /// A path points at a photo record that is gone.
    #[error("the index is inconsistent: photo {0} is referenced but missing")]
    MissingPhoto(u32),
    /// More than 65,536 models in one library.
    #[error("too many models in one library (65536)")]
    TooManyModels,
    /// More than 2^32 distinct photos.
    #[error("too many photos in one library (2^32)")]
    TooManyPhotos,
}

/// `Result` with the store's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
