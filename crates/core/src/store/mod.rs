//! The library's on-disk index: one LMDB environment (through heed) holding
//! photo metadata, roots, error records and, per model, an arroy vector
//! index and the same vectors quantised to bytes (`codes`, for exact search
//! by a scan). A batch of changes, their vectors and the rebuilt index land in
//! one write transaction, so a crash never leaves a vector without its photo
//! or the reverse.

mod all_vectors;
mod check;
mod codes;
mod count;
mod dump;
mod error;
mod keys;
mod nearest;
mod open;
mod roots;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use arroy::distances::Cosine;
use arroy::{Reader, Writer};
use heed::byteorder::BigEndian;
use heed::types::{Bytes, SerdeJson, Str, U32};
use heed::{Env, RoTxn, WithoutTls};
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

pub use count::{ModelStats, Stats};
pub use error::{Error, Result};
use keys::{folder_prefix, path_key, plain_path};
pub use write::Landed;

/// On-disk layout version; bumped whenever an older build could misread it.
/// 2 added the quantised codes (`codes`); a version 1 store is upgraded
/// in place when opened.
pub const SCHEMA_VERSION: u32 = 2;

/// Up to this many vectors a model's search is exact: a scan of every
/// quantised code, the best rescored with their f32 vectors. Above it,
/// arroy's trees answer (faster, approximate). See docs/PERFORMANCE.md.
pub const SCAN_LIMIT: u64 = 2_000_000;

/// Address space reserved for the map. LMDB files are sparse, so this is an
/// upper bound, not disk use: ~2 KiB of vector per photo fits 500k photos
/// many times over.
const MAP_SIZE: usize = 64 << 30;

/// Trees per arroy index; more trees raise recall and index size.
const N_TREES: usize = 16;

/// How many tree nodes' items a search for `k` neighbours looks at. arroy's
/// default, `k` × trees, finds only 48% of the true top 10 among 1M
/// clustered 512-d vectors; 320 + k per tree finds 99.5% in ~7 ms (p50,
/// 2 cores), and 100% at 100k (see docs/PERFORMANCE.md, `photofind-bench ann`).
pub fn search_k(k: usize) -> usize {
    N_TREES * (320 + k)
}

/// How [`Store::nearest_by`] finds the nearest photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// What [`Store::nearest`] does: [`Search::Scan`] up to [`SCAN_LIMIT`]
    /// vectors, else [`Search::Trees`] at depth [`search_k`].
    Product,
    /// Exact: every quantised code scored, the best rescored in f32.
    Scan,
    /// arroy's trees alone, looking at this many tree nodes' items (more:
    /// better recall, slower).
    Trees(usize),
}

/// Identity of a photo's content in the store (and its arroy item id).
pub type PhotoId = u32;

/// The model whose vectors an index holds. Every vector operation names
/// one, so vectors of two models never meet in one search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelKey {
    /// The model's id, as `Embedder::model_id` gives it.
    pub id: String,
    /// Length of its vectors.
    pub dims: usize,
}

impl ModelKey {
    /// The key of `embedder`'s vectors.
    pub fn of(embedder: &dyn crate::Embedder) -> Self {
        Self { id: embedder.model_id().to_owned(), dims: embedder.dims() }
    }
}

/// How much of the library one model's index covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Photos with a vector in the model's index.
    pub vectors: u64,
    /// Photos in the library (with at least one path).
    pub photos: u64,
}

impl Coverage {
    /// Every photo of the library has a vector under the model.
    pub fn complete(&self) -> bool {
        self.vectors >= self.photos
    }
}

/// What the store knows about one photo's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    /// blake3 of the file's bytes, hex.
    pub hash: String,
    /// Every path where these bytes were found.
    #[serde(with = "crate::paths::serde_vec")]
    pub paths: Vec<PathBuf>,
    /// File size in bytes.
    pub size: u64,
    /// Width and height after EXIF orientation.
    pub dimensions: (u32, u32),
    /// Image format, lower case (`jpeg`, `png`, ...).
    pub format: String,
    /// EXIF capture time, `YYYY-MM-DDTHH:MM:SS` in the camera's local time.
    pub captured: Option<String>,
    /// Modification time of the file when the content was first read.
    pub modified: SystemTime,
}

