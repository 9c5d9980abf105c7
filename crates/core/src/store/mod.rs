//! The library's on-disk index: one LMDB environment (through heed) holding
//! photo metadata and, per model, an arroy vector index. A batch of photos,
//! their vectors and the rebuilt index land in one write transaction, so a
//! crash never leaves a vector without its photo or the reverse.

mod dump;
mod error;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use arroy::distances::Cosine;
use arroy::internals::{KeyCodec, NodeCodec};
use arroy::{Reader, Writer};
use heed::byteorder::BigEndian;
use heed::types::{Bytes, SerdeJson, Str, U32};
use heed::{CommitOrAbort, Env, EnvOpenOptions, RwTxn, WithoutTls};
use rand::SeedableRng;
use rand::rngs::StdRng;
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

pub use error::{Error, Result};

/// On-disk layout version; bumped whenever an older build could misread it.
pub const SCHEMA_VERSION: u32 = 1;

/// Address space reserved for the map. LMDB files are sparse, so this is an
/// upper bound, not disk use: ~2 KiB of vector per photo fits 500k photos
/// many times over.
const MAP_SIZE: usize = 64 << 30;

/// Trees per arroy index; more trees raise recall and index size.
const N_TREES: usize = 16;

/// Identity of a photo's content in the store (and its arroy item id).
pub type PhotoId = u32;

/// The model whose vectors an index holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelKey {
    /// The model's id, as `Embedder::model_id` gives it.
    pub id: String,
    /// Length of its vectors.
    pub dims: usize,
}

/// What the store knows about one photo's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    /// blake3 of the file's bytes, hex.
    pub hash: String,
    /// Every path where these bytes were found.
    pub paths: Vec<PathBuf>,
    /// File size in bytes.
    pub size: u64,
    /// Width and height after EXIF orientation.
    pub dimensions: (u32, u32),
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
    /// Width and height.
    pub dimensions: (u32, u32),
    /// The file's modification time when it was read.
    pub modified: SystemTime,
    /// Its embedding under the store's model.
    pub vector: Vec<f32>,
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
    /// Each model's arroy index number.
    models: BTreeMap<String, (u16, usize)>,
    next_id: PhotoId,
}

type PhotoDb = heed::Database<'static, U32<BigEndian>, SerdeJson<Photo>>;
type HashDb = heed::Database<'static, Bytes, U32<BigEndian>>;
type PathDb = heed::Database<'static, Bytes, SerdeJson<PathEntry>>;

/// The open index of one library, bound to one model.
pub struct Store {
    env: Env<WithoutTls>,
    meta: heed::Database<'static, Str, SerdeJson<Meta>>,
    photos: PhotoDb,
    hashes: HashDb,
    paths: PathDb,
    vectors: arroy::Database<'static, Cosine>,
    model: ModelKey,
    index: u16,
    dir: PathBuf,
}

const META_KEY: &str = "library";

