//! The one error type commands reject with: `{ kind, message }`, as the page's `IpcError`.

use serde::Serialize;

/// What a command failed with, for the page: a stable `kind` to branch on and a `message` that
/// names the file or value and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct CommandError {
    /// `no_model`, `not_allowed`, `not_found`, `library`, `search`, `model`, `io`, `busy`.
    pub kind: &'static str,
    /// For a person.
    pub message: String,
}

impl CommandError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

impl From<photofind_core::Error> for CommandError {
    fn from(err: photofind_core::Error) -> Self {
        Self::new("library", err.to_string())
    }
}

impl From<photofind_core::store::Error> for CommandError {
    fn from(err: photofind_core::store::Error) -> Self {
        Self::new("library", err.to_string())
    }
}

impl From<photofind_core::search::Error> for CommandError {
    fn from(err: photofind_core::search::Error) -> Self {
        Self::new("search", err.to_string())
    }
}

impl From<tauri::Error> for CommandError {
    fn from(err: tauri::Error) -> Self {
        Self::new("app", err.to_string())
    }
}

/// What commands return.
pub type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_pages_ipc_error() {
        let json = serde_json::to_value(CommandError::new("no_model", "fetch one")).expect("serializes");
        assert_eq!(json, serde_json::json!({ "kind": "no_model", "message": "fetch one" }));
    }
}
