//! What the store counts: photos, paths, vectors, and its own reads.

use std::sync::atomic::Ordering;

use heed::RoTxn;
use heed::WithoutTls;
use serde::Serialize;

use super::{Coverage, Error, META_KEY, ModelKey, Result, Store};

/// Counts for `photofind status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Distinct photos (contents).
    pub photos: u64,
    /// Paths that hold them.
    pub paths: u64,
    /// Files recorded as failed.
    pub errors: u64,
    /// Photos whose files are all gone, kept (without being searchable) so
    /// they need no model call if the bytes come back; purged after a while.
    pub orphans: u64,
    /// Embeddings the model ever computed for this library: renames, moves
    /// and copies add none.
    pub embeddings: u64,
    /// Each model in the library and how many vectors it has.
    pub models: Vec<ModelStats>,
    /// Bytes the index takes on disk.
    pub disk_bytes: u64,
}

/// One model's share of the index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelStats {
    /// The model id.
    pub id: String,
    /// Its vector length.
    pub dims: usize,
    /// Photos embedded with it.
    pub vectors: u64,
}

impl Store {
    /// A read transaction, counted (see [`Store::reads`]).
    pub(super) fn read_txn(&self) -> heed::Result<RoTxn<'_, WithoutTls>> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.env.read_txn()
    }

    /// Read transactions this handle opened: what a service that is idle
    /// must not add to (its tests and benchmarks read it).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// The id of the last transaction committed to the store, by any
    /// process: it moves exactly when something was written. Reads the
    /// environment's header, no transaction.
    pub fn generation(&self) -> usize {
        self.env.info().last_txn_id
    }

    /// Photos in the library (distinct contents with a path).
    pub fn photo_count(&self) -> Result<u64> {
        let rtxn = self.read_txn()?;
        Ok(self.photos.len(&rtxn)?.saturating_sub(self.orphans.len(&rtxn)?))
    }

    /// How many photos have a vector under `model`.
    pub fn vector_count(&self, model: &ModelKey) -> Result<u64> {
        let rtxn = self.env.read_txn()?;
        Ok(self.model_reader(&rtxn, model)?.map_or(0, |r| r.n_items()))
    }

    /// How much of the library `model`'s index covers, read in one
    /// transaction.
    pub fn coverage(&self, model: &ModelKey) -> Result<Coverage> {
        let rtxn = self.env.read_txn()?;
        let vectors = self.model_reader(&rtxn, model)?.map_or(0, |r| r.n_items());
        let photos = self.photos.len(&rtxn)?.saturating_sub(self.orphans.len(&rtxn)?);
        Ok(Coverage { vectors, photos })
    }

    /// Counts for `photofind status`.
    pub fn stats(&self) -> Result<Stats> {
        let rtxn = self.env.read_txn()?;
        let meta = self.meta.get(&rtxn, META_KEY)?.ok_or(Error::MissingMeta)?;
        let mut models = Vec::new();
        for (id, &(index, dims)) in &meta.models {
            let vectors = self.reader(&rtxn, index)?.map_or(0, |r| r.n_items());
            models.push(ModelStats { id: id.clone(), dims, vectors });
        }
        let disk_bytes = std::fs::metadata(self.dir.join("data.mdb")).map_or(0, |m| m.len());
        let orphans = self.orphans.len(&rtxn)?;
        Ok(Stats {
            photos: self.photos.len(&rtxn)?.saturating_sub(orphans),
            paths: self.paths.len(&rtxn)?,
            errors: self.errors.len(&rtxn)?,
            orphans,
            embeddings: meta.embeddings,
            models,
            disk_bytes,
        })
    }
}

impl Store {
    /// Calls `each` with every photo the library holds, in id order, in one read transaction.
    pub fn for_each_photo(&self, mut each: impl FnMut(super::PhotoId, super::Photo)) -> Result<()> {
        let rtxn = self.read_txn()?;
        for entry in self.photos.iter(&rtxn)? {
            let (id, photo) = entry?;
            each(id, photo);
        }
        Ok(())
    }
}
