//! The `view:` protocol: the photo itself in the preview, as large as the page shows it.
//!
//! `view://localhost/<percent-encoded path>?w=<pixels>` asks for the photo with its longer side
//! at least `w` device pixels; `w` is rounded up to one of [`BUCKETS`] (at most the largest), so
//! a photo has few sizes in the cache. `w=full` asks for it at full resolution (the 100 %
//! zoom); no `w` is [`DEFAULT`]. Only a photo the index holds is asked for here (the backend
//! checks with `access::openable` first).
//!
//! What is sent back:
//! - the file's own bytes, for a JPEG, PNG, WebP or BMP no larger than asked (any size for
//!   `full`) and a GIF always (it may move). The webview turns a JPEG by its EXIF itself
//!   (`image-orientation: from-image`, the CSS default); a PNG or WebP whose EXIF turns it is
//!   made into a JPEG instead, as engines differ on those.
//! - anything else (HEIC, AVIF, camera RAW, TIFF, a photo larger than asked): an upright JPEG,
//!   made by [`super::render`] (a JPEG decoded at a DCT scale) on this module's own two
//!   threads, newest request first, like the thumbnails ([`super::queue`]).
//!
//! Made views are cached beside the thumbnails, in `thumbs/<root key>/views/<xx>/<key>.jpg`,
//! so removing a root removes its views. The key is the photo's path, size and mtime and the
//! bucket. Views are large (a 2048 px JPEG is about half a megabyte), so the cache is bounded:
//! when a new view takes all views past [`MAX_CACHE_BYTES`], the ones served least recently
//! (a view's mtime is set each time it is served) are deleted until they take three quarters
//! of it. Their total is counted once, at the first view stored, and kept up from there.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use image::ImageDecoder;
use tauri::http::{StatusCode, header};

use super::queue::{Job, Limits, Pool};
use super::{Cache, Reply};
use crate::access::{self, Inside};

/// The longer sides views are made at; a request is rounded up to one.
pub const BUCKETS: [u32; 5] = [640, 1280, 2048, 3072, 4096];
/// The longer side of a view when the request names no width.
pub const DEFAULT: u32 = 2048;
/// Bytes of cached views kept at most (see the module docs).
pub const MAX_CACHE_BYTES: u64 = 512 << 20;
/// JPEG quality of a view: looked at large, so higher than a thumbnail's.
const QUALITY: u8 = 85;
/// The cache's folder for views inside a root's folder (beside the `xx` prefixes of thumbnails).
const FOLDER: &str = "views";

/// How large a view is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// The longer side at most this many pixels: one of [`BUCKETS`].
    Longest(u32),
    /// The photo at full resolution.
    Full,
}

impl Size {
    /// What a request's query asks for: `w=<pixels>` rounded up to a bucket, `w=full`, or
    /// [`DEFAULT`] without a `w`; `None` for a `w` that is neither.
    pub fn from_query(query: Option<&str>) -> Option<Self> {
        let w = query.unwrap_or_default().split('&').find_map(|pair| pair.strip_prefix("w="));
        match w {
            None => Some(Self::Longest(DEFAULT)),
            Some("full") => Some(Self::Full),
            Some(pixels) => pixels.parse().ok().map(|pixels| Self::Longest(bucket(pixels))),
        }
    }

    /// The longer side to make, `None` for the photo's own.
    fn longest(self) -> Option<u32> {
        match self {
            Self::Longest(pixels) => Some(pixels),
            Self::Full => None,
        }
    }
}

/// The smallest bucket at least `pixels` wide, else the largest.
pub fn bucket(pixels: u32) -> u32 {
    BUCKETS.iter().copied().find(|&bucket| bucket >= pixels).unwrap_or(BUCKETS[BUCKETS.len() - 1])
}

/// The views' cache and the threads that make them.
pub struct Views {
    shared: Arc<Shared>,
    pool: Pool<Make>,
}

