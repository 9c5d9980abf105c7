//! The `thumb:` protocol: small JPEG thumbnails of photos inside the library's roots, made once
//! and cached in `DATA_DIR/thumbs/`. Nothing outside the roots is served.
//!
//! `thumb://localhost/<path>` carries the photo's path percent-encoded byte for byte, so a
//! name that is not UTF-8 works. A request is checked and answered from the cache on the
//! blocking pool; a thumbnail still to make goes to a few decoder threads ([`queue`]), newest
//! request first, so fast scrolling cannot pile up hundreds of decodes. JPEGs are decoded
//! DCT-scaled, only regular files are opened (never blocking on a FIFO), and at most
//! [`access::MAX_READ`] bytes are read. The cache keeps one folder per root
//! (`thumbs/<root key>/<xx>/<photo key>.jpg`, mode 0700), so removing a root removes its
//! thumbnails, and the larger views of the preview ([`view`]) beside them.

mod queue;
pub mod view;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use image::imageops::FilterType;
use percent_encoding::percent_decode_str;
use photofind_core::paths;
use tauri::http::{Response, StatusCode, header};

use crate::access::{self, Inside};
use queue::{Job, Limits, Pool};

/// Longest side of a thumbnail, in pixels (sharp at 2x in a ~160 px grid cell).
const SIZE: u32 = 320;
const QUALITY: u8 = 80;
/// Thumbnails that failed to make are remembered (by path, size and mtime) so the page's
/// retries cost nothing; the memory is cleared when it holds this many.
const MAX_FAILED: usize = 4096;

/// How to answer one request.
pub type Reply = Box<dyn FnOnce(Response<Vec<u8>>) + Send>;

/// The thumbnail cache and the threads that fill it.
pub struct Thumbs {
    cache: Arc<Cache>,
    pool: Pool<Make>,
    views: view::Views,
}

struct Cache {
    dir: PathBuf,
    failed: Mutex<HashSet<blake3::Hash>>,
}

impl Thumbs {
    /// The cache in `dir` (created, private to the user) and its decoder threads.
    pub fn new(dir: PathBuf) -> Self {
        private_dir(&dir);
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
        let limits = Limits { workers, waiting: 96, max_wait: Duration::from_secs(8) };
        let views = view::Views::new(dir.clone(), view::MAX_CACHE_BYTES);
        Self {
            cache: Arc::new(Cache { dir, failed: Mutex::default() }),
            pool: Pool::new("thumbs", limits),
            views,
        }
    }

    /// Answers a request for the thumbnail of `requested`, a path inside a root: from the
    /// cache, or by queueing it to be made.
    pub fn serve(&self, requested: &Path, inside: &Inside, reply: Reply) {
        let key = match file_key(requested, &inside.canonical) {
            Ok(key) => key,
            Err(why) => return reply(status(StatusCode::NOT_FOUND, &why)),
        };
        let file = self.cache.file(&inside.root, &key);
        if let Ok(jpeg) = std::fs::read(&file) {
            return reply(jpeg_response(jpeg));
        }
        if self.cache.has_failed(&key) {
            return reply(status(StatusCode::NOT_FOUND, "no thumbnail"));
        }
        let cache = Arc::clone(&self.cache);
        self.pool.push(Make { cache, photo: inside.canonical.clone(), file, key, reply });
    }

    /// Answers a request for the larger view of `requested`, a photo the index holds (see
    /// [`view`]).
    pub fn view(&self, requested: &Path, inside: &Inside, size: view::Size, reply: Reply) {
        self.views.serve(requested, inside, size, reply);
    }

    /// Deletes the thumbnails of every root but `roots` (and anything else in the cache).
    pub fn prune(&self, roots: &[PathBuf]) {
        let keep: HashSet<String> = roots.iter().map(|root| root_key(root)).collect();
        let Ok(entries) = std::fs::read_dir(&self.cache.dir) else { return };
        for entry in entries.flatten() {
            if entry.file_name().to_str().is_some_and(|name| keep.contains(name)) {
                continue;
            }
            let path = entry.path();
            let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        }
        self.views.recount();
    }
}

impl Cache {
    /// Where the thumbnail with `key` of a photo under `root` is kept.
    fn file(&self, root: &Path, key: &blake3::Hash) -> PathBuf {
        let hex = key.to_hex();
        self.dir.join(root_key(root)).join(&hex[..2]).join(format!("{hex}.jpg"))
    }

