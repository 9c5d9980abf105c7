//! Opening the store: checked before LMDB maps it, created private,
//! opened to write (creating and upgrading its tables) or only to read.

use std::collections::BTreeMap;
use std::path::Path;

use arroy::distances::Cosine;
use arroy::internals::{KeyCodec, NodeCodec};
use heed::{CommitOrAbort, Env, EnvOpenOptions, WithoutTls};

use super::{Error, MAP_SIZE, META_KEY, Meta, ModelKey, Result, SCHEMA_VERSION, Store, check, codes};

impl Store {
    /// Opens (or creates) the store in `dir`, registering `model` when
    /// given. A store whose schema is another version, or that holds this
    /// model's vectors at other dims, is refused rather than misread.
    pub fn open(dir: &Path, model: Option<&ModelKey>) -> Result<Self> {
        create_private_dir(dir)?;
        check::data_file(dir)?;
        let env = open_env(dir, false)?;
        env.clear_stale_readers()?;
        let wtxn = env.write_txn()?;
        let (meta, photos, hashes, paths, errors, roots, orphans, vectors, codes) = env
            .create_databases_and_commit(wtxn, |dbo, wtxn| -> heed::Result<_> {
                Ok(CommitOrAbort::<_, ()>::Commit((
                    dbo.create_database(wtxn, Some("meta"))?,
                    dbo.create_database(wtxn, Some("photos"))?,
                    dbo.create_database(wtxn, Some("hashes"))?,
                    dbo.create_database(wtxn, Some("paths"))?,
                    dbo.create_database(wtxn, Some("errors"))?,
                    dbo.create_database(wtxn, Some("roots"))?,
                    dbo.create_database(wtxn, Some("orphans"))?,
                    dbo.create_database::<KeyCodec, NodeCodec<Cosine>>(wtxn, Some("vectors"))?,
                    dbo.create_database(wtxn, Some("codes"))?,
                )))
            })?
            .unwrap_commit();
        let store = Store {
            env,
            meta,
            photos,
            hashes,
            paths,
            errors,
            roots,
            orphans,
            vectors,
            codes,
            dir: dir.to_owned(),
            reads: Default::default(),
        };
        store.register(None)?;
        if let Some(model) = model {
            store.register_model(model)?;
        }
        store.count_uncounted_roots()?;
        Ok(store)
    }

    /// Opens the store in `dir` to read it, writing nothing (a search, a
    /// status: they work on a read-only disk, and beside a running writer).
    /// A store that does not exist yet is created as [`Store::open`] does;
    /// one that needs an upgrade is refused with what to do.
    pub fn open_read(dir: &Path) -> Result<Self> {
        if !dir.join("data.mdb").is_file() {
            return Self::open(dir, None);
        }
        check::data_file(dir)?;
        let env = open_env(dir, true)?;
        let rtxn = env.read_txn()?;
        let needs_write = |reason| Error::NeedsWrite { dir: dir.to_owned(), reason };
        let missing = || needs_write("is missing some of its tables");
        let (meta, photos, hashes, paths, errors, roots, orphans, vectors, codes) = env
            .open_databases_and_commit(rtxn, |dbo, rtxn| -> Result<_> {
                Ok(CommitOrAbort::<_, ()>::Commit((
                    dbo.open_database(rtxn, Some("meta"))?.ok_or_else(missing)?,
                    dbo.open_database(rtxn, Some("photos"))?.ok_or_else(missing)?,
                    dbo.open_database(rtxn, Some("hashes"))?.ok_or_else(missing)?,
                    dbo.open_database(rtxn, Some("paths"))?.ok_or_else(missing)?,
                    dbo.open_database(rtxn, Some("errors"))?.ok_or_else(missing)?,
                    dbo.open_database(rtxn, Some("roots"))?.ok_or_else(missing)?,
                    dbo.open_database(rtxn, Some("orphans"))?.ok_or_else(missing)?,
                    dbo.open_database::<KeyCodec, NodeCodec<Cosine>>(rtxn, Some("vectors"))?
                        .ok_or_else(missing)?,
                    dbo.open_database(rtxn, Some("codes"))?.ok_or_else(missing)?,
                )))
            })?
            .unwrap_commit();
        let store = Store {
            env,
            meta,
            photos,
            hashes,
            paths,
            errors,
            roots,
            orphans,
            vectors,
            codes,
            dir: dir.to_owned(),
            reads: Default::default(),
        };
        let rtxn = store.env.read_txn()?;
        let meta = store.meta.get(&rtxn, META_KEY)?.ok_or(Error::MissingMeta)?;
        match meta.schema {
            SCHEMA_VERSION => {}
            1 => return Err(needs_write("was written by an older photofind (schema 1)")),
            found => return Err(Error::Schema { dir: dir.to_owned(), found, supported: SCHEMA_VERSION }),
        }
        drop(rtxn);
        Ok(store)
    }

    /// Gives `model` an index in this store (its vectors arrive later).
    /// Refused when the store holds vectors of a model with this id at
    /// other dims.
    pub fn register_model(&self, model: &ModelKey) -> Result<()> {
        self.register(Some(model)).map(drop)
    }

    /// Checks the schema and finds or assigns the model's index.
    fn register(&self, model: Option<&ModelKey>) -> Result<Option<u16>> {
        let mut wtxn = self.env.write_txn()?;
        let mut meta = self.meta.get(&wtxn, META_KEY)?.unwrap_or(Meta {
            schema: SCHEMA_VERSION,
            models: BTreeMap::new(),
            next_id: 0,
            embeddings: 0,
        });
        if meta.schema == 1 {
            self.add_codes(&mut wtxn, &meta)?;
            meta.schema = SCHEMA_VERSION;
        }
        if meta.schema != SCHEMA_VERSION {
            return Err(Error::Schema {
                dir: self.dir.clone(),
                found: meta.schema,
                supported: SCHEMA_VERSION,
            });
        }
        let index = match model {
            None => None,
            Some(model) => Some(meta.index_for(model)?),
        };
        self.meta.put(&mut wtxn, META_KEY, &meta)?;
        wtxn.commit()?;
        Ok(index)
    }

    /// Codes for every vector already in the store's indexes (the upgrade
    /// from schema 1).
    fn add_codes(&self, wtxn: &mut heed::RwTxn, meta: &Meta) -> Result<()> {
        for &(index, dims) in meta.models.values() {
            let writer = self.writer_for(index, dims);
            let mut ids = Vec::new();
            for item in writer.iter(wtxn)? {
                ids.push(item?.0);
            }
            for id in ids {
                if let Some(vector) = writer.item_vector(wtxn, id)? {
                    codes::put(self.codes, wtxn, index, id, &vector)?;
                }
            }
        }
        Ok(())
    }
}

fn open_env(dir: &Path, read_only: bool) -> Result<Env<WithoutTls>> {
    let mut options = EnvOpenOptions::new().read_txn_without_tls();
    options.map_size(MAP_SIZE).max_dbs(16);
    // SAFETY: LMDB maps the files; only photofind writes them, through this
    // API, and LMDB's own lock file serialises writers across processes.
    // READ_ONLY is a safe flag (it only refuses write transactions); the
    // file was checked by `check::data_file` so a truncated one is never mapped.
    #[allow(unsafe_code)]
    let env = unsafe {
        if read_only {
            options.flags(heed::EnvFlags::READ_ONLY);
        }
        options.open(dir)
    };
    Ok(env?)
}

/// Creates the data directory readable by its owner only: it lists every
/// photo's path.
fn create_private_dir(dir: &Path) -> Result<()> {
    let io = |source| Error::Io { path: dir.to_owned(), source };
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io)
}
