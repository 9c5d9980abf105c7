//! The one error type commands reject with: `{ kind, message }`, as the page's `IpcError`.

use serde::Serialize;

/// What kind of failure a [`CommandError`] is: what the page may branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// There is no model to search with: download one.
    NoModel,
    /// The path is not one the page may read or open.
    NotAllowed,
    /// The folder, photo or staged image is not there (any more).
    NotFound,
    /// The library (its index) failed.
    Library,
    /// The query is empty or could not run.
    Search,
    /// The model could not be downloaded or loaded.
    Model,
    /// The file system or the desktop failed.
    Io,
    /// The app itself failed (a worker thread, Tauri).
    App,
}

impl ErrorKind {
    /// As the page reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoModel => "no_model",
            Self::NotAllowed => "not_allowed",
            Self::NotFound => "not_found",
            Self::Library => "library",
            Self::Search => "search",
            Self::Model => "model",
            Self::Io => "io",
            Self::App => "app",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a command failed with, for the page: a stable `kind` to branch on and a `message` that
/// names the file or value and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[error("{kind}: {message}")]
pub struct CommandError {
    /// What failed, to branch on.
    pub kind: ErrorKind,
    /// For a person.
    pub message: String,
}

impl CommandError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

impl From<photofind_core::Error> for CommandError {
    fn from(err: photofind_core::Error) -> Self {
        Self::new(ErrorKind::Library, err.to_string())
    }
}

impl From<photofind_core::store::Error> for CommandError {
    fn from(err: photofind_core::store::Error) -> Self {
        Self::new(ErrorKind::Library, err.to_string())
    }
}

impl From<photofind_core::search::Error> for CommandError {
    fn from(err: photofind_core::search::Error) -> Self {
        Self::new(ErrorKind::Search, err.to_string())
    }
}

impl From<tauri::Error> for CommandError {
    fn from(err: tauri::Error) -> Self {
        Self::new(ErrorKind::App, err.to_string())
    }
}

/// What commands return.
pub type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_pages_ipc_error() {
        let json =
            serde_json::to_value(CommandError::new(ErrorKind::NoModel, "fetch one")).expect("serializes");
        assert_eq!(json, serde_json::json!({ "kind": "no_model", "message": "fetch one" }));
    }

    #[test]
    fn each_kind_reads_as_it_serializes() {
        let kinds = [
            ErrorKind::NoModel,
            ErrorKind::NotAllowed,
            ErrorKind::NotFound,
            ErrorKind::Library,
            ErrorKind::Search,
            ErrorKind::Model,
            ErrorKind::Io,
            ErrorKind::App,
        ];
        for kind in kinds {
            assert_eq!(serde_json::to_value(kind).expect("serializes"), kind.as_str());
        }
    }
}