/// A photo ready to be written: its content, where it is, and its vector.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// blake3 of the bytes.
    pub hash: [u8; 32],
    /// Where it was read.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// The file's modification time when it was read.
    pub modified: SystemTime,
    /// Width and height.
    pub dimensions: (u32, u32),
    /// Image format, lower case.
    pub format: String,
    /// EXIF capture time, if any.
    pub captured: Option<String>,
    /// The model that embedded it.
    pub model: ModelKey,
    /// Its embedding under `model`.
    pub vector: Vec<f32>,
}

/// A file that could not be indexed, and why. Kept until the file changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The file (or folder, for a walk error).
    #[serde(with = "crate::paths::serde")]
    pub path: PathBuf,
    /// Its size when it failed, if it could be read.
    pub size: Option<u64>,
    /// Its modification time when it failed, if it could be read.
    pub modified: Option<SystemTime>,
    /// What went wrong, for a person.
    pub reason: String,
}

/// A page of recorded failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailurePage {
    /// Failures recorded in all.
    pub total: u64,
    /// This page's, by path.
    pub failures: Vec<Failure>,
}

/// One change to the library, as the indexer sends them to the writer.
#[derive(Debug, Clone)]
pub enum Change {
    /// New content, with its vector.
    Embedded(Embedded),
    /// Content the store already has a vector for, found at `path` (a copy,
    /// a move, a rename, or a touched file): no embedding needed.
    Known {
        /// blake3 of the bytes.
        hash: [u8; 32],
        /// Where it was found.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// Its modification time.
        modified: SystemTime,
    },
    /// A file that could not be indexed.
    Failed(Failure),
    /// A path that no longer exists.
    Removed(PathBuf),
}

/// What the store remembers about a path: its photo, and the file's size
/// and modification time when it was read, so an unchanged file is not
/// read again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathEntry {
    /// The photo whose bytes were there.
    pub id: PhotoId,
    /// File size then.
    pub size: u64,
    /// Modification time then.
    pub modified: SystemTime,
    /// The full path, when it is too long to be its own key.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::paths::serde_opt")]
    long: Option<PathBuf>,
}

/// A folder the library indexes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// The folder, absolute.
    #[serde(with = "crate::paths::serde")]
    pub path: PathBuf,
    /// When it was added.
    pub added: SystemTime,
    /// Indexed files inside it (none recorded by libraries from before
    /// roots were counted; [`Store::roots`] always fills it in).
    #[serde(default)]
    pub files: Option<u64>,
}

/// A nearest-neighbour result.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    /// The photo.
    pub id: PhotoId,
    /// Cosine similarity to the query, in [-1, 1].
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Meta {
    schema: u32,
    /// Each model's arroy index number and dims.
    models: BTreeMap<String, (u16, usize)>,
    next_id: PhotoId,
    /// Embeddings the model ever computed for this library (never decreases).
    #[serde(default)]
    embeddings: u64,
}

impl Meta {
    /// `model`'s index number, if registered.
    fn find(&self, model: &ModelKey) -> Result<Option<u16>> {
        match self.models.get(&model.id) {
            Some(&(_, dims)) if dims != model.dims => {
                Err(Error::ModelDims { model: model.id.clone(), stored: dims, given: model.dims })
            }
            Some(&(index, _)) => Ok(Some(index)),
            None => Ok(None),
        }
    }

    /// `model`'s index number, assigning the lowest free one to a new model.
    fn index_for(&mut self, model: &ModelKey) -> Result<u16> {
        if let Some(index) = self.find(model)? {
            return Ok(index);
        }
        let index = (0..=u16::MAX)
            .find(|i| !self.models.values().any(|(used, _)| used == i))
            .ok_or(Error::TooManyModels)?;
        self.models.insert(model.id.clone(), (index, model.dims));
        Ok(index)
    }
}

/// A photo whose last path is gone. Its vectors leave the ANN indexes (so
/// search never returns it) but are kept here, so the same bytes showing up
/// again (a move in two steps, a folder moved out and back, a drive
/// re-plugged after a rescan) need no model call. Purged after a while.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Orphan {
    /// When its last path went.
    since: SystemTime,
    /// Its vector under each model's index.
    vectors: Vec<(u16, Vec<f32>)>,
}

type PhotoDb = heed::Database<'static, U32<BigEndian>, SerdeJson<Photo>>;
type HashDb = heed::Database<'static, Bytes, U32<BigEndian>>;
type PathDb = heed::Database<'static, Bytes, SerdeJson<PathEntry>>;
type ErrorDb = heed::Database<'static, Bytes, SerdeJson<Failure>>;
type RootDb = heed::Database<'static, Bytes, SerdeJson<Root>>;
type OrphanDb = heed::Database<'static, U32<BigEndian>, SerdeJson<Orphan>>;

