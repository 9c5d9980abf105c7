//! Who reads a search's words: the image model's own text tower, or a multilingual text-only
//! model bound to it (core's rule, `query::language::pick_text_model`, under the mode the
//! settings set), loaded once and kept. The mode is kept in the data dir (`text-mode`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use photofind_clip::{Clip, TextModel};
use photofind_core::Embedder;
use photofind_core::live::text;
use photofind_core::query::language::{TextMode, pick_text_model};
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

/// The text model last loaded, by its directory.
#[derive(Default)]
pub struct Words {
    loaded: Mutex<Option<(PathBuf, Arc<TextModel>)>>,
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
    /// The text model that reads `words` for `clip` under the data dir's mode, loaded (once), and
    /// why; `None` when CLIP's own tower reads them.
    pub fn reader(
        &self,
        models: &Models,
        data_dir: &Path,
        clip: &Clip,
        words: &str,
    ) -> CommandResult<Option<(Arc<TextModel>, ReadBy)>> {
        let model_error = |e: String| CommandError::new(ErrorKind::Model, e);
        let found =
            text::text_models(models, clip.model_id(), None).map_err(|e| model_error(e.to_string()))?;
        let ids: Vec<String> = found.iter().map(|t| t.id.clone()).collect();
        let pick = pick_text_model(mode(data_dir), words, &ids);
        let Some(chosen) = found.into_iter().find(|t| pick.model.as_deref() == Some(t.id.as_str())) else {
            return Ok(None);
        };
        let mut loaded = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let model = match loaded.as_ref() {
            Some((dir, model)) if *dir == chosen.dir => Arc::clone(model),
            _ => {
                let model = TextModel::load(&chosen.dir)
                    .map_err(|e| model_error(format!("cannot load the text model {}: {e}", chosen.id)))?;
                let model = Arc::new(model);
                *loaded = Some((chosen.dir.clone(), Arc::clone(&model)));
                model
            }
        };
        Ok(Some((model, ReadBy { model: chosen.id, reason: pick.reason })))
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
    fn read_by_serializes_as_the_pages_read_by() {
        let read = ReadBy { model: "m".into(), reason: "r".into() };
        assert_eq!(
            serde_json::to_value(read).expect("json"),
            serde_json::json!({"model": "m", "reason": "r"})
        );
    }
}
