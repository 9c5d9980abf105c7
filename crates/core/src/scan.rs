//! Walking a root folder for photos: which files are candidates, which are
//! skipped with a reason, and which are ignored without a word.
//!
//! Hidden files and folders (`.name`, so also AppleDouble `._name`) and files
//! that are not images by extension are ignored. Only regular files are
//! candidates: a FIFO, socket or device named `photo.jpg` is skipped with
//! that reason.
//!
//! **Links stay inside the library.** The walk never follows a symbolic
//! link. A link whose canonical target lies inside one of the library's
//! roots needs no following: the target is indexed once, under its real
//! path, by the walk of the root that holds it. A link leading anywhere
//! else (`~/Pictures/x -> /`, a sibling folder outside every root) is
//! reported as skipped with its target, and a broken or looping link as
//! unreadable. `/proc`, `/sys` and `/dev` are never entered, even under a
//! root of `/`.

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
    /// A file or folder that could not be read (permissions, a broken or
    /// looping link, a file that vanished mid-walk, not a regular file).
    Unreadable {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        reason: String,
    },
    /// A link whose target lies outside every root: not followed, so
    /// nothing outside the user's folders is read.
    Outside {
        /// The link.
        path: PathBuf,
        /// Where it leads (canonical).
        target: PathBuf,
    },
}

impl Skipped {
    /// The file or folder skipped.
    pub fn path(&self) -> &Path {
        match self {
            Skipped::Unsupported { path, .. }
            | Skipped::Unreadable { path, .. }
            | Skipped::Outside { path, .. } => path,
        }
    }

    /// Why, for a person (the path is not repeated).
    pub fn reason(&self) -> String {
        match self {
            Skipped::Unsupported { reason, .. } => (*reason).to_owned(),
            Skipped::Unreadable { reason, .. } => format!("cannot read: {reason}"),
            Skipped::Outside { target, .. } => {
                format!("a link leading outside your photo folders (to {}): not followed", target.display())
            }
        }
    }
}

/// Folders no walk enters: the kernel's views, not files anyone keeps photos in.
const SYSTEM_DIRS: &[&str] = &["/proc", "/sys", "/dev"];

/// Extensions decoded by [`crate::photo::decode`] (`.hif` is Canon's HEIF).
const DECODED: &[&str] =
    &["jpg", "jpeg", "jpe", "png", "webp", "gif", "bmp", "tif", "tiff", "heic", "heif", "hif", "avif"];

/// Extensions of camera RAW files, read through their embedded preview
/// (see `photo/raw`).
pub const RAW_EXTENSIONS: &[&str] =
    &["cr2", "cr3", "nef", "nrw", "arw", "srf", "sr2", "dng", "orf", "raf", "rw2", "pef", "srw"];

/// Image formats recognised but not decoded, with the reason a user sees
/// (these RAWs keep their preview where photofind does not look).
const NOT_DECODED: &[(&str, &str)] =
    &[("x3f", "Sigma X3F RAW is not decoded"), ("mrw", "Minolta MRW RAW is not decoded")];

/// How a file name is treated.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Photo,
    Unsupported(&'static str),
    Ignored,
}

/// Whether `path` names a camera RAW file, by its extension (any case).
pub fn is_raw(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    ext.is_some_and(|ext| RAW_EXTENSIONS.contains(&ext.as_str()))
}

/// Whether `path`'s name is one photofind indexes as a photo (by its
/// extension, any case): what the app may hand to the desktop to open.
pub fn is_photo_name(path: &Path) -> bool {
    kind_of(path) == Kind::Photo
}

fn kind_of(path: &Path) -> Kind {
    let Some(ext) = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase) else {
        return Kind::Ignored;
    };
    if DECODED.contains(&ext.as_str()) || RAW_EXTENSIONS.contains(&ext.as_str()) {
        return Kind::Photo;
    }
    NOT_DECODED.iter().find(|(e, _)| *e == ext).map_or(Kind::Ignored, |(_, why)| Kind::Unsupported(why))
}

fn is_hidden(entry: &DirEntry) -> bool {
    entry.depth() > 0 && entry.file_name().to_str().is_some_and(|n| n.starts_with('.'))
}

