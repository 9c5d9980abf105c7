//! Messages for people: what to do about a missing model, and which downloads are not fully
//! checked.

use std::fmt::Write as _;
use std::path::Path;

use crate::manifest::{Manifest, ModelFile, ModelKind};

/// The files any CLIP checkpoint directory needs, whatever its manifest lists.
const CHECKPOINT_FILES: &str = "config.json, model.safetensors, tokenizer.json, preprocessor_config.json";

/// What to tell someone whose model `manifest` is not installed in `models_dir` (the
/// [`Models::root`](crate::Models::root) of their data directory): the model and its size, the
/// command that downloads it, where to put its files by hand, and that `--model DIR` /
/// `PHOTOFIND_MODEL` take any local checkpoint directory.
pub fn missing_model_message(manifest: &Manifest, models_dir: &Path) -> String {
    let id = &manifest.id;
    let names: Vec<String> = manifest
        .files
        .iter()
        .map(|file| match &file.revision {
            Some(revision) => format!("{} (at revision {revision})", file.name),
            None => file.name.clone(),
        })
        .collect();
    let download_dir = crate::store::download_dir(models_dir, id);
    let mut message = format!("model {id} ({}, {}) is not installed.\n", manifest.name, size_text(manifest));
    let _ = writeln!(message, "  To download it:  photofind model fetch {id}");
    let _ = writeln!(
        message,
        "  Offline: copy {} of {} at revision {} into\n    {}\n  and run `photofind model fetch {id}`: it checks them and downloads only what is missing.",
        names.join(", "),
        manifest.repo,
        manifest.revision,
        download_dir.display(),
    );
    let _ = match (manifest.kind, &manifest.space) {
        (ModelKind::Text, Some(space)) => write!(
            message,
            "  It embeds text only, for a library indexed with {space} (photos are not embedded again)."
        ),
        _ => write!(
            message,
            "  Or use any local checkpoint directory ({CHECKPOINT_FILES}) with --model DIR or PHOTOFIND_MODEL=DIR."
        ),
    };
    message
}

/// A warning naming the files of `manifest` whose download cannot be fully checked, and why;
/// `None` when every file has a size and a SHA-256.
pub fn unverified_warning(manifest: &Manifest) -> Option<String> {
    let lines: Vec<String> = manifest
        .files
        .iter()
        .filter(|file| !file.is_verified())
        .map(|file| {
            let reason = file.unverified.as_deref().unwrap_or("no reason given");
            format!("  {}: {} ({reason})", file.name, checked_by(file))
        })
        .collect();
    (!lines.is_empty())
        .then(|| format!("warning: {} is not fully verified:\n{}", manifest.id, lines.join("\n")))
}

fn checked_by(file: &ModelFile) -> &'static str {
    match (file.size.is_some(), file.sha256.is_some()) {
        (true, _) => "checked by size only",
        (false, true) => "checked by sha256 only",
        (false, false) => "not checked at all",
    }
}

/// `607.4 MB`, or `at least 2.2 MB` when some file sizes are unpublished.
fn size_text(manifest: &Manifest) -> String {
    let megabytes = manifest.total_size() as f64 / 1e6;
    if manifest.files.iter().all(|file| file.size.is_some()) {
        format!("{megabytes:.1} MB")
    } else {
        format!("at least {megabytes:.1} MB")
    }
}
