//! The app's boundary: which files the page may have read, opened or revealed, how they are
//! read, and where the window may navigate. Whatever the page sends is untrusted: a page gone
//! wrong must not read a file outside the library, launch one, block a thread on a FIFO, or
//! load someone else's page into the window that holds the app's commands.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use tauri::Url;

use crate::error::{CommandError, CommandResult};

/// Extensions of the files the app hands to the desktop to open or show: images only, so a
/// `.desktop` file, a script or an executable under a root is never launched.
pub const IMAGE_EXTENSIONS: &[&str] =
    &["jpg", "jpeg", "jpe", "png", "webp", "gif", "bmp", "tif", "tiff", "heic", "heif", "avif"];

/// The most bytes the app reads from a photo for the page (a thumbnail or a search by path).
pub const MAX_READ: u64 = 256 << 20;

/// A path found inside one of the library's roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inside {
    /// The root, as the library stores it.
    pub root: PathBuf,
    /// The path with every symlink resolved: what is read or opened.
    pub canonical: PathBuf,
}

/// The root holding `path` once both are canonical (symlinks resolved, no `.` or `..`), so a
/// symlink under a root that points out of it is outside. The innermost root wins where roots
/// nest. `None` for a relative path, or one that does not exist.
pub fn root_of(path: &Path, roots: &[PathBuf]) -> Option<Inside> {
    if !path.is_absolute() {
        return None;
    }
    let canonical = std::fs::canonicalize(path).ok()?;
    roots
        .iter()
        .filter_map(|root| Some((root, std::fs::canonicalize(root).ok()?)))
        .filter(|(_, real)| canonical.starts_with(real))
        .max_by_key(|(_, real)| real.as_os_str().len())
        .map(|(root, _)| Inside { root: root.clone(), canonical })
}

/// Whether `path` names an image by its extension (any case).
pub fn is_image(path: &Path) -> bool {
    let Some(ext) = path.extension().and_then(|e| e.to_str()) else { return false };
    IMAGE_EXTENSIONS.iter().any(|known| known.eq_ignore_ascii_case(ext))
}

/// What `open_path` and `reveal_path` hand to the desktop for the page's `path`: a photo the
/// index holds (`holds`), whose canonical path lies inside a root and has an image extension.
pub fn openable(
    path: &Path,
    roots: &[PathBuf],
    holds: impl FnOnce(&Path) -> CommandResult<bool>,
) -> CommandResult<PathBuf> {
    if !holds(path)? {
        return Err(refused(path, "is not a photo in the library"));
    }
    let inside =
        root_of(path, roots).ok_or_else(|| refused(path, "is not inside one of your photo folders"))?;
    if !is_image(&inside.canonical) {
        return Err(refused(path, "is not an image file"));
    }
    Ok(inside.canonical)
}

fn refused(path: &Path, why: &str) -> CommandError {
    CommandError::new("not_allowed", format!("{} {why}", path.display()))
}

/// `O_NONBLOCK`, libc's value (the app does not link the libc crate): opening a FIFO with it
/// returns at once instead of waiting for a writer.
#[cfg(any(target_os = "linux", target_os = "android"))]
const O_NONBLOCK: i32 = if cfg!(any(target_arch = "mips", target_arch = "mips64")) {
    0o200
} else if cfg!(target_arch = "sparc64") {
    0x4000
} else {
    0o4000
};
#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd", target_os = "openbsd"))]
const O_NONBLOCK: i32 = 0x0004;

/// Opens `path` for reading without ever waiting: a FIFO, socket or device (say, an indexed
/// photo since replaced by a FIFO) is refused instead of blocking the thread forever.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    let not_regular = || std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file");
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "openbsd"
    ))]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, O_NONBLOCK);
    // Checked again on the open file: it may have been swapped between the two looks.
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

/// The bytes of the regular file at `path`, at most `cap` of them (a larger file is refused).
pub fn read_regular(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len > cap {
        return Err(too_large(len, cap));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // The file may grow after the look at its length.
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(bytes.len() as u64, cap));
    }
    Ok(bytes)
}

fn too_large(len: u64, cap: u64) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{len} bytes is more than the {cap} read"))
}

/// The origins of the app's own pages: `tauri://localhost` (`http(s)://tauri.localhost` on
/// Windows, where wry serves custom protocols over http), and the dev server when `dev_url` is
/// given (dev builds only).
pub fn app_origins(dev_url: Option<&Url>) -> Vec<Url> {
    let own = if cfg!(windows) {
        vec!["http://tauri.localhost/", "https://tauri.localhost/"]
    } else {
        vec!["tauri://localhost/"]
    };
    let mut origins: Vec<Url> = own.into_iter().filter_map(|text| Url::parse(text).ok()).collect();
    origins.extend(dev_url.cloned());
    origins
}

