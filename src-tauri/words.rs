//! Who reads a search's words: the image model's own text tower, or a multilingual text-only
//! model bound to it (core's rule, `query::language::pick_text_model`, under the mode the
//! settings set), loaded once and kept. The mode is kept in the data dir (`text-mode`) and in
//! memory; a query that needs no text model (English under `auto`, or `off`) reads no file, and
//! the installed text models are listed once until a model is fetched or removed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use photofind_clip::{Clip, TextModel};
use photofind_core::Embedder;
use photofind_core::live::text::{self, TextModelDir};
use photofind_core::query::language::{TextMode, multilingual_reason, pick_text_model};
use photofind_models::Models;
use serde::Serialize;

use crate::error::{CommandError, CommandResult, ErrorKind};

/// The file the mode is kept in, in the data dir.
const MODE_FILE: &str = "text-mode";

/// Which model read a search's words, and why: the page says so above the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ReadBy {
    /// The text model's id.
    pub model: String,
    /// Why it, in words.
    pub reason: String,
}

/// The text model last loaded (by its directory), the mode, and the text models found.
#[derive(Default)]
pub struct Words {
    loaded: Mutex<Option<(PathBuf, Arc<TextModel>)>>,
    mode: Mutex<Option<TextMode>>,
    /// The installed text models for an image model (its id), as last listed.
    found: Mutex<Option<(String, Vec<TextModelDir>)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The mode kept in `data_dir`; `auto` when none was set (or the file is unreadable).
pub fn mode(data_dir: &Path) -> TextMode {
    std::fs::read_to_string(data_dir.join(MODE_FILE))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_default()
}

/// Keeps `mode` in `data_dir`.
pub fn set_mode(data_dir: &Path, mode: TextMode) -> CommandResult<()> {
    let text = match mode {
        TextMode::Auto => "auto",
        TextMode::Always => "always",
        TextMode::Off => "off",
    };
    std::fs::create_dir_all(data_dir)
        .and_then(|()| std::fs::write(data_dir.join(MODE_FILE), text))
        .map_err(|e| CommandError::new(ErrorKind::Io, format!("cannot keep the text model setting: {e}")))
}

impl Words {
    /// The mode: the data dir's, read once.
    pub fn mode(&self, data_dir: &Path) -> TextMode {
        *lock(&self.mode).get_or_insert_with(|| mode(data_dir))
    }

    /// Sets the mode and keeps it in the data dir.
    pub fn set_mode(&self, data_dir: &Path, mode: TextMode) -> CommandResult<()> {
        set_mode(data_dir, mode)?;
        *lock(&self.mode) = Some(mode);
        Ok(())
    }

    /// Models were fetched or removed: the text models are listed anew next time.
    pub fn forget_models(&self) {
        *lock(&self.found) = None;
    }

    /// The text model that reads `words` for `clip` under the mode, loaded (once), and why;
    /// `None` when CLIP's own tower reads them.
    pub fn reader(
        &self,
        models: &Models,
        data_dir: &Path,
        clip: &Clip,
        words: &str,
    ) -> CommandResult<Option<(Arc<TextModel>, ReadBy)>> {
        let mode = self.mode(data_dir);
        if mode == TextMode::Off || (mode == TextMode::Auto && multilingual_reason(words).is_none()) {
            return Ok(None);
        }
        let found = self.found(models, clip.model_id())?;
        let ids: Vec<String> = found.iter().map(|t| t.id.clone()).collect();
        let pick = pick_text_model(mode, words, &ids);
        let Some(chosen) = found.into_iter().find(|t| pick.model.as_deref() == Some(t.id.as_str())) else {
            return Ok(None);
        };
        let mut loaded = lock(&self.loaded);
        let model = match loaded.as_ref() {
            Some((dir, model)) if *dir == chosen.dir => Arc::clone(model),
            _ => {
                let model = TextModel::load(&chosen.dir).map_err(|e| {
                    CommandError::new(
                        ErrorKind::Model,
                        format!("cannot load the text model {}: {e}", chosen.id),
                    )
                })?;
                let model = Arc::new(model);
                *loaded = Some((chosen.dir.clone(), Arc::clone(&model)));
                model
            }
        };
        Ok(Some((model, ReadBy { model: chosen.id, reason: pick.reason })))
    }

    /// The text models for image model `image_id`, listed once (see [`Words::forget_models`]).
    fn found(&self, models: &Models, image_id: &str) -> CommandResult<Vec<TextModelDir>> {
        let mut found = lock(&self.found);
        if let Some((id, dirs)) = found.as_ref()
            && id == image_id
        {
            return Ok(dirs.clone());
        }
        let dirs = text::text_models(models, image_id, None)
            .map_err(|e| CommandError::new(ErrorKind::Model, e.to_string()))?;
        *found = Some((image_id.to_owned(), dirs.clone()));
        Ok(dirs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_is_kept_and_read_back_and_auto_when_unset() {
        let dir = tempfile::tempdir().expect("tmp");
        assert_eq!(mode(dir.path()), TextMode::Auto);
        set_mode(dir.path(), TextMode::Off).expect("keeps");
        assert_eq!(mode(dir.path()), TextMode::Off);
        std::fs::write(dir.path().join(MODE_FILE), "sometimes").expect("writes");
        assert_eq!(mode(dir.path()), TextMode::Auto, "an unreadable setting falls back to auto");
    }

    #[test]
    fn the_mode_set_is_the_one_read_without_reading_the_file_again() {
        let dir = tempfile::tempdir().expect("tmp");
        let words = Words::default();
        assert_eq!(words.mode(dir.path()), TextMode::Auto);
        words.set_mode(dir.path(), TextMode::Always).expect("keeps");
        std::fs::write(dir.path().join(MODE_FILE), "off").expect("another writer");
        assert_eq!(words.mode(dir.path()), TextMode::Always, "kept in memory");
        assert_eq!(mode(dir.path()), TextMode::Off, "the file is what a new window reads");
    }

    #[test]
    fn read_by_serializes_as_the_pages_read_by() {
        let read = ReadBy { model: "m".into(), reason: "r".into() };
        assert_eq!(
            serde_json::to_value(read).expect("json"),
            serde_json::json!({"model": "m", "reason": "r"})
        );
    }
}
