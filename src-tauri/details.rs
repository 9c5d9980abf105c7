//! `photo_details`: what the preview shows of a photo beyond what the index lists (the camera
//! and lens in its EXIF, its folder), read from the file when the preview opens it.
//!
//! Only a photo the index holds is read, by the rule of [`crate::access::openable`]. An offline
//! photo the index holds (its disk unplugged) still has its folder; its camera is unknown.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use photofind_core::paths::JsonPath;
use serde::Serialize;
use tauri::State;

use crate::access;
use crate::backend::Backend;
use crate::error::{CommandError, CommandResult, ErrorKind};

/// What the preview shows beyond a photo's listing, as the page's `PhotoDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PhotoDetails {
    /// EXIF make and model as one name, e.g. `Apple iPhone 12`.
    pub camera: Option<String>,
    /// EXIF lens model.
    pub lens: Option<String>,
    /// The folder holding the file, as the index names it.
    #[serde(with = "photofind_core::paths::serde")]
    #[cfg_attr(test, ts(type = "PathJson"))]
    pub folder: PathBuf,
}

/// The details of the photo at `path`, a photo the index holds; read on the blocking pool.
#[tauri::command]
pub async fn photo_details(backend: State<'_, Arc<Backend>>, path: JsonPath) -> CommandResult<PhotoDetails> {
    let backend = Arc::clone(&backend);
    tauri::async_runtime::spawn_blocking(move || details(&backend, &path.0))
        .await
        .map_err(|e| CommandError::new(ErrorKind::App, e.to_string()))?
}

/// The details of `path`: its EXIF read from the whole file (at most [`access::MAX_READ`]
/// bytes: a HEIC's EXIF may sit after its image data, a RAW's anywhere its IFDs point).
fn details(backend: &Backend, path: &Path) -> CommandResult<PhotoDetails> {
    let folder = path.parent().map(Path::to_owned).unwrap_or_default();
    let file = match backend.openable(path) {
        Ok(file) => file,
        Err(_) if !path.exists() && backend.library().holds(path)? => {
            return Ok(PhotoDetails { camera: None, lens: None, folder });
        }
        Err(err) => return Err(err),
    };
    // EXIF is a nicety: a file that cannot be read now just names no camera. Two files at a
    // time: arrowing through large RAWs on a NAS must not hold a dozen of them in memory.
    let _turn = READERS.enter();
    let camera = photofind_core::photo::read(&file, access::MAX_READ)
        .map(|bytes| photofind_core::photo::camera::camera(&bytes))
        .unwrap_or_default();
    Ok(PhotoDetails { camera: camera.make_model, lens: camera.lens, folder })
}

/// Files read for details at once.
const MAX_READERS: usize = 2;
static READERS: Gate = Gate::new(MAX_READERS);

/// At most `n` holders at once; the others wait their turn.
struct Gate {
    free: std::sync::Mutex<usize>,
    turn: std::sync::Condvar,
}

impl Gate {
    const fn new(n: usize) -> Self {
        Self { free: std::sync::Mutex::new(n), turn: std::sync::Condvar::new() }
    }

    fn enter(&self) -> Turn<'_> {
        let free = self.free.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut free =
            self.turn.wait_while(free, |free| *free == 0).unwrap_or_else(std::sync::PoisonError::into_inner);
        *free -= 1;
        Turn(self)
    }
}

/// A holder's turn; leaving it lets the next in.
struct Turn<'a>(&'a Gate);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        self.0.turn.notify_one();
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    use crate::thumbs::view::testing::indexed;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos").join(name)
    }

    #[test]
    fn the_gate_lets_two_in_at_once_and_the_next_when_one_leaves() {
        let gate = Gate::new(2);
        let (a, b) = (gate.enter(), gate.enter());
        assert_eq!(*gate.free.lock().expect("lock"), 0);
        drop(a);
        let c = gate.enter();
        drop((b, c));
        assert_eq!(*gate.free.lock().expect("lock"), 2);
    }

    #[test]
    fn a_held_photo_names_its_camera_and_folder() {
        let (_dir, backend, root) = indexed(|root| {
            std::fs::copy(fixture("heif/exif.heic"), root.join("IMG_0042.HEIC")).expect("copies");
            std::fs::copy(fixture("rocket.jpg"), root.join("rocket.jpg")).expect("copies");
        });
        let heic = details(&backend, &root.join("IMG_0042.HEIC")).expect("details");
        let expected =
            PhotoDetails { camera: Some("photofind fixture".into()), lens: None, folder: root.clone() };
        assert_eq!(heic, expected);
        let plain = details(&backend, &root.join("rocket.jpg")).expect("details");
        assert_eq!(plain, PhotoDetails { camera: None, lens: None, folder: root });
    }

    #[test]
    fn a_photo_the_index_does_not_hold_is_refused() {
        let (dir, backend, root) = indexed(|_| {});
        std::fs::copy(fixture("heif/exif.heic"), root.join("later.heic")).expect("copies");
        std::fs::copy(fixture("heif/exif.heic"), dir.path().join("outside.heic")).expect("copies");
        for path in [root.join("later.heic"), dir.path().join("outside.heic"), root.join("missing.heic")] {
            let refused = details(&backend, &path).map_err(|e| e.kind);
            assert_eq!(refused, Err(ErrorKind::NotAllowed), "{}", path.display());
        }
    }

    #[test]
    fn an_offline_photo_keeps_its_folder() {
        let (_dir, backend, root) = indexed(|root| {
            std::fs::copy(fixture("heif/exif.heic"), root.join("gone.heic")).expect("copies");
        });
        std::fs::remove_file(root.join("gone.heic")).expect("removes");
        let gone = details(&backend, &root.join("gone.heic")).expect("details");
        assert_eq!(gone, PhotoDetails { camera: None, lens: None, folder: root });
    }

    #[test]
    fn details_serialize_as_the_pages_photo_details() {
        let details = PhotoDetails { camera: Some("Canon EOS R5".into()), lens: None, folder: "/p".into() };
        let json = serde_json::to_value(details).expect("serializes");
        assert_eq!(json, serde_json::json!({ "camera": "Canon EOS R5", "lens": null, "folder": "/p" }));
    }
}
