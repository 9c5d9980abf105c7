//! Errors from loading a CLIP checkpoint directory.

use std::path::PathBuf;

/// Why a checkpoint directory could not be loaded; every variant names the
/// file at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file the checkpoint needs is not there or cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A JSON file is not valid JSON or lacks a field.
    #[error("{}: malformed: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error, with line and column.
        source: serde_json::Error,
    },
    /// A value in a config file is outside what CLIP allows.
    #[error("{}: {field} = {value}: {reason}", path.display())]
    InvalidConfig {
        /// The file.
        path: PathBuf,
        /// The offending field.
        field: &'static str,
        /// Its value, as written.
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The weights file is missing a tensor or has one of the wrong shape.
    #[error("{}: {source}", path.display())]
    Weights {
        /// The weights file.
        path: PathBuf,
        /// candle's description of the problem.
        source: candle_core::Error,
    },
    /// The tokenizer file cannot be used.
    #[error("{}: {reason}", path.display())]
    Tokenizer {
        /// The tokenizer file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