fn is_system(path: &Path) -> bool {
    SYSTEM_DIRS.iter().any(|dir| path == Path::new(dir))
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

/// Walks `tree` (a root, or a folder or file inside one) lazily, in a
/// stable order (by name): candidate photos and skipped files; ignored
/// files do not appear. `roots` are the library's roots: a link is
/// reported unless its target lies inside one of them.
pub fn walk(tree: &Path, roots: &[PathBuf]) -> impl Iterator<Item = Walked> + use<> {
    let tree = tree.to_owned();
    let roots = Roots::new(roots);
    let entries =
        WalkDir::new(&tree).follow_links(false).follow_root_links(false).sort_by_file_name().into_iter();
    entries.filter_entry(|e| !is_hidden(e) && !is_system(e.path())).filter_map(move |entry| match entry {
        Ok(entry) => visit(&entry, &roots),
        Err(err) => Some(Walked::Skipped(unreadable(&tree, &err))),
    })
}

/// The library's roots, canonical, for telling where a link leads.
struct Roots(Vec<PathBuf>);

impl Roots {
    fn new(roots: &[PathBuf]) -> Self {
        Self(roots.iter().map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.clone())).collect())
    }

    fn hold(&self, canonical: &Path) -> bool {
        self.0.iter().any(|root| canonical.starts_with(root))
    }
}

fn visit(entry: &DirEntry, roots: &Roots) -> Option<Walked> {
    let kind = entry.file_type();
    if kind.is_dir() {
        return None;
    }
    let path = entry.path().to_owned();
    if kind.is_symlink() {
        return link(path, roots);
    }
    match kind_of(&path) {
        Kind::Ignored => None,
        Kind::Unsupported(reason) => Some(Walked::Skipped(Skipped::Unsupported { path, reason })),
        Kind::Photo if !kind.is_file() => {
            let reason = format!("not a regular file ({})", crate::photo::special_kind(&kind));
            Some(Walked::Skipped(Skipped::Unreadable { path, reason }))
        }
        Kind::Photo => Some(match size_and_mtime(entry) {
            Ok((size, modified)) => Walked::Photo(Found { path, size, modified }),
            Err(reason) => Walked::Skipped(Skipped::Unreadable { path, reason }),
        }),
    }
}

/// A link: nothing when its target is inside a root (indexed there, under
/// its real path) or is a file photofind would ignore anyway; reported
/// otherwise.
fn link(path: PathBuf, roots: &Roots) -> Option<Walked> {
    let target = match std::fs::canonicalize(&path) {
        Ok(target) => target,
        Err(err) => {
            let reason = match err.raw_os_error() {
                Some(40) => "a link that loops back on itself".to_owned(), // ELOOP
                _ if err.kind() == std::io::ErrorKind::NotFound => {
                    "a broken link (its target is gone)".to_owned()
                }
                _ => format!("a link that cannot be followed: {err}"),
            };
            return Some(Walked::Skipped(Skipped::Unreadable { path, reason }));
        }
    };
    if roots.hold(&target) {
        return None;
    }
    let matters = target.is_dir() || kind_of(&path) != Kind::Ignored || kind_of(&target) != Kind::Ignored;
    matters.then_some(Walked::Skipped(Skipped::Outside { path, target }))
}

fn size_and_mtime(entry: &DirEntry) -> Result<(u64, SystemTime), String> {
    let meta = entry.metadata().map_err(|e| e.to_string())?;
    Ok((meta.len(), meta.modified().map_err(|e| e.to_string())?))
}

fn unreadable(root: &Path, err: &walkdir::Error) -> Skipped {
    let path = err.path().unwrap_or(root).to_owned();
    let reason = err.io_error().map_or_else(|| err.to_string(), ToString::to_string);
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
            ("d.HEIC", Kind::Photo),
            ("d.hif", Kind::Photo),
            ("d.avif", Kind::Photo),
            ("e.cr2", Kind::Photo),
            ("f.x3f", Kind::Unsupported("Sigma X3F RAW is not decoded")),
            ("notes.txt", Kind::Ignored),
            ("Makefile", Kind::Ignored),
        ];
        for (name, kind) in cases {
            assert_eq!(kind_of(Path::new(name)), kind, "{name}");
        }
    }
}
