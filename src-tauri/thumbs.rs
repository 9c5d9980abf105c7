//! The `thumb:` protocol: small JPEG thumbnails of photos inside the library's roots,
//! generated once and cached in `DATA_DIR/thumbs/`. Nothing outside the roots is served.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use image::imageops::FilterType;
use percent_encoding::percent_decode_str;
use tauri::http::{Response, StatusCode, header};

use crate::backend::Backend;

/// Longest side of a thumbnail, in pixels (sharp at 2x in a ~160 px grid cell).
const SIZE: u32 = 320;
const QUALITY: u8 = 80;

/// The photo a `thumb://localhost/<percent-encoded absolute path>` URL names.
pub fn path_of(uri_path: &str) -> Option<PathBuf> {
    let encoded = uri_path.strip_prefix('/')?;
    let decoded = percent_decode_str(encoded).decode_utf8().ok()?;
    let path = PathBuf::from(decoded.as_ref());
    path.is_absolute().then_some(path)
}

/// Answers one request: the cached thumbnail, made first when missing.
pub fn respond(backend: &Arc<Backend>, uri_path: &str) -> Response<Vec<u8>> {
    let Some(path) = path_of(uri_path) else { return status(StatusCode::BAD_REQUEST, "not a photo path") };
    match backend.inside_root(&path) {
        Ok(true) => {}
        _ => return status(StatusCode::FORBIDDEN, "not inside a photo folder"),
    }
    match thumbnail(&backend.library().data_dir().join("thumbs"), &path) {
        Ok(jpeg) => Response::builder()
            .header(header::CONTENT_TYPE, "image/jpeg")
            .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
            .body(jpeg)
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "response")),
        Err(err) => status(StatusCode::NOT_FOUND, &err),
    }
}

fn status(code: StatusCode, text: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(text.as_bytes().to_vec());
    *response.status_mut() = code;
    response
}

/// The thumbnail of `photo`, from `cache` when its size and mtime match a cached one.
pub fn thumbnail(cache: &Path, photo: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(photo).map_err(|e| format!("{}: {e}", photo.display()))?;
    let mtime = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).unwrap_or_default();
    let key = blake3::hash(format!("{}\0{}\0{}", photo.display(), meta.len(), mtime.as_nanos()).as_bytes());
    let hex = key.to_hex();
    let file = cache.join(&hex[..2]).join(format!("{hex}.jpg"));
    if let Ok(jpeg) = std::fs::read(&file) {
        return Ok(jpeg);
    }
    let image = photofind_core::photo::decode(photo).map_err(|e| e.to_string())?;
    let (w, h) = image.dimensions();
    let scale = f64::from(SIZE) / f64::from(w.max(h));
    let small = if scale < 1.0 {
        let (tw, th) = ((f64::from(w) * scale).round().max(1.0), (f64::from(h) * scale).round().max(1.0));
        image::imageops::resize(&image, tw as u32, th as u32, FilterType::Triangle)
    } else {
        image
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(&small)
        .map_err(|e| format!("cannot encode the thumbnail of {}: {e}", photo.display()))?;
    store(&file, &jpeg);
    Ok(jpeg)
}

/// Writes a cache file atomically; a failure only costs a regeneration next time.
fn store(file: &Path, bytes: &[u8]) {
    let Some(dir) = file.parent() else { return };
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::create_dir_all(dir).is_ok() && std::fs::write(&tmp, bytes).is_ok() {
        let _ = std::fs::rename(&tmp, file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_absolute_paths_only() {
        assert_eq!(path_of("/%2Fhome%2Fme%2Fa%20b.jpg"), Some(PathBuf::from("/home/me/a b.jpg")));
        assert_eq!(path_of("/relative.jpg"), None);
        assert_eq!(path_of("no-slash"), None);
    }

    #[test]
    fn a_thumbnail_is_small_and_cached() {
        let dir = tempfile::tempdir().expect("tmp");
        let photo = dir.path().join("big.png");
        image::RgbImage::from_pixel(1200, 600, image::Rgb([200, 30, 30])).save(&photo).expect("writes");
        let cache = dir.path().join("thumbs");
        let jpeg = thumbnail(&cache, &photo).expect("thumbnail");
        let small = image::load_from_memory(&jpeg).expect("a JPEG");
        assert_eq!((small.width(), small.height()), (320, 160));
        std::fs::remove_file(&photo).expect("removes");
        // Gone photo: the cache is keyed by its metadata, so it cannot be served stale.
        assert!(thumbnail(&cache, &photo).is_err());
    }
}
