//! How paths become LMDB keys. LMDB keys are at most 511 bytes; a path may
//! be up to 4096. A short path is its own key (so keys sort like paths and a
//! folder is a key prefix); a long one keeps its first bytes, then a NUL
//! (which no path contains) and the blake3 of the whole path, and its entry
//! records the full path.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Paths up to this many bytes are their own key.
const MAX_PLAIN: usize = 480;
/// Bytes of a long path kept at the start of its key.
const LONG_PREFIX: usize = 440;

/// The key of `path`.
pub(crate) fn path_key(path: &Path) -> Cow<'_, [u8]> {
    let bytes = path.as_os_str().as_encoded_bytes();
    if bytes.len() <= MAX_PLAIN {
        return Cow::Borrowed(bytes);
    }
    let mut key = Vec::with_capacity(LONG_PREFIX + 1 + 32);
    key.extend_from_slice(&bytes[..LONG_PREFIX]);
    key.push(0);
    key.extend_from_slice(blake3::hash(bytes).as_bytes());
    Cow::Owned(key)
}

/// Whether `path` is too long to be its own key (its entry must carry it).
pub(crate) fn is_long(path: &Path) -> bool {
    path.as_os_str().len() > MAX_PLAIN
}

/// The path a key names, when the key is the path itself.
pub(crate) fn plain_path(key: &[u8]) -> Option<PathBuf> {
    if key.contains(&0) {
        return None;
    }
    // Keys are written from `as_encoded_bytes` of a real path.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(PathBuf::from(std::ffi::OsStr::from_bytes(key)))
    }
    #[cfg(not(unix))]
    {
        Some(PathBuf::from(String::from_utf8_lossy(key).into_owned()))
    }
}

/// The key prefix under which every path inside `folder` sorts.
pub(crate) fn folder_prefix(folder: &Path) -> Vec<u8> {
    let bytes = folder.as_os_str().as_encoded_bytes();
    let mut prefix = bytes[..bytes.len().min(LONG_PREFIX)].to_vec();
    if prefix.len() == bytes.len() && !prefix.ends_with(b"/") {
        prefix.push(b'/');
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paths_are_their_own_key_and_long_ones_fit_lmdb() {
        let short = Path::new("/photos/a.jpg");
        assert_eq!(&*path_key(short), short.as_os_str().as_encoded_bytes());
        assert_eq!(plain_path(&path_key(short)).as_deref(), Some(short));
        let long = PathBuf::from(format!("/photos/{}/b.jpg", "x".repeat(3000)));
        let other = PathBuf::from(format!("/photos/{}/c.jpg", "x".repeat(3000)));
        assert!(path_key(&long).len() <= 511);
        assert_ne!(path_key(&long), path_key(&other), "the hash tells them apart");
        assert!(path_key(&long).starts_with(&folder_prefix(Path::new("/photos"))));
        assert_eq!(plain_path(&path_key(&long)), None);
    }

    #[test]
    fn a_folder_prefix_does_not_match_its_siblings() {
        let prefix = folder_prefix(Path::new("/photos"));
        assert!(path_key(Path::new("/photos/a.jpg")).starts_with(&prefix));
        assert!(!path_key(Path::new("/photos2/a.jpg")).starts_with(&prefix));
        assert_eq!(folder_prefix(Path::new("/")), b"/".to_vec());
    }
}
