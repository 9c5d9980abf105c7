//! Errors from loading a CLIP checkpoint directory or a sentence-transformers text model.

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
    /// A sentence-transformers pooling module pools otherwise than by the mean.
    #[error("{}: pooling mode {mode}: only mean pooling is supported", path.display())]
    UnsupportedPooling {
        /// The pooling module's `config.json`.
        path: PathBuf,
        /// The mode(s) the file asks for, e.g. `cls` or `mean+max`.
        mode: String,
    },
    /// A Dense module's activation is neither Identity nor Tanh.
    #[error("{}: activation_function = {activation}: only Identity and Tanh are supported", path.display())]
    UnsupportedActivation {
        /// The Dense module's `config.json`.
        path: PathBuf,
        /// The activation as written.
        activation: String,
    },
    /// `modules.json` lists a module photofind cannot run, or lists them in an order it cannot.
    #[error("{}: module {index} ({module}): {reason}", path.display())]
    UnsupportedModule {
        /// `modules.json`.
        path: PathBuf,
        /// The module's position in the list.
        index: usize,
        /// Its `type`, as written.
        module: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// `modules.json` lacks a module the model needs.
    #[error("{}: no {module} module", path.display())]
    MissingModule {
        /// `modules.json`.
        path: PathBuf,
        /// The kind of module missing (`Transformer`, `Pooling`).
        module: &'static str,
    },
    /// A file's dimension disagrees with the model it belongs to.
    #[error("{}: {field} = {found}, the model has {expected}", path.display())]
    DimensionMismatch {
        /// The file.
        path: PathBuf,
        /// The field holding the dimension.
        field: &'static str,
        /// What the rest of the model implies.
        expected: usize,
        /// What the file says.
        found: usize,
    },
    /// An environment variable that steers loading has a value it cannot take.
    #[error("{message}")]
    Setting {
        /// The variable.
        name: &'static str,
        /// What is wrong, naming the variable and the value.
        message: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
