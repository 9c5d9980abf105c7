//! The app's boundary: which files the page may have read, opened or revealed, how they are
//! read (through core's `photo::read`), and where the window may navigate. Whatever the page sends is untrusted: a page gone
//! wrong must not read a file outside the library, launch one, block a thread on a FIFO, or
//! load someone else's page into the window that holds the app's commands.

use std::path::{Path, PathBuf};

use tauri::Url;

use crate::error::{CommandError, CommandResult, ErrorKind};

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

/// Whether `path` names a photo by its extension (any case), as core's scan decides: what
/// the app hands to the desktop to open or show, so a `.desktop` file, a script or an
/// executable under a root is never launched.
pub fn is_image(path: &Path) -> bool {
    photofind_core::scan::is_photo_name(path)
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
    CommandError::new(ErrorKind::NotAllowed, format!("{} {why}", path.display()))
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
        assert_eq!(not_held.map_err(|e| e.kind), Err(ErrorKind::NotAllowed));
        for path in ["run.desktop", "disguised.jpg", "link.jpg"] {
            let refused = openable(&root.join(path), &roots, held);
            assert_eq!(refused.map_err(|e| e.kind), Err(ErrorKind::NotAllowed), "{path}");
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