/// Whether the window may navigate to `url`: only to a page of the app's own origin. A link,
/// a redirect or a script can then never load another site into the window that may call the
/// app's commands.
pub fn may_navigate(url: &Url, origins: &[Url]) -> bool {
    origins.iter().any(|own| {
        own.scheme() == url.scheme()
            && own.host_str() == url.host_str()
            && own.port_or_known_default() == url.port_or_known_default()
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    use std::os::unix::fs::symlink;
    use std::sync::mpsc;
    use std::time::Duration;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a URL")
    }

    /// A root with `photo.jpg`, a `run.desktop` next to it, and a folder outside the root.
    fn library() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("photos");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&root).expect("root");
        std::fs::create_dir_all(&outside).expect("outside");
        std::fs::write(root.join("photo.jpg"), b"jpeg").expect("photo");
        std::fs::write(root.join("run.desktop"), b"[Desktop Entry]").expect("desktop file");
        std::fs::write(outside.join("secret.jpg"), b"jpeg").expect("secret");
        (dir, root, outside)
    }

    #[test]
    fn a_photo_inside_a_root_is_found_by_its_canonical_path() {
        let (_dir, root, _) = library();
        let inside = root_of(&root.join("photo.jpg"), std::slice::from_ref(&root)).expect("inside");
        assert_eq!(inside.root, root);
        assert_eq!(inside.canonical, std::fs::canonicalize(root.join("photo.jpg")).expect("canonical"));
    }

    #[test]
    fn a_symlink_under_a_root_that_points_out_of_it_is_outside() {
        let (_dir, root, outside) = library();
        symlink(outside.join("secret.jpg"), root.join("link.jpg")).expect("symlink");
        symlink(&outside, root.join("linked-folder")).expect("symlink");
        let roots = [root.clone()];
        assert_eq!(root_of(&root.join("link.jpg"), &roots), None);
        assert_eq!(root_of(&root.join("linked-folder/secret.jpg"), &roots), None);
    }

    #[test]
    fn dot_dot_cannot_climb_out_of_a_root() {
        let (_dir, root, _) = library();
        assert_eq!(root_of(&root.join("../outside/secret.jpg"), std::slice::from_ref(&root)), None);
        assert_eq!(root_of(Path::new("photos/photo.jpg"), std::slice::from_ref(&root)), None);
    }

    #[test]
    fn a_root_named_through_a_symlink_still_holds_its_photos() {
        let (dir, root, _) = library();
        let alias = dir.path().join("alias");
        symlink(&root, &alias).expect("symlink");
        assert!(root_of(&root.join("photo.jpg"), std::slice::from_ref(&alias)).is_some());
    }

    #[test]
    fn only_held_images_inside_a_root_may_be_opened() {
        let (_dir, root, outside) = library();
        symlink(outside.join("secret.jpg"), root.join("link.jpg")).expect("symlink");
        symlink(root.join("run.desktop"), root.join("disguised.jpg")).expect("symlink");
        let roots = [root.clone()];
        let held = |_: &Path| Ok(true);
        assert!(openable(&root.join("photo.jpg"), &roots, held).is_ok());
        // Each refusal is by one rule: the others would let it through.
        let not_held = openable(&root.join("photo.jpg"), &roots, |_| Ok(false));
        assert_eq!(not_held.map_err(|e| e.kind), Err("not_allowed"));
        for path in ["run.desktop", "disguised.jpg", "link.jpg"] {
            let refused = openable(&root.join(path), &roots, held);
            assert_eq!(refused.map_err(|e| e.kind), Err("not_allowed"), "{path}");
        }
    }

    #[test]
    fn image_extensions_ignore_case_and_nothing_else_is_an_image() {
        assert!(is_image(Path::new("/p/IMG_0001.JPG")));
        assert!(is_image(Path::new("/p/scan.tiff")));
        for path in ["/p/run.desktop", "/p/photo.jpg.sh", "/p/noext", "/p/.jpg"] {
            assert!(!is_image(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().expect("tmp");
        let fifo = dir.path().join("photo.jpg");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(made.success());
        let (tx, rx) = mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || tx.send(read_regular(&path, MAX_READ).map(|_| ())));
        let outcome = rx.recv_timeout(Duration::from_secs(5)).expect("returned without waiting for a writer");
        assert_eq!(outcome.map_err(|e| e.kind()), Err(std::io::ErrorKind::InvalidInput));
    }

    #[test]
    fn opening_a_fifo_with_o_nonblock_does_not_wait_for_a_writer() {
        // The second line of defence, for a file swapped for a FIFO after the first look.
        let dir = tempfile::tempdir().expect("tmp");
        let fifo = dir.path().join("swapped.jpg");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut options = std::fs::OpenOptions::new();
            std::os::unix::fs::OpenOptionsExt::custom_flags(options.read(true), O_NONBLOCK);
            tx.send(options.open(&fifo).map(|_| ()).map_err(|e| e.kind()))
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).expect("open returned"), Ok(()));
    }

    #[test]
    fn reads_are_capped() {
        let dir = tempfile::tempdir().expect("tmp");
        let photo = dir.path().join("big.jpg");
        std::fs::write(&photo, vec![7u8; 100]).expect("writes");
        assert_eq!(read_regular(&photo, 100).expect("fits").len(), 100);
        assert_eq!(read_regular(&photo, 99).map_err(|e| e.kind()), Err(std::io::ErrorKind::InvalidData));
        assert!(read_regular(dir.path(), MAX_READ).is_err(), "a folder is not a photo");
    }

    #[test]
    fn the_window_navigates_only_within_the_app() {
        let origins = [url("tauri://localhost/")];
        assert!(may_navigate(&url("tauri://localhost/index.html"), &origins));
        assert!(may_navigate(&url("tauri://localhost/"), &origins));
        for other in [
            "https://example.com/",
            "http://localhost/",
            "tauri://localhost.example.com/",
            "tauri://evil/",
            "file:///etc/passwd",
            "about:blank",
            "data:text/html,<p>hi</p>",
        ] {
            assert!(!may_navigate(&url(other), &origins), "{other}");
        }
    }

    #[test]
    fn the_dev_server_is_the_apps_own_only_in_dev() {
        let dev = url("http://localhost:5173/");
        assert!(may_navigate(&url("http://localhost:5173/src/main.ts"), &app_origins(Some(&dev))));
        assert!(!may_navigate(&url("http://localhost:5174/"), &app_origins(Some(&dev))));
        assert!(!may_navigate(&url("http://localhost:5173/"), &app_origins(None)));
    }
}
