//! Walking a root folder for photos: which files are candidates, which are
//! skipped with a reason, and which are ignored without a word.
//!
//! Hidden files and folders (`.name`, so also AppleDouble `._name`) and files
//! that are not images by extension are ignored. Symlinks are followed; a
//! loop is reported once and the walk goes on.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use walkdir::{DirEntry, WalkDir};

/// A candidate photo, with what is needed to tell whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The file.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Last modification.
    pub modified: SystemTime,
}

/// What the walk reports besides photos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// An image format photofind cannot decode.
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Which format, and why.
        reason: &'static str,
    },
    /// A file or folder that could not be read (permissions, a symlink
    /// loop, a file that vanished mid-walk).
    Unreadable {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        reason: String,
    },
}

/// Extensions decoded by [`crate::photo::decode`].
const DECODED: &[&str] = &["jpg", "jpeg", "jpe", "png", "webp", "gif", "bmp", "tif", "tiff"];

/// Image formats recognised but not decoded, with the reason a user sees.
const NOT_DECODED: &[(&str, &str)] = &[
    ("heic", "HEIC is not decoded (no HEIF decoder is built in)"),
    ("heif", "HEIF is not decoded (no HEIF decoder is built in)"),
    ("avif", "AVIF is not decoded (no AVIF decoder is built in)"),
    ("cr2", "camera RAW is not decoded"),
    ("cr3", "camera RAW is not decoded"),
    ("nef", "camera RAW is not decoded"),
    ("arw", "camera RAW is not decoded"),
    ("dng", "camera RAW is not decoded"),
    ("orf", "camera RAW is not decoded"),
    ("raf", "camera RAW is not decoded"),
    ("rw2", "camera RAW is not decoded"),
];

/// How a file name is treated.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Photo,
    Unsupported(&'static str),
    Ignored,
}

fn kind_of(path: &Path) -> Kind {
    let Some(ext) = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase) else {
        return Kind::Ignored;
    };
    if DECODED.contains(&ext.as_str()) {
        return Kind::Photo;
    }
    NOT_DECODED.iter().find(|(e, _)| *e == ext).map_or(Kind::Ignored, |(_, why)| Kind::Unsupported(why))
}

fn is_hidden(entry: &DirEntry) -> bool {
    entry.depth() > 0 && entry.file_name().to_str().is_some_and(|n| n.starts_with('.'))
}

/// Whether `path`, inside `root`, is hidden or inside a hidden folder
/// (the walk never goes there, so a watcher ignores it too).
pub fn hidden_below(root: &Path, path: &Path) -> bool {
    let Ok(inside) = path.strip_prefix(root) else { return false };
    inside.components().any(|c| c.as_os_str().to_str().is_some_and(|n| n.starts_with('.')))
}

/// One thing the walk reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Walked {
    /// A candidate photo.
    Photo(Found),
    /// A file reported and left out.
    Skipped(Skipped),
}

/// Walks `root` lazily, in a stable order (by name): candidate photos and
/// skipped files; ignored files do not appear.
pub fn walk(root: &Path) -> impl Iterator<Item = Walked> + use<> {
    let root = root.to_owned();
    let entries = WalkDir::new(&root).follow_links(true).sort_by_file_name().into_iter();
    entries.filter_entry(|e| !is_hidden(e)).filter_map(move |entry| match entry {
        Ok(entry) if entry.file_type().is_file() => visit(&entry),
        Ok(_) => None,
        Err(err) => Some(Walked::Skipped(unreadable(&root, &err))),
    })
}

fn visit(entry: &DirEntry) -> Option<Walked> {
    let path = entry.path().to_owned();
    match kind_of(&path) {
        Kind::Ignored => None,
        Kind::Unsupported(reason) => Some(Walked::Skipped(Skipped::Unsupported { path, reason })),
        Kind::Photo => Some(match size_and_mtime(entry) {
            Ok((size, modified)) => Walked::Photo(Found { path, size, modified }),
            Err(reason) => Walked::Skipped(Skipped::Unreadable { path, reason }),
        }),
    }
}

fn size_and_mtime(entry: &DirEntry) -> Result<(u64, SystemTime), String> {
    let meta = entry.metadata().map_err(|e| e.to_string())?;
    Ok((meta.len(), meta.modified().map_err(|e| e.to_string())?))
}

fn unreadable(root: &Path, err: &walkdir::Error) -> Skipped {
    let path = err.path().unwrap_or(root).to_owned();
    let reason = match err.loop_ancestor() {
        Some(ancestor) => format!("symlink loop back to {}", ancestor.display()),
        None => err.io_error().map_or_else(|| err.to_string(), ToString::to_string),
    };
    Skipped::Unreadable { path, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_extension_ignore_case() {
        let cases = [
            ("a.jpg", Kind::Photo),
            ("B.JPEG", Kind::Photo),
            ("c.TiF", Kind::Photo),
            ("d.HEIC", Kind::Unsupported("HEIC is not decoded (no HEIF decoder is built in)")),
            ("e.cr2", Kind::Unsupported("camera RAW is not decoded")),
            ("notes.txt", Kind::Ignored),
            ("Makefile", Kind::Ignored),
        ];
        for (name, kind) in cases {
            assert_eq!(kind_of(Path::new(name)), kind, "{name}");
        }
    }
}