struct Shared {
    cache: Cache,
    max_bytes: u64,
    /// Bytes of the views on disk, once counted.
    stored: Mutex<Option<u64>>,
}

impl Views {
    /// The views of the thumbnail cache in `dir`, kept under `max_bytes`.
    pub fn new(dir: PathBuf, max_bytes: u64) -> Self {
        let limits = Limits { workers: 2, waiting: 16, max_wait: Duration::from_secs(20) };
        let cache = Cache { dir, failed: Mutex::default() };
        let shared = Arc::new(Shared { cache, max_bytes, stored: Mutex::new(None) });
        Self { shared, pool: Pool::new("views", limits) }
    }

    /// Answers a request for the view of `requested`, a photo the index holds: from the
    /// cache, or by queueing it to be made (or read, when the file itself is sent).
    pub fn serve(&self, requested: &Path, inside: &Inside, size: Size, reply: Reply) {
        let key = match super::file_key(requested, &inside.canonical) {
            Ok(key) => view_key(&key, size),
            Err(why) => return reply(super::status(StatusCode::NOT_FOUND, &why)),
        };
        let file = self.shared.file(&inside.root, &key);
        if let Ok(jpeg) = std::fs::read(&file) {
            touch(&file);
            return reply(super::jpeg_response(jpeg));
        }
        if self.shared.cache.has_failed(&key) {
            return reply(super::status(StatusCode::UNPROCESSABLE_ENTITY, "the photo cannot be shown"));
        }
        let shared = Arc::clone(&self.shared);
        self.pool.push(Make { shared, photo: inside.canonical.clone(), file, key, size, reply });
    }

    /// Counts the views on disk again at the next one stored (after a root's were deleted).
    pub fn recount(&self) {
        *lock(&self.shared.stored) = None;
    }
}

impl Shared {
    /// Where the view with `key` of a photo under `root` is kept.
    fn file(&self, root: &Path, key: &blake3::Hash) -> PathBuf {
        let hex = key.to_hex();
        let folder = self.cache.dir.join(super::root_key(root)).join(FOLDER);
        folder.join(&hex[..2]).join(format!("{hex}.jpg"))
    }

    /// Stores a new view, then deletes the least recently served beyond the bound.
    fn store(&self, file: &Path, jpeg: &[u8]) {
        super::store(file, jpeg);
        let mut stored = lock(&self.stored);
        let total = match *stored {
            Some(total) => total + jpeg.len() as u64,
            None => cached_views(&self.cache.dir).iter().map(|view| view.bytes).sum(),
        };
        *stored = Some(if total > self.max_bytes { self.evict() } else { total });
    }

