//! Which text-only model may read a query's words for the library's image
//! model: the one pinned with `PHOTOFIND_TEXT_MODEL` (a directory, as
//! `PHOTOFIND_MODEL` pins the image model), else the installed text models
//! whose manifest names that image model's space. The CLI and the window
//! both take them from here, then [`crate::query::language::pick_text_model`]
//! says whether a given query goes through one.

use std::path::PathBuf;

use photofind_models::{Models, StoreError};

/// A text model that can read words for an image model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextModelDir {
    /// Its id (its directory's name).
    pub id: String,
    /// Its directory.
    pub dir: PathBuf,
}

/// The text models for image model `image_id`: `pinned` (else
/// `PHOTOFIND_TEXT_MODEL`) alone when given, else the installed ones bound to
/// it, by id.
pub fn text_models(
    models: &Models,
    image_id: &str,
    pinned: Option<PathBuf>,
) -> Result<Vec<TextModelDir>, StoreError> {
    if let Some(dir) = pinned.or_else(|| std::env::var_os("PHOTOFIND_TEXT_MODEL").map(PathBuf::from)) {
        let id =
            dir.file_name().map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into_owned());
        return Ok(vec![TextModelDir { id, dir }]);
    }
    let mut found: Vec<TextModelDir> = models
        .text_models_for(image_id)?
        .into_iter()
        .map(|model| TextModelDir { id: model.id, dir: model.path })
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}