    fn has_failed(&self, key: &blake3::Hash) -> bool {
        self.failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(key)
    }

    fn remember_failure(&self, key: blake3::Hash) {
        let mut failed = self.failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failed.len() >= MAX_FAILED {
            failed.clear();
        }
        failed.insert(key);
    }
}

/// A thumbnail to make.
struct Make {
    cache: Arc<Cache>,
    photo: PathBuf,
    file: PathBuf,
    key: blake3::Hash,
    reply: Reply,
}

impl Job for Make {
    fn run(self) {
        match thumbnail(&self.photo) {
            Ok(jpeg) => {
                store(&self.file, &jpeg);
                (self.reply)(jpeg_response(jpeg));
            }
            Err(err) => {
                self.cache.remember_failure(self.key);
                (self.reply)(status(StatusCode::NOT_FOUND, &err));
            }
        }
    }

    fn drop_unrun(self) {
        let mut response =
            status(StatusCode::SERVICE_UNAVAILABLE, "dropped: ask again if it is still wanted");
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        (self.reply)(response);
    }
}

/// The photo a `thumb://localhost/<percent-encoded absolute path>` URL names, decoded to its
/// exact bytes.
pub fn path_of(uri_path: &str) -> Option<PathBuf> {
    let bytes: Vec<u8> = percent_decode_str(uri_path.strip_prefix('/')?).collect();
    if bytes.contains(&0) {
        return None;
    }
    let path = paths::from_bytes(bytes);
    path.is_absolute().then_some(path)
}

/// The cache folder of one root's thumbnails.
fn root_key(root: &Path) -> String {
    blake3::hash(paths::bytes(root)).to_hex()[..32].to_owned()
}

/// The key of the regular file `canonical` that `requested` names (see [`photo_key`]), or why
/// there is none.
fn file_key(requested: &Path, canonical: &Path) -> Result<blake3::Hash, String> {
    let meta = match std::fs::metadata(canonical) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return Err("not a regular file".into()),
        Err(err) => return Err(err.to_string()),
    };
    let mtime = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).unwrap_or_default();
    Ok(photo_key(requested, meta.len(), mtime.as_nanos()))
}

/// A photo's thumbnail key: its path's bytes, size and mtime, so a changed file is made anew.
fn photo_key(photo: &Path, size: u64, mtime_nanos: u128) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher
        .update(paths::bytes(photo))
        .update(&[0])
        .update(&size.to_le_bytes())
        .update(&mtime_nanos.to_le_bytes());
    hasher.finalize()
}

/// Makes the thumbnail of `photo` (see [`rendition`]), its longer side [`SIZE`].
pub fn thumbnail(photo: &Path) -> Result<Vec<u8>, String> {
    rendition(photo, SIZE)
}

/// `photo` as a JPEG whose longer side is at most `longest`: read (a regular file, capped),
/// then made by [`render`].
pub fn rendition(photo: &Path, longest: u32) -> Result<Vec<u8>, String> {
    let bytes = photofind_core::photo::read(photo, access::MAX_READ).map_err(|e| e.to_string())?;
    render(photo, &bytes, Some(longest), QUALITY)
}