    /// Deletes views, least recently served first, until they take 3/4 of the bound; returns
    /// the bytes left.
    fn evict(&self) -> u64 {
        let mut views = cached_views(&self.cache.dir);
        views.sort_by_key(|view| view.served);
        let mut total: u64 = views.iter().map(|view| view.bytes).sum();
        for view in views {
            if total <= self.max_bytes / 4 * 3 {
                break;
            }
            if std::fs::remove_file(&view.path).is_ok() {
                total -= view.bytes;
            }
        }
        total
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One view in the cache.
struct Cached {
    path: PathBuf,
    bytes: u64,
    served: SystemTime,
}

/// Every view in the cache in `dir` (`<root key>/views/<xx>/<key>.jpg`).
fn cached_views(dir: &Path) -> Vec<Cached> {
    let entries = |dir: &Path| std::fs::read_dir(dir).into_iter().flatten().flatten();
    let mut views = Vec::new();
    for root in entries(dir) {
        for prefix in entries(&root.path().join(FOLDER)) {
            for file in entries(&prefix.path()) {
                let Ok(meta) = file.metadata() else { continue };
                if meta.is_file() {
                    let served = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                    views.push(Cached { path: file.path(), bytes: meta.len(), served });
                }
            }
        }
    }
    views
}

/// Marks a cached view as just served, so it is among the last to be evicted.
fn touch(file: &Path) {
    let _ = std::fs::File::options().append(true).open(file).and_then(|f| f.set_modified(SystemTime::now()));
}

/// A view's key: its photo's key (path, size, mtime) and how large it is.
fn view_key(photo: &blake3::Hash, size: Size) -> blake3::Hash {
    let longest = size.longest().unwrap_or(0);
    blake3::Hasher::new().update(b"view\0").update(photo.as_bytes()).update(&longest.to_le_bytes()).finalize()
}

/// A view to make.
struct Make {
    shared: Arc<Shared>,
    photo: PathBuf,
    file: PathBuf,
    key: blake3::Hash,
    size: Size,
    reply: Reply,
}

/// What a request gets: the file as it is (with its content type), or a JPEG made of it.
enum View {
    AsIs(Vec<u8>, &'static str),
    Made(Vec<u8>),
}

impl Job for Make {
    fn run(self) {
        match view(&self.photo, self.size) {
            Ok(View::AsIs(bytes, content_type)) => (self.reply)(super::image_response(bytes, content_type)),
            Ok(View::Made(jpeg)) => {
                self.shared.store(&self.file, &jpeg);
                (self.reply)(super::jpeg_response(jpeg));
            }
            Err(err) => {
                self.shared.cache.remember_failure(self.key);
                (self.reply)(super::status(StatusCode::UNPROCESSABLE_ENTITY, &err));
            }
        }
    }

    fn drop_unrun(self) {
        let mut response =
            super::status(StatusCode::SERVICE_UNAVAILABLE, "dropped: ask again if it is still wanted");
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        (self.reply)(response);
    }
}

/// The view of `photo` at `size`: read (a regular file, capped), then sent as it is or made.
fn view(photo: &Path, size: Size) -> Result<View, String> {
    let bytes = photofind_core::photo::read(photo, access::MAX_READ).map_err(|e| e.to_string())?;
    if let Some(content_type) = shown_as_is(&bytes, size) {
        return Ok(View::AsIs(bytes, content_type));
    }
    super::render(photo, &bytes, size.longest(), QUALITY).map(View::Made)
}

/// The content type to send `bytes` as they are with, when the webview shows them upright and
/// they are no larger than `size`.
fn shown_as_is(bytes: &[u8], size: Size) -> Option<&'static str> {
    let content_type = match photofind_core::photo::format_name(bytes)? {
        "gif" => return Some("image/gif"),
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        _ => return None,
    };
    let (width, height, _) = photofind_core::photo::header(bytes)?;
    let fits = size.longest().is_none_or(|longest| width.max(height) <= longest);
    (fits && (content_type == "image/jpeg" || stored_upright(bytes))).then_some(content_type)
}

/// Whether an image's metadata leaves it as stored (no EXIF orientation, or 1).
fn stored_upright(bytes: &[u8]) -> bool {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format();
    let decoder = reader.ok().and_then(|reader| reader.into_decoder().ok());
    decoder.and_then(|mut decoder| decoder.orientation().ok())
        == Some(image::metadata::Orientation::NoTransforms)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    use std::sync::mpsc;

    use tauri::http::Response;

    /// A root holding photos, the views of a cache beside it, and which photos the index holds.
    struct Library {
        _dir: tempfile::TempDir,
        root: PathBuf,
        views: Views,
        cache: PathBuf,
    }

    fn library(max_bytes: u64) -> Library {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("photos");
        std::fs::create_dir_all(&root).expect("root");
        let cache = dir.path().join("data/thumbs");
        Library { views: Views::new(cache.clone(), max_bytes), root, cache, _dir: dir }
    }

    impl Library {
        /// Serves `photo` at `size` and waits for the answer.
        fn fetch(&self, photo: &Path, size: Size) -> Response<Vec<u8>> {
            let inside = access::root_of(photo, std::slice::from_ref(&self.root)).expect("inside the root");
            let (tx, rx) = mpsc::channel();
            self.views.serve(photo, &inside, size, Box::new(move |response| drop(tx.send(response))));
            rx.recv_timeout(Duration::from_secs(30)).expect("answered")
        }

        /// A JPEG of `width` × `height` in the root.
        fn jpeg(&self, name: &str, width: u32, height: u32) -> PathBuf {
            let photo = self.root.join(name);
            image::RgbImage::from_fn(width, height, |x, y| {
                image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
            })
            .save(&photo)
            .expect("writes");
            photo
        }

        fn cached(&self) -> Vec<Cached> {
            cached_views(&self.cache)
        }
    }

    fn content_type(response: &Response<Vec<u8>>) -> &str {
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    fn longest_side(response: &Response<Vec<u8>>) -> u32 {
        let image = image::load_from_memory(response.body()).expect("an image");
        image.width().max(image.height())
    }

    #[test]
    fn a_width_is_rounded_up_to_a_bucket_and_capped() {
        let cases = [
            (None, Some(Size::Longest(DEFAULT))),
            (Some("w=1"), Some(Size::Longest(640))),
            (Some("w=640"), Some(Size::Longest(640))),
            (Some("w=641"), Some(Size::Longest(1280))),
            (Some("attempt=2&w=2000"), Some(Size::Longest(2048))),
            (Some("w=3000"), Some(Size::Longest(3072))),
            (Some("w=99999"), Some(Size::Longest(4096))),
            (Some("w=full"), Some(Size::Full)),
            (Some("attempt=1"), Some(Size::Longest(DEFAULT))),
            (Some("w=-5"), None),
            (Some("w=wide"), None),
            (Some("w="), None),
        ];
        for (query, size) in cases {
            assert_eq!(Size::from_query(query), size, "{query:?}");
        }
    }

    #[test]
    fn a_large_jpeg_is_made_as_large_as_its_bucket_and_the_second_answer_is_the_cached_one() {
        let lib = library(MAX_CACHE_BYTES);
        let photo = lib.jpeg("camera.jpg", 4000, 3000);
        let response = lib.fetch(&photo, Size::Longest(1280));
        assert_eq!((response.status(), content_type(&response)), (StatusCode::OK, "image/jpeg"));
        assert_eq!(longest_side(&response), 1280);
        let cached = lib.cached();
        assert_eq!(cached.len(), 1);
        std::fs::write(&cached[0].path, b"from the cache").expect("overwrites");
        assert_eq!(lib.fetch(&photo, Size::Longest(1280)).body(), b"from the cache");
        // Another bucket is another view.
        assert_eq!(longest_side(&lib.fetch(&photo, Size::Longest(640))), 640);
        assert_eq!(lib.cached().len(), 2);
    }

    #[test]
    fn full_size_of_a_jpeg_is_the_file_itself() {
        let lib = library(MAX_CACHE_BYTES);
        let photo = lib.jpeg("camera.jpg", 3000, 2000);
        let response = lib.fetch(&photo, Size::Full);
        assert_eq!(content_type(&response), "image/jpeg");
        assert_eq!(response.body(), &std::fs::read(&photo).expect("reads"));
        assert!(lib.cached().is_empty(), "the file is its own cache");
    }

    #[test]
    fn a_photo_no_larger_than_asked_is_sent_as_it_is_with_its_type() {
        let lib = library(MAX_CACHE_BYTES);
        let photo = lib.root.join("small.png");
        image::RgbImage::from_pixel(600, 400, image::Rgb([9, 99, 199])).save(&photo).expect("writes");
        let response = lib.fetch(&photo, Size::Longest(640));
        assert_eq!(content_type(&response), "image/png");
        assert_eq!(response.body(), &std::fs::read(&photo).expect("reads"));
    }

    #[test]
    fn a_png_turned_by_its_exif_is_made_upright() {
        let lib = library(MAX_CACHE_BYTES);
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos");
        let photo = lib.root.join("oriented-6.png");
        std::fs::copy(fixtures.join("variants/oriented-6.png"), &photo).expect("copies");
        let stored = image::open(&photo).expect("a PNG");
        let response = lib.fetch(&photo, Size::Full);
        assert_eq!(content_type(&response), "image/jpeg");
        let shown = image::load_from_memory(response.body()).expect("a JPEG");
        assert_eq!((shown.width(), shown.height()), (stored.height(), stored.width()), "turned a quarter");
    }

    #[test]
    fn a_heic_is_an_upright_jpeg_at_any_size() {
        let lib = library(MAX_CACHE_BYTES);
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos");
        let photo = lib.root.join("IMG_0042.HEIC");
        std::fs::copy(fixtures.join("heif/exif.heic"), &photo).expect("copies");
        for size in [Size::Longest(640), Size::Full] {
            let response = lib.fetch(&photo, size);
            assert_eq!((response.status(), content_type(&response)), (StatusCode::OK, "image/jpeg"));
            let view = image::load_from_memory(response.body()).expect("a JPEG");
            assert!(view.height() > view.width(), "{size:?}: turned by its container");
        }
    }

    #[test]
    fn a_photo_that_cannot_be_decoded_is_refused_and_remembered() {
        let lib = library(MAX_CACHE_BYTES);
        let photo = lib.root.join("broken.heic");
        std::fs::write(&photo, b"\0\0\0\x18ftypheic\0\0\0\0mif1heic broken").expect("writes");
        assert_eq!(lib.fetch(&photo, Size::Longest(2048)).status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(lib.views.shared.cache.failed.lock().expect("lock").len(), 1);
    }

    #[test]
    fn views_beyond_the_bound_are_evicted_least_recently_served_first() {
        let lib = library(MAX_CACHE_BYTES);
        let [a, b, c] = ["a.jpg", "b.jpg", "c.jpg"].map(|name| lib.jpeg(name, 1600, 1200));
        let view_of =
            |photo: &Path| lib.views.shared.file(&lib.root, &view_key(&key(photo), Size::Longest(640)));
        let [a_view, b_view, c_view] = [&a, &b, &c].map(|photo| view_of(photo));
        for photo in [&a, &b] {
            lib.fetch(photo, Size::Longest(640));
            std::thread::sleep(Duration::from_millis(20)); // mtimes apart
        }
        let one = lib.cached()[0].bytes; // the three views are the same pixels
        // Room for a bit less than three: the third takes them past it, and one is evicted to
        // get under 3/4 of it.
        let lib = Library { views: Views::new(lib.cache.clone(), one * 14 / 5), ..lib };
        lib.fetch(&a, Size::Longest(640)); // served again: now more recent than b
        std::thread::sleep(Duration::from_millis(20));
        lib.fetch(&c, Size::Longest(640));
        let mut left: Vec<_> = lib.cached().into_iter().map(|view| view.path).collect();
        left.sort();
        let mut expected = vec![a_view, c_view];
        expected.sort();
        assert_eq!(left, expected, "{} was served least recently", b_view.display());
    }

    fn key(photo: &Path) -> blake3::Hash {
        super::super::file_key(photo, photo).expect("a file")
    }
}

/// A library whose index holds photos, through the real [`crate::backend::Backend`], for the
/// tests of what the page may be shown (here and in `details`).
#[cfg(all(test, target_os = "linux"))]
pub(crate) mod testing {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::AtomicBool;

    use image::RgbImage;
    use photofind_core::{EmbedError, Embedder, Embedding, ImageInput};

    use crate::backend::Backend;

    /// Embeds a photo as its mean colour: a model that needs no weights.
    struct MeanColour;

    impl Embedder for MeanColour {
        fn model_id(&self) -> &str {
            "mean-colour"
        }
        fn dims(&self) -> usize {
            4
        }
        fn prepare_image(&self, photo: &RgbImage) -> Result<ImageInput, EmbedError> {
            let n = photo.pixels().len().max(1) as f32;
            let mut mean = vec![0f32; 3];
            for pixel in photo.pixels() {
                (0..3).for_each(|c| mean[c] += f32::from(pixel.0[c]) / 255.0 / n);
            }
            Ok(ImageInput { height: 1, width: 1, data: mean })
        }
        fn embed_images(&self, batch: &[ImageInput]) -> Result<Vec<Embedding>, EmbedError> {
            Ok(batch
                .iter()
                .map(|i| Embedding::normalized(vec![i.data[0], i.data[1], i.data[2], 0.5]))
                .collect())
        }
        fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Embedding>, EmbedError> {
            Ok(texts.iter().map(|_| Embedding::normalized(vec![0.5; 4])).collect())
        }
    }

    /// A backend over a fresh data dir whose one root, `photos/`, holds what `fill` puts there,
    /// indexed; files added after are in the root but not in the index.
    pub(crate) fn indexed(fill: impl FnOnce(&Path)) -> (tempfile::TempDir, Backend, PathBuf) {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("photos");
        std::fs::create_dir_all(&root).expect("root");
        fill(&root);
        let backend = Backend::open(&dir.path().join("data")).expect("opens the library");
        let library = backend.library();
        let (root, _) = library.add_root(&root).expect("adds the root");
        let writer = library.lock_writer("test").expect("the writer lock");
        let options = photofind_core::index::Options { workers: 1, ..Default::default() };
        library.index(&writer, &MeanColour, &options, &AtomicBool::new(false), &mut |_| {}).expect("indexes");
        (dir, backend, root)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod access_tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use tauri::http::{Response, StatusCode};

    use super::testing::indexed;
    use crate::backend::Backend;

    fn url(path: &std::path::Path, query: &str) -> String {
        let bytes = photofind_core::paths::bytes(path);
        format!("/{}{query}", percent_encoding::percent_encode(bytes, percent_encoding::NON_ALPHANUMERIC))
    }

    fn fetch(backend: &Backend, uri: &str) -> Response<Vec<u8>> {
        let (tx, rx) = mpsc::channel();
        backend.view(uri, Box::new(move |response| drop(tx.send(response))));
        rx.recv_timeout(Duration::from_secs(30)).expect("answered")
    }

    #[test]
    fn only_a_photo_the_index_holds_is_shown() {
        let photo = |root: &std::path::Path, name: &str| {
            image::RgbImage::from_pixel(900, 600, image::Rgb([200, 100, 0]))
                .save(root.join(name))
                .expect("writes");
        };
        let (dir, backend, root) = indexed(|root| photo(root, "held.jpg"));
        photo(&root, "not-indexed.jpg");
        let outside = dir.path().join("outside.jpg");
        photo(dir.path(), "outside.jpg");
        let held = fetch(&backend, &url(&root.join("held.jpg"), "?w=640"));
        assert_eq!(held.status(), StatusCode::OK);
        assert_eq!(image::load_from_memory(held.body()).expect("a JPEG").width(), 640);
        for refused in [root.join("not-indexed.jpg"), outside, root.join("../photos/not-indexed.jpg")] {
            assert_eq!(
                fetch(&backend, &url(&refused, "?w=640")).status(),
                StatusCode::FORBIDDEN,
                "{refused:?}"
            );
        }
        assert_eq!(fetch(&backend, &url(&root.join("held.jpg"), "?w=big")).status(), StatusCode::BAD_REQUEST);
        // Without a query (a shell that passes only the path) it is the default size.
        assert_eq!(fetch(&backend, &url(&root.join("held.jpg"), "")).status(), StatusCode::OK);
    }
}
