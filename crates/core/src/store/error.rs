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
    /// The index file is damaged (truncated, or not an index at all).
    #[error("{}: the index is damaged: {reason}", file.display())]
    Corrupt {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The index is opened to read, and it needs writing first.
    #[error(
        "{}: the index {reason}; run `photofind index` (or start the app) once to bring it up to date",
        dir.display()
    )]
    NeedsWrite {
        /// The index directory.
        dir: PathBuf,
        /// Why it needs writing.
        reason: &'static str,
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

impl Error {
    /// Whether the error is one change's own (a record that cannot be
    /// encoded, a key or vector that does not fit), so that change fails
    /// alone; anything else (the disk, the map, the environment) fails the
    /// whole transaction.
    pub fn is_one_files(&self) -> bool {
        use heed::MdbError;
        match self {
            Error::VectorDims { .. } | Error::MissingPhoto(_) => true,
            Error::Heed(heed::Error::Encoding(_) | heed::Error::Decoding(_)) => true,
            Error::Heed(heed::Error::Mdb(MdbError::BadValSize | MdbError::KeyExist)) => true,
            Error::Arroy(arroy::Error::Heed(_) | arroy::Error::Io(_)) => false,
            Error::Arroy(_) => true,
            _ => false,
        }
    }

    /// The error as a failure reason: without the path its record carries.
    pub fn reason(&self) -> String {
        match self {
            Error::VectorDims { expected, received, .. } => {
                format!("vector has {received} values, the model gives {expected}")
            }
            other => other.to_string(),
        }
    }

    /// Whether the error says the disk is full (or failing), or the map
    /// reserved on it is. LMDB reports a write cut short by a full disk as
    /// EIO, so EIO counts too.
    pub fn is_disk_full(&self) -> bool {
        use heed::MdbError;
        let full_io = |e: &std::io::Error| matches!(e.raw_os_error(), Some(28 | 5)); // ENOSPC, EIO
        let full = |e: &heed::Error| match e {
            heed::Error::Io(io) => full_io(io),
            heed::Error::Mdb(MdbError::MapFull) => true,
            _ => false,
        };
        match self {
            Error::Heed(e) | Error::Arroy(arroy::Error::Heed(e)) => full(e),
            Error::Io { source, .. } | Error::Arroy(arroy::Error::Io(source)) => full_io(source),
            _ => false,
        }
    }
}
