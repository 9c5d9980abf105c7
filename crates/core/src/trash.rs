//! Moving photos to the system trash (the freedesktop.org trash on Linux, the
//! Recycle Bin, the macOS Trash): how the app removes a duplicate. Never a
//! delete: a path the trash cannot take stays where it is, with the reason.
//! Only files the library holds are moved, so nothing outside the user's
//! folders is touched; the index follows through the watcher (or the next
//! `photofind index`) as for any other removal.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Library;

/// What happened to one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Trashed {
    /// The path asked for.
    #[serde(with = "crate::paths::serde")]
    #[cfg_attr(feature = "ts", ts(type = "PathJson"))]
    pub path: PathBuf,
    /// Why it is still there; `None` once it is in the trash.
    pub error: Option<String>,
}

/// Moves each of `paths` to the trash, one by one: a path that fails (not a
/// photo of this library, gone, a trash that refuses it) does not stop the others.
pub fn to_trash(library: &Library, paths: &[PathBuf]) -> Vec<Trashed> {
    paths.iter().map(|path| Trashed { path: path.clone(), error: one(library, path).err() }).collect()
}

fn one(library: &Library, path: &Path) -> Result<(), String> {
    if !library.holds(path).map_err(|e| e.to_string())? {
        return Err("not a photo of this library: left alone".into());
    }
    let metadata = std::fs::symlink_metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if metadata.is_dir() {
        return Err("a folder, not a photo: left alone".into());
    }
    trash::delete(path).map_err(|e| format!("the trash refused it ({e}); nothing was deleted"))
}