impl Store {
    /// Opens (or creates) the store in `dir` for `model`. A store whose
    /// schema is newer, or that holds this model's vectors at other dims, is
    /// refused rather than misread.
    pub fn open(dir: &Path, model: &ModelKey) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
        let env = open_env(dir)?;
        env.clear_stale_readers()?;
        let wtxn = env.write_txn()?;
        let (meta, photos, hashes, paths, vectors) = env
            .create_databases_and_commit(wtxn, |dbo, wtxn| -> heed::Result<_> {
                Ok(CommitOrAbort::<_, ()>::Commit((
                    dbo.create_database(wtxn, Some("meta"))?,
                    dbo.create_database(wtxn, Some("photos"))?,
                    dbo.create_database(wtxn, Some("hashes"))?,
                    dbo.create_database(wtxn, Some("paths"))?,
                    dbo.create_database::<KeyCodec, NodeCodec<Cosine>>(wtxn, Some("vectors"))?,
                )))
            })?
            .unwrap_commit();
        let mut store = Store {
            env,
            meta,
            photos,
            hashes,
            paths,
            vectors,
            model: model.clone(),
            index: 0,
            dir: dir.to_owned(),
        };
        store.index = store.register_model(model)?;
        Ok(store)
    }

    /// Checks the schema and finds or assigns this model's index.
    fn register_model(&self, model: &ModelKey) -> Result<u16> {
        let mut wtxn = self.env.write_txn()?;
        let mut meta = self.meta.get(&wtxn, META_KEY)?.unwrap_or(Meta {
            schema: SCHEMA_VERSION,
            models: BTreeMap::new(),
            next_id: 0,
        });
        if meta.schema != SCHEMA_VERSION {
            return Err(Error::Schema {
                dir: self.dir.clone(),
                found: meta.schema,
                supported: SCHEMA_VERSION,
            });
        }
        let index = match meta.models.get(&model.id) {
            Some(&(_, dims)) if dims != model.dims => {
                return Err(Error::ModelDims { model: model.id.clone(), stored: dims, given: model.dims });
            }
            Some(&(index, _)) => index,
            None => {
                let index = u16::try_from(meta.models.len()).map_err(|_| Error::TooManyModels)?;
                meta.models.insert(model.id.clone(), (index, model.dims));
                index
            }
        };
        self.meta.put(&mut wtxn, META_KEY, &meta)?;
        wtxn.commit()?;
        Ok(index)
    }

    /// The model this store was opened for.
    pub fn model(&self) -> &ModelKey {
        &self.model
    }

    /// Writes a batch in one transaction: metadata, vectors and the rebuilt
    /// index commit together or not at all. Bytes already in the store keep
    /// their id and vector and gain the new path. Returns each photo's id.
    /// `seed` drives arroy's random tree splits: fixed, the build is
    /// reproducible.
    pub fn commit_batch(&self, batch: &[Embedded], seed: u64) -> Result<Vec<PhotoId>> {
        let mut wtxn = self.env.write_txn()?;
        let mut meta = self.meta.get(&wtxn, META_KEY)?.ok_or(Error::MissingMeta)?;
        let writer = self.writer();
        let mut ids = Vec::with_capacity(batch.len());
        for photo in batch {
            ids.push(self.put_photo(&mut wtxn, &mut meta, &writer, photo)?);
        }
        self.meta.put(&mut wtxn, META_KEY, &meta)?;
        writer.builder(&mut StdRng::seed_from_u64(seed)).n_trees(N_TREES).build(&mut wtxn)?;
        wtxn.commit()?;
        Ok(ids)
    }

    fn writer(&self) -> Writer<Cosine> {
        let mut writer = Writer::new(self.vectors, self.index, self.model.dims);
        writer.set_tmpdir(self.dir.clone());
        writer
    }

    fn put_photo(
        &self,
        wtxn: &mut RwTxn,
        meta: &mut Meta,
        writer: &Writer<Cosine>,
        new: &Embedded,
    ) -> Result<PhotoId> {
        if new.vector.len() != self.model.dims {
            return Err(Error::VectorDims {
                path: new.path.clone(),
                expected: self.model.dims,
                received: new.vector.len(),
            });
        }
        let id = match self.hashes.get(wtxn, &new.hash)? {
            Some(id) => id,
            None => {
                let id = meta.next_id;
                meta.next_id = id.checked_add(1).ok_or(Error::TooManyPhotos)?;
                self.hashes.put(wtxn, &new.hash, &id)?;
                id
            }
        };
        let mut photo = self.photos.get(wtxn, &id)?.unwrap_or_else(|| Photo {
            hash: hex(&new.hash),
            paths: Vec::new(),
            size: new.size,
            dimensions: new.dimensions,
        });
        if !photo.paths.contains(&new.path) {
            photo.paths.push(new.path.clone());
        }
        self.photos.put(wtxn, &id, &photo)?;
        let entry = PathEntry { id, size: new.size, modified: new.modified };
        self.paths.put(wtxn, path_key(&new.path), &entry)?;
        writer.add_item(wtxn, id, &new.vector)?;
        Ok(id)
    }

    /// The `k` photos nearest to `query`, best first, among `candidates`
    /// when given (a filter applied inside the search, not after it).
    pub fn nearest(
        &self,
        query: &[f32],
        k: usize,
        candidates: Option<&RoaringBitmap>,
    ) -> Result<Vec<Neighbour>> {
        if query.len() != self.model.dims {
            return Err(Error::QueryDims { expected: self.model.dims, received: query.len() });
        }
        let rtxn = self.env.read_txn()?;
        let reader = match Reader::<Cosine>::open(&rtxn, self.index, self.vectors) {
            Ok(reader) => reader,
            Err(arroy::Error::MissingMetadata(_)) => return Ok(Vec::new()),
            Err(err) => return Err(err.into()),
        };
        let mut search = reader.nns(k);
        if let Some(candidates) = candidates {
            search.candidates(candidates);
        }
        let hits = search.by_vector(&rtxn, query)?;
        // arroy's cosine distance is (1 - cos) / 2.
        Ok(hits.into_iter().map(|(id, distance)| Neighbour { id, score: 1.0 - 2.0 * distance }).collect())
    }

    /// A photo's metadata.
    pub fn photo(&self, id: PhotoId) -> Result<Option<Photo>> {
        let rtxn = self.env.read_txn()?;
        Ok(self.photos.get(&rtxn, &id)?)
    }

    /// What was last read at `path`.
    pub fn path_entry(&self, path: &Path) -> Result<Option<PathEntry>> {
        let rtxn = self.env.read_txn()?;
        Ok(self.paths.get(&rtxn, path_key(path))?)
    }

    /// Whether `path` was read with this size and modification time, so it
    /// need not be read again.
    pub fn unchanged(&self, path: &Path, size: u64, modified: SystemTime) -> Result<bool> {
        Ok(self.path_entry(path)?.is_some_and(|e| e.size == size && e.modified == modified))
    }

    /// A photo's stored vector under this store's model.
    pub fn vector(&self, id: PhotoId) -> Result<Option<Vec<f32>>> {
        let rtxn = self.env.read_txn()?;
        Ok(self.writer().item_vector(&rtxn, id)?)
    }
}

fn open_env(dir: &Path) -> Result<Env<WithoutTls>> {
    let mut options = EnvOpenOptions::new().read_txn_without_tls();
    options.map_size(MAP_SIZE).max_dbs(8);
    // SAFETY: LMDB maps the files; only photofind writes them, through this
    // API, and LMDB's own lock file serialises writers across processes.
    #[allow(unsafe_code)]
    let env = unsafe { options.open(dir) };
    Ok(env?)
}

fn path_key(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
