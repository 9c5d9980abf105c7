//! The settings view's commands: the models (installed and available, switch, remove, download),
//! the data dir, and pausing. The rules are core's (`photofind_core::live::models`), the same
//! `photofind model` follows.

use std::path::PathBuf;
use std::sync::Arc;

use photofind_core::live::models::{self, ModelEntry, Switched};
use photofind_core::query::language::TextMode;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use crate::backend::Backend;
use crate::error::{CommandError, CommandResult, ErrorKind};

/// What the settings view shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Settings {
    /// Every model photofind knows, with its state.
    pub models: Vec<ModelEntry>,
    /// Where the index, the models and the thumbnails live.
    #[serde(with = "photofind_core::paths::serde")]
    #[cfg_attr(test, ts(type = "PathJson"))]
    pub data_dir: PathBuf,
    /// The model searches use now (its id), when one is loaded: under `PHOTOFIND_MODEL` it may be
    /// none of `models`.
    pub in_use: Option<String>,
    /// `PHOTOFIND_MODEL` pins a model: switching is off.
    pub pinned: bool,
    /// Indexing is paused.
    pub paused: bool,
    /// This app indexes the library (else `photofind watch` does, or nothing).
    pub indexing_here: bool,
    /// When a multilingual text model reads a search's words.
    pub text_mode: TextMode,
}

type Shared<'a> = State<'a, Arc<Backend>>;

fn model_error(err: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorKind::Model, err.to_string())
}

/// The settings as they are now.
#[tauri::command]
pub fn settings(backend: Shared<'_>) -> CommandResult<Settings> {
    let choice = backend.choice();
    Ok(Settings {
        models: models::list(choice.models()).map_err(model_error)?,
        data_dir: backend.library().data_dir().to_owned(),
        in_use: backend.model_in_use(),
        pinned: choice.is_pinned(),
        paused: backend.paused(),
        indexing_here: backend.indexes_here(),
        text_mode: backend.words().mode(backend.library().data_dir()),
    })
}

/// Sets when a multilingual text model reads a search's words (kept in the data dir).
#[tauri::command]
pub fn set_text_mode(backend: Shared<'_>, mode: TextMode) -> CommandResult<()> {
    backend.words().set_mode(backend.library().data_dir(), mode)
}

/// Uses installed model `id`: at once when its index covers the library (or `now`), else by
/// a switch whose re-index runs in the background while search keeps the current model.
/// Returns what happened, in words.
#[tauri::command]
pub async fn use_model(backend: Shared<'_>, id: String, now: bool) -> CommandResult<String> {
    let backend = Arc::clone(&backend);
    crate::commands::blocking(move || {
        if backend.choice().is_pinned() {
            return Err(model_error("PHOTOFIND_MODEL pins the model: unset it to switch"));
        }
        let switched =
            models::switch(backend.library(), backend.choice().models(), &id, now).map_err(model_error)?;
        let restarts = backend.indexes_here();
        Ok(match switched {
            Switched::AlreadyInUse => {
                // A switch under way is abandoned: the service's run drops the other model.
                backend.restart_service();
                format!("Using {id}")
            }
            Switched::Now { .. } => {
                let dir = backend.choice().current_dir().map_err(model_error)?;
                backend.load_model(&dir)?;
                backend.restart_service();
                format!("Using {id}")
            }
            Switched::Started { current, coverage } if restarts => {
                backend.restart_service();
                format!(
                    "Switching to {id}: re-indexing in the background ({} of {} photos so far); search keeps {current} until it is done",
                    coverage.vectors, coverage.photos
                )
            }
            Switched::Started { current, .. } => format!(
                "Switching to {id}: `photofind watch` indexes this library and re-indexes once restarted; search keeps {current} until then"
            ),
        })
    })
    .await
}

/// Deletes model `id`'s files and its index (never the model in use).
#[tauri::command]
pub async fn remove_model(backend: Shared<'_>, id: String) -> CommandResult<()> {
    let backend = Arc::clone(&backend);
    crate::commands::blocking(move || {
        // The index is written under the writer lock: this app's service holds it, else take it.
        let _writer = if backend.holds_writer() {
            None
        } else {
            Some(backend.library().lock_writer("the app's settings").map_err(model_error)?)
        };
        models::remove(backend.library(), backend.choice().models(), &id).map_err(model_error)?;
        backend.words().forget_models();
        Ok(())
    })
    .await
}

/// Downloads model `id` in the background: `model-progress` events, then `models-changed`.
#[tauri::command]
pub fn fetch_model(app: AppHandle, backend: Shared<'_>, id: String) -> CommandResult<()> {
    let manifest = photofind_models::Manifest::find_builtin(&id)
        .ok_or_else(|| model_error(format!("no built-in model {id:?}")))?;
    let models = backend.choice().models().clone();
    let backend = Arc::clone(&backend);
    std::thread::spawn(move || {
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let options = photofind_models::FetchOptions::default();
        let result = photofind_models::fetch(&manifest, &models, &options, &cancel, &mut |p| {
            let _ = app.emit("model-progress", crate::backend::ModelProgress::from(p));
        });
        backend.words().forget_models();
        let error = result.err().map(|e| format!("cannot download {}: {e}", manifest.id));
        let _ = app.emit("models-changed", error);
    });
    Ok(())
}