/// The photo in `bytes` (read from `photo`) as a JPEG of `quality` whose longer side is at most
/// `longest` (`None`: the photo's own): decoded no larger than needed (a JPEG at the smallest
/// DCT scale that keeps its longer side at least `longest`; a RAW's largest preview), upright,
/// resized and encoded.
pub fn render(photo: &Path, bytes: &[u8], longest: Option<u32>, quality: u8) -> Result<Vec<u8>, String> {
    let short_side = longest.map_or(0, |longest| short_side_for(bytes, longest));
    let image =
        photofind_core::photo::decode_for_display(photo, bytes, short_side).map_err(|e| e.to_string())?.image;
    let (w, h) = image.dimensions();
    let scale = longest.map_or(1.0, |longest| f64::from(longest) / f64::from(w.max(h)));
    let small = if scale < 1.0 {
        let (tw, th) = ((f64::from(w) * scale).round().max(1.0), (f64::from(h) * scale).round().max(1.0));
        image::imageops::resize(&image, tw as u32, th as u32, FilterType::Triangle)
    } else {
        image
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
        .encode_image(&small)
        .map_err(|e| format!("cannot encode a view of {}: {e}", photo.display()))?;
    Ok(jpeg)
}

/// The shorter side a photo's decode needs for its longer side to be at least `longest`, by
/// its header (half of `longest` when it has none to read).
fn short_side_for(bytes: &[u8], longest: u32) -> u32 {
    let Some((w, h, _)) = photofind_core::photo::header(bytes) else { return longest / 2 };
    let short = u64::from(longest) * u64::from(w.min(h)) / u64::from(w.max(h).max(1));
    u32::try_from(short).unwrap_or(longest).max(1)
}

/// A JPEG answer the page may cache for good (its URL names the file's bytes' place).
pub fn jpeg_response(jpeg: Vec<u8>) -> Response<Vec<u8>> {
    image_response(jpeg, "image/jpeg")
}

/// An image answer of `content_type` the page may cache for good, as [`jpeg_response`].
pub fn image_response(bytes: Vec<u8>, content_type: &'static str) -> Response<Vec<u8>> {
    let mut response = Response::new(bytes);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("max-age=31536000, immutable"));
    response
}

/// A plain-text answer with `code`.
pub fn status(code: StatusCode, text: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(text.as_bytes().to_vec());
    *response.status_mut() = code;
    response
}

/// Creates `dir` and the folders above it as the user's only (0700); an existing cache made
/// before is closed up too. Thumbnails show what the user's photos contain.
fn private_dir(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let _ = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir);
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    #[cfg(not(unix))]
    let _ = std::fs::create_dir_all(dir);
}