/// The open index of one library: metadata shared by every model, and one
/// arroy index per model. Vector operations name their model.
pub struct Store {
    env: Env<WithoutTls>,
    meta: heed::Database<'static, Str, SerdeJson<Meta>>,
    photos: PhotoDb,
    hashes: HashDb,
    paths: PathDb,
    errors: ErrorDb,
    roots: RootDb,
    orphans: OrphanDb,
    vectors: arroy::Database<'static, Cosine>,
    codes: codes::CodeDb,
    dir: PathBuf,
    /// Read transactions opened (see [`Store::reads`]).
    reads: std::sync::atomic::AtomicU64,
}

const META_KEY: &str = "library";

impl Store {
    /// The models with an index in this store, by id.
    pub fn models(&self) -> Result<Vec<ModelKey>> {
        let rtxn = self.read_txn()?;
        let meta = self.meta.get(&rtxn, META_KEY)?.ok_or(Error::MissingMeta)?;
        Ok(meta.models.iter().map(|(id, &(_, dims))| ModelKey { id: id.clone(), dims }).collect())
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `model`'s index number, if it has one; `ModelDims` when the store
    /// knows the id at other dims.
    fn index_of(&self, rtxn: &RoTxn<WithoutTls>, model: &ModelKey) -> Result<Option<u16>> {
        let meta = self.meta.get(rtxn, META_KEY)?.ok_or(Error::MissingMeta)?;
        meta.find(model)
    }

    fn writer_for(&self, index: u16, dims: usize) -> Writer<Cosine> {
        let mut writer = Writer::new(self.vectors, index, dims);
        writer.set_tmpdir(self.dir.clone());
        writer
    }

    /// `model`'s built index, if it has one.
    fn model_reader<'t>(
        &self,
        rtxn: &'t RoTxn<WithoutTls>,
        model: &ModelKey,
    ) -> Result<Option<Reader<'t, Cosine>>> {
        match self.index_of(rtxn, model)? {
            Some(index) => self.reader(rtxn, index),
            None => Ok(None),
        }
    }

    fn reader<'t>(&self, rtxn: &'t RoTxn<WithoutTls>, index: u16) -> Result<Option<Reader<'t, Cosine>>> {
        match Reader::<Cosine>::open(rtxn, index, self.vectors) {
            Ok(reader) => Ok(Some(reader)),
            Err(arroy::Error::MissingMetadata(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Up to `n` stored vectors, spread evenly over the photos (among
    /// `candidates` when given): a sample of the library for judging how a
    /// query scores against photos in general.
    pub fn sample_vectors(
        &self,
        model: &ModelKey,
        n: usize,
        candidates: Option<&RoaringBitmap>,
    ) -> Result<Vec<Vec<f32>>> {
        let rtxn = self.read_txn()?;
        let Some(reader) = self.model_reader(&rtxn, model)? else { return Ok(Vec::new()) };
        let mut ids = reader.item_ids().clone();
        if let Some(candidates) = candidates {
            ids &= candidates;
        }
        let len = ids.len();
        let take = (n as u64).min(len);
        let mut sample = Vec::with_capacity(take as usize);
        for i in 0..take {
            let Some(id) = ids.select((i * len / take) as u32) else { continue };
            if let Some(vector) = reader.item_vector(&rtxn, id)? {
                sample.push(vector);
            }
        }
        Ok(sample)
    }

    /// A photo's metadata.
    pub fn photo(&self, id: PhotoId) -> Result<Option<Photo>> {
        let rtxn = self.read_txn()?;
        Ok(self.photos.get(&rtxn, &id)?)
    }

    /// The photo with these bytes, if the store has it.
    pub fn id_of(&self, hash: &[u8; 32]) -> Result<Option<PhotoId>> {
        let rtxn = self.read_txn()?;
        Ok(self.hashes.get(&rtxn, hash)?)
    }

    /// What was last read at `path`.
    pub fn path_entry(&self, path: &Path) -> Result<Option<PathEntry>> {
        let rtxn = self.read_txn()?;
        Ok(self.paths.get(&rtxn, &path_key(path))?)
    }

    /// Whether `path` was read with this size and modification time and
    /// has a vector under `model`, so it need not be read again.
    pub fn unchanged(&self, model: &ModelKey, path: &Path, size: u64, modified: SystemTime) -> Result<bool> {
        let entry = self.path_entry(path)?;
        match entry {
            Some(e) if e.size == size && e.modified == modified => self.has_vector(model, e.id),
            _ => Ok(false),
        }
    }

    /// Whether the photo has a vector under `model` (searchable, or kept
    /// aside while its files are gone).
    pub fn has_vector(&self, model: &ModelKey, id: PhotoId) -> Result<bool> {
        let rtxn = self.read_txn()?;
        let Some(index) = self.index_of(&rtxn, model)? else { return Ok(false) };
        if self.writer_for(index, model.dims).contains_item(&rtxn, id)? {
            return Ok(true);
        }
        let orphan = self.orphans.get(&rtxn, &id)?;
        Ok(orphan.is_some_and(|o| o.vectors.iter().any(|(i, _)| *i == index)))
    }

    /// A photo's stored vector under `model`.
    pub fn vector(&self, model: &ModelKey, id: PhotoId) -> Result<Option<Vec<f32>>> {
        let rtxn = self.read_txn()?;
        let Some(index) = self.index_of(&rtxn, model)? else { return Ok(None) };
        Ok(self.writer_for(index, model.dims).item_vector(&rtxn, id)?)
    }

    /// The failure recorded for `path`, if any.
    pub fn failure(&self, path: &Path) -> Result<Option<Failure>> {
        let rtxn = self.read_txn()?;
        Ok(self.errors.get(&rtxn, &path_key(path))?)
    }

    /// Every recorded failure, by path.
    pub fn failures(&self) -> Result<Vec<Failure>> {
        let rtxn = self.read_txn()?;
        let mut all = Vec::new();
        for entry in self.errors.iter(&rtxn)? {
            all.push(entry?.1);
        }
        Ok(all)
    }

    /// Up to `limit` recorded failures, by path, from the `offset`-th on,
    /// and how many there are in all: a folder of 100,000 unreadable files
    /// is shown a page at a time.
    pub fn failures_page(&self, offset: u64, limit: usize) -> Result<FailurePage> {
        let rtxn = self.read_txn()?;
        let total = self.errors.len(&rtxn)?;
        let mut failures = Vec::with_capacity(limit.min(1024));
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        for entry in self.errors.iter(&rtxn)?.skip(skip).take(limit) {
            failures.push(entry?.1);
        }
        Ok(FailurePage { total, failures })
    }

    /// Calls `visit` with every indexed path inside `folder` and its entry.
    /// Stops at the first error `visit` returns.
    pub fn for_each_path_in<E: From<Error>>(
        &self,
        folder: &Path,
        mut visit: impl FnMut(&Path, &PathEntry) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let rtxn = self.read_txn().map_err(Error::from)?;
        let prefix = folder_prefix(folder);
        for entry in self.paths.prefix_iter(&rtxn, &prefix).map_err(Error::from)? {
            let (key, entry) = entry.map_err(Error::from)?;
            let Some(path) = entry.long.clone().or_else(|| plain_path(key)) else { continue };
            if path.starts_with(folder) {
                visit(&path, &entry)?;
            }
        }
        Ok(())
    }

    /// Every recorded failure inside `folder`.
    pub fn failures_in(&self, folder: &Path) -> Result<Vec<Failure>> {
        let rtxn = self.read_txn()?;
        let prefix = folder_prefix(folder);
        let mut found = Vec::new();
        for entry in self.errors.prefix_iter(&rtxn, &prefix)? {
            let (_, failure) = entry?;
            if failure.path.starts_with(folder) {
                found.push(failure);
            }
        }
        Ok(found)
    }

    /// The photos with a path inside `folder`.
    pub fn ids_in(&self, folder: &Path) -> Result<RoaringBitmap> {
        let mut ids = RoaringBitmap::new();
        self.for_each_path_in::<Error>(folder, |_, entry| {
            ids.insert(entry.id);
            Ok(())
        })?;
        Ok(ids)
    }

    /// The photos whose metadata satisfies `keep`.
    pub fn ids_where(&self, mut keep: impl FnMut(&Photo) -> bool) -> Result<RoaringBitmap> {
        let rtxn = self.read_txn()?;
        let mut ids = RoaringBitmap::new();
        for entry in self.photos.iter(&rtxn)? {
            let (id, photo) = entry?;
            if keep(&photo) {
                ids.insert(id);
            }
        }
        Ok(ids)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(hex: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