/// Writes a cache file atomically; a failure only costs a remake next time.
fn store(file: &Path, bytes: &[u8]) {
    let Some(dir) = file.parent() else { return };
    private_dir(dir);
    // Two workers may make the same file at once (a retry): each writes its own temporary.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = file.with_extension(format!("tmp{}-{n}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() {
        let _ = std::fs::rename(&tmp, file);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    use std::os::unix::fs::PermissionsExt;
    use std::sync::mpsc;

    fn encode(path: &Path) -> String {
        let encoded =
            percent_encoding::percent_encode(paths::bytes(path), percent_encoding::NON_ALPHANUMERIC);
        format!("/{encoded}")
    }

    /// Serves `photo` (inside `root`) and waits for the answer.
    fn fetch(thumbs: &Thumbs, root: &Path, photo: &Path) -> Response<Vec<u8>> {
        let inside = access::root_of(photo, &[root.to_owned()]).expect("inside the root");
        let (tx, rx) = mpsc::channel();
        thumbs.serve(photo, &inside, Box::new(move |response| drop(tx.send(response))));
        rx.recv_timeout(Duration::from_secs(30)).expect("answered")
    }

    fn library() -> (tempfile::TempDir, PathBuf, Thumbs) {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("photos");
        std::fs::create_dir_all(&root).expect("root");
        let thumbs = Thumbs::new(dir.path().join("data/thumbs"));
        (dir, root, thumbs)
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("exists").permissions().mode() & 0o777
    }

    #[test]
    fn urls_name_absolute_paths_byte_for_byte() {
        assert_eq!(path_of("/%2Fhome%2Fme%2Fa%20b.jpg"), Some(PathBuf::from("/home/me/a b.jpg")));
        assert_eq!(
            path_of("/%2Fp%2Fbad%FFname.jpg"),
            Some(paths::from_bytes(b"/p/bad\xffname.jpg".to_vec()))
        );
        assert_eq!(path_of("/%2Fp%2Fnul%00.jpg"), None);
        assert_eq!(path_of("/relative.jpg"), None);
        assert_eq!(path_of("no-slash"), None);
    }

    #[test]
    fn a_thumbnail_is_small_cached_and_private() {
        let (_dir, root, thumbs) = library();
        let photo = root.join("big.png");
        image::RgbImage::from_pixel(1200, 600, image::Rgb([200, 30, 30])).save(&photo).expect("writes");
        let response = fetch(&thumbs, &root, &photo);
        assert_eq!(response.status(), StatusCode::OK);
        let small = image::load_from_memory(response.body()).expect("a JPEG");
        assert_eq!((small.width(), small.height()), (320, 160));
        let root_dir = thumbs.cache.dir.join(root_key(&root));
        for dir in [&thumbs.cache.dir, &root_dir] {
            assert_eq!(mode(dir), 0o700, "{}", dir.display());
        }
        // The second answer is the cached file, whatever it holds.
        let prefix =
            std::fs::read_dir(&root_dir).expect("key prefixes").flatten().next().expect("one").path();
        let cached = std::fs::read_dir(&prefix).expect("thumbnails").flatten().next().expect("one").path();
        std::fs::write(&cached, b"from the cache").expect("overwrites");
        assert_eq!(fetch(&thumbs, &root, &photo).body(), b"from the cache");
    }

    #[test]
    fn a_large_jpeg_becomes_a_thumbnail_of_the_right_shape() {
        let (_dir, root, thumbs) = library();
        let photo = root.join("camera.jpg");
        image::RgbImage::from_fn(4000, 3000, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 90]))
            .save(&photo)
            .expect("writes");
        let response = fetch(&thumbs, &root, &photo);
        let small = image::load_from_memory(response.body()).expect("a JPEG");
        assert_eq!((small.width(), small.height()), (320, 240));
    }

    #[test]
    fn a_heic_and_a_raw_get_a_thumbnail_and_a_larger_view_upright() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos");
        for (name, upright) in [("heif/exif.heic", true), ("raw/preview.dng", true)] {
            let photo = fixtures.join(name);
            let thumb = image::load_from_memory(&thumbnail(&photo).expect("a thumbnail")).expect("a JPEG");
            let view =
                image::load_from_memory(&rendition(&photo, view::DEFAULT).expect("a view")).expect("a JPEG");
            assert_eq!(
                thumb.width().max(thumb.height()),
                SIZE.min(view.width().max(view.height())),
                "{name}"
            );
            assert!(view.width().max(view.height()) <= view::DEFAULT, "{name}");
            assert_eq!(view.height() > view.width(), upright, "{name}: turned by its orientation");
        }
    }

    #[test]
    fn a_photo_whose_name_is_not_utf8_gets_its_thumbnail() {
        let (_dir, root, thumbs) = library();
        let mut name = paths::bytes(&root).to_vec();
        name.extend_from_slice(b"/caf\xe9.png");
        let photo = paths::from_bytes(name);
        image::RgbImage::from_pixel(64, 48, image::Rgb([10, 200, 30])).save(&photo).expect("writes");
        let requested = path_of(&encode(&photo)).expect("decodes");
        assert_eq!(paths::bytes(&requested), paths::bytes(&photo));
        assert_eq!(fetch(&thumbs, &root, &requested).status(), StatusCode::OK);
    }

    #[test]
    fn a_photo_replaced_by_a_fifo_is_refused_at_once() {
        let (_dir, root, thumbs) = library();
        let photo = root.join("was-a-photo.jpg");
        assert!(std::process::Command::new("mkfifo").arg(&photo).status().expect("mkfifo").success());
        assert_eq!(fetch(&thumbs, &root, &photo).status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_broken_photo_is_not_decoded_twice() {
        let (_dir, root, thumbs) = library();
        let photo = root.join("broken.jpg");
        std::fs::write(&photo, b"\xff\xd8\xff not really").expect("writes");
        assert_eq!(fetch(&thumbs, &root, &photo).status(), StatusCode::NOT_FOUND);
        let key = thumbs.cache.failed.lock().expect("lock").iter().next().copied();
        assert!(key.is_some(), "the failure is remembered");
    }

    #[test]
    fn removing_a_root_prunes_its_thumbnails_only() {
        let (dir, root, thumbs) = library();
        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).expect("other root");
        for (folder, name) in [(&root, "a.png"), (&other, "b.png")] {
            image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3])).save(folder.join(name)).expect("writes");
            assert_eq!(fetch(&thumbs, folder, &folder.join(name)).status(), StatusCode::OK);
        }
        std::fs::create_dir_all(thumbs.cache.dir.join("ab")).expect("an old-layout folder");
        thumbs.prune(std::slice::from_ref(&other));
        let left: Vec<_> =
            std::fs::read_dir(&thumbs.cache.dir).expect("cache").flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, [std::ffi::OsString::from(root_key(&other))]);
    }
}
