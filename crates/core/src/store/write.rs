//! Writing: every change of a batch, the vectors and the rebuilt arroy
//! indexes in one transaction.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::SystemTime;

use heed::RwTxn;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::codes;
use super::keys::{is_long, path_key};
use super::roots::RootCounts;
use super::{
    Change, Embedded, Error, Failure, META_KEY, Meta, N_TREES, Orphan, PathEntry, Photo, PhotoId, Result,
    Store, hex, unhex,
};

/// What a transaction changed besides its records: the arroy indexes to
/// rebuild (only those are), and the roots' file counts.
#[derive(Default, Clone)]
pub(super) struct Dirty {
    indexes: BTreeSet<u16>,
    pub(super) counts: RootCounts,
}

/// What became of one change of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Landed {
    /// The change's path now points at this photo.
    Photo(PhotoId),
    /// Nothing to point at: a failure recorded, a path removed, or known
    /// bytes the store no longer has.
    Nothing,
    /// The change could not be written (a record that cannot be encoded,
    /// a vector of the wrong length): recorded as this failure instead,
    /// and the rest of the batch landed.
    Failed(Failure),
}

impl Landed {
    /// The photo the change's path points at now.
    pub fn id(&self) -> Option<PhotoId> {
        match self {
            Landed::Photo(id) => Some(*id),
            Landed::Nothing | Landed::Failed(_) => None,
        }
    }
}

impl Store {
    /// Applies a batch of changes in one transaction: metadata, vectors and
    /// the rebuilt indexes commit together or not at all. Bytes already in
    /// the store keep their id and vector and gain the new path. A change
    /// that cannot be written on its own (a record that cannot be encoded, a
    /// vector of the wrong length) becomes its path's failure record and the
    /// others still land; only what is no one file's fault (a full disk, a
    /// full map) fails the batch. `seed` drives arroy's random tree splits:
    /// fixed, the build is reproducible.
    pub fn commit(&self, changes: &[Change], seed: u64) -> Result<Vec<Landed>> {
        // The common case pays nothing for the isolation: the batch is
        // applied straight; only when one change fails on its own is the
        // transaction dropped and the batch applied again, each change in a
        // nested transaction of its own.
        match self.commit_batch(changes, seed, false) {
            Err(err) if err.is_one_files() => self.commit_batch(changes, seed, true),
            done => done,
        }
    }

    fn commit_batch(&self, changes: &[Change], seed: u64, isolated: bool) -> Result<Vec<Landed>> {
        let mut wtxn = self.env.write_txn()?;
        let mut meta = self.meta.get(&wtxn, META_KEY)?.ok_or(Error::MissingMeta)?;
        let mut dirty = Dirty { counts: self.root_counts(&wtxn)?, ..Dirty::default() };
        let mut landed = Vec::with_capacity(changes.len());
        for change in changes {
            landed.push(if isolated {
                self.apply_alone(&mut wtxn, &mut meta, &mut dirty, change)?
            } else {
                self.apply(&mut wtxn, &mut meta, &mut dirty, change)?.map_or(Landed::Nothing, Landed::Photo)
            });
        }
        self.meta.put(&mut wtxn, META_KEY, &meta)?;
        self.save_root_counts(&mut wtxn, &dirty.counts)?;
        self.build(&mut wtxn, &meta, &dirty, seed)?;
        wtxn.commit()?;
        Ok(landed)
    }

    /// Applies one change in a nested transaction; a change that fails on
    /// its own is rolled back and recorded as its path's failure.
    fn apply_alone(
        &self,
        wtxn: &mut RwTxn,
        meta: &mut Meta,
        dirty: &mut Dirty,
        change: &Change,
    ) -> Result<Landed> {
        let err = match self.apply_nested(wtxn, meta, dirty, change) {
            Ok(id) => return Ok(id.map_or(Landed::Nothing, Landed::Photo)),
            Err(err) if err.is_one_files() => err,
            Err(err) => return Err(err),
        };
        let failure = failure_of(change, &err);
        match self.apply_nested(wtxn, meta, dirty, &Change::Failed(failure.clone())) {
            Err(again) if !again.is_one_files() => return Err(again),
            _ => {} // recorded, or not even that: the event still says why
        }
        Ok(Landed::Failed(failure))
    }

    /// Applies `change` in a transaction nested in `wtxn`: all of it, or
    /// (on error) none of it, `meta` and `dirty` included.
    fn apply_nested(
        &self,
        wtxn: &mut RwTxn,
        meta: &mut Meta,
        dirty: &mut Dirty,
        change: &Change,
    ) -> Result<Option<PhotoId>> {
        let (mut meta_after, mut dirty_after) = (meta.clone(), dirty.clone());
        let mut nested = self.env.nested_write_txn(wtxn)?;
        let id = self.apply(&mut nested, &mut meta_after, &mut dirty_after, change)?;
        nested.commit()?;
        (*meta, *dirty) = (meta_after, dirty_after);
        Ok(id)
    }

    pub(super) fn apply(
        &self,
        wtxn: &mut RwTxn,
        meta: &mut Meta,
        dirty: &mut Dirty,
        change: &Change,
    ) -> Result<Option<PhotoId>> {
        match change {
            Change::Embedded(new) => self.put_embedded(wtxn, meta, dirty, new).map(Some),
            Change::Known { hash, path, size, modified } => {
                let Some(id) = self.hashes.get(wtxn, hash)? else { return Ok(None) };
                self.attach(wtxn, meta, dirty, id, path, *size, *modified)?;
                Ok(Some(id))
            }
            Change::Failed(failure) => {
                self.forget_path(wtxn, meta, dirty, &failure.path)?;
                self.errors.put(wtxn, &path_key(&failure.path), failure)?;
                Ok(None)
            }
            Change::Removed(path) => {
                self.forget_path(wtxn, meta, dirty, path)?;
                self.errors.delete(wtxn, &path_key(path))?;
                Ok(None)
            }
        }
    }

    fn put_embedded(
        &self,
        wtxn: &mut RwTxn,
        meta: &mut Meta,
        dirty: &mut Dirty,
        new: &Embedded,
    ) -> Result<PhotoId> {
        let model = &new.model;
        if new.vector.len() != model.dims {
            return Err(Error::VectorDims {
                path: new.path.clone(),
                expected: model.dims,
                received: new.vector.len(),
            });
        }
        let index = meta.index_for(model)?;
        let id = match self.hashes.get(wtxn, &new.hash)? {
            Some(id) => id,
            None => {
                let id = meta.next_id;
                meta.next_id = id.checked_add(1).ok_or(Error::TooManyPhotos)?;
                self.hashes.put(wtxn, &new.hash, &id)?;
                let photo = Photo {
                    hash: hex(&new.hash),
                    paths: Vec::new(),
                    size: new.size,
                    dimensions: new.dimensions,
                    format: new.format.clone(),
                    captured: new.captured.clone(),
                    modified: new.modified,
                };
                self.photos.put(wtxn, &id, &photo)?;
                id
            }
        };
        self.writer_for(index, model.dims).add_item(wtxn, id, &new.vector)?;
        codes::put(self.codes, wtxn, index, id, &new.vector)?;
        dirty.indexes.insert(index);
        meta.embeddings += 1;
        self.attach(wtxn, meta, dirty, id, &new.path, new.size, new.modified)?;
        Ok(id)
    }

    /// Points `path` at photo `id`, detaching it from what it held before.
    #[allow(clippy::too_many_arguments)]
    fn attach(
        &self,
        wtxn: &mut RwTxn,
        meta: &Meta,
        dirty: &mut Dirty,
        id: PhotoId,
        path: &Path,
        size: u64,
        modified: SystemTime,
    ) -> Result<()> {
        let key = path_key(path);
        match self.paths.get(wtxn, &key)? {
            None => dirty.counts.add(path, 1),
            Some(old) if old.id != id => self.detach(wtxn, meta, dirty, old.id, path)?,
            Some(_) => {}
        }
        let mut photo = self.photos.get(wtxn, &id)?.ok_or(Error::MissingPhoto(id))?;
        if photo.paths.is_empty() {
            self.adopt(wtxn, meta, dirty, id)?;
        }
        if !photo.paths.iter().any(|p| p == path) {
            photo.paths.push(path.to_owned());
            self.photos.put(wtxn, &id, &photo)?;
        }
        let long = is_long(path).then(|| path.to_owned());
        self.paths.put(wtxn, &key, &PathEntry { id, size, modified, long })?;
        self.errors.delete(wtxn, &key)?;
        Ok(())
    }

    /// Drops `path` from the index, and its photo when no path is left.
    fn forget_path(&self, wtxn: &mut RwTxn, meta: &Meta, dirty: &mut Dirty, path: &Path) -> Result<()> {
        let key = path_key(path);
        if let Some(old) = self.paths.get(wtxn, &key)? {
            dirty.counts.add(path, -1);
            self.paths.delete(wtxn, &key)?;
            self.detach(wtxn, meta, dirty, old.id, path)?;
        }
        Ok(())
    }

    /// Removes `path` from photo `id`; a photo left with no path becomes an
    /// orphan: its vectors leave every index but are kept aside.
    fn detach(
        &self,
        wtxn: &mut RwTxn,
        meta: &Meta,
        dirty: &mut Dirty,
        id: PhotoId,
        path: &Path,
    ) -> Result<()> {
        let Some(mut photo) = self.photos.get(wtxn, &id)? else { return Ok(()) };
        photo.paths.retain(|p| p != path);
        if !photo.paths.is_empty() {
            self.photos.put(wtxn, &id, &photo)?;
            return Ok(());
        }
        self.photos.put(wtxn, &id, &photo)?;
        let mut vectors = Vec::new();
        for &(index, dims) in meta.models.values() {
            let writer = self.writer_for(index, dims);
            if let Some(vector) = writer.item_vector(wtxn, id)? {
                writer.del_item(wtxn, id)?;
                codes::delete(self.codes, wtxn, index, id)?;
                dirty.indexes.insert(index);
                vectors.push((index, vector));
            }
        }
        self.orphans.put(wtxn, &id, &Orphan { since: SystemTime::now(), vectors })?;
        Ok(())
    }

    /// An orphan found again: its kept vectors go back into their indexes
    /// (where the photo has none yet).
    fn adopt(&self, wtxn: &mut RwTxn, meta: &Meta, dirty: &mut Dirty, id: PhotoId) -> Result<()> {
        let Some(orphan) = self.orphans.get(wtxn, &id)? else { return Ok(()) };
        for (index, vector) in orphan.vectors {
            let Some(&(_, dims)) = meta.models.values().find(|(i, _)| *i == index) else { continue };
            let writer = self.writer_for(index, dims);
            if vector.len() == dims && !writer.contains_item(wtxn, id)? {
                writer.add_item(wtxn, id, &vector)?;
                codes::put(self.codes, wtxn, index, id, &vector)?;
                dirty.indexes.insert(index);
            }
        }
        self.orphans.delete(wtxn, &id)?;
        Ok(())
    }

    /// Deletes the orphans (photos none of whose files exist) orphaned for
    /// at least `age`, with their kept vectors. Returns how many left.
    pub fn purge_orphans(&self, age: std::time::Duration) -> Result<usize> {
        let now = SystemTime::now();
        let mut wtxn = self.env.write_txn()?;
        let mut old = Vec::new();
        for entry in self.orphans.iter(&wtxn)? {
            let (id, orphan) = entry?;
            if now.duration_since(orphan.since).is_ok_and(|d| d >= age) {
                old.push(id);
            }
        }
        for &id in &old {
            self.orphans.delete(&mut wtxn, &id)?;
            if let Some(photo) = self.photos.get(&wtxn, &id)? {
                self.photos.delete(&mut wtxn, &id)?;
                if let Some(hash) = unhex(&photo.hash) {
                    self.hashes.delete(&mut wtxn, &hash)?;
                }
            }
        }
        wtxn.commit()?;
        Ok(old.len())
    }

    /// Deletes model `id`'s index and the vectors kept aside for it. Returns
    /// how many vectors went, or `None` when the store has no such model.
    pub fn drop_model(&self, id: &str) -> Result<Option<u64>> {
        let mut wtxn = self.env.write_txn()?;
        let mut meta = self.meta.get(&wtxn, META_KEY)?.ok_or(Error::MissingMeta)?;
        let Some((index, dims)) = meta.models.remove(id) else { return Ok(None) };
        let writer = self.writer_for(index, dims);
        let mut gone = writer.iter(&wtxn)?.count() as u64;
        writer.clear(&mut wtxn)?;
        codes::clear(self.codes, &mut wtxn, index)?;
        let mut kept = Vec::new();
        for entry in self.orphans.iter(&wtxn)? {
            let (photo, orphan) = entry?;
            if orphan.vectors.iter().any(|(i, _)| *i == index) {
                kept.push((photo, orphan));
            }
        }
        for (photo, mut orphan) in kept {
            orphan.vectors.retain(|(i, _)| *i != index);
            self.orphans.put(&mut wtxn, &photo, &orphan)?;
            gone += 1;
        }
        self.meta.put(&mut wtxn, META_KEY, &meta)?;
        wtxn.commit()?;
        Ok(Some(gone))
    }

    pub(super) fn build(&self, wtxn: &mut RwTxn, meta: &Meta, dirty: &Dirty, seed: u64) -> Result<()> {
        for &(index, dims) in meta.models.values() {
            if dirty.indexes.contains(&index) {
                let writer = self.writer_for(index, dims);
                writer.builder(&mut StdRng::seed_from_u64(seed)).n_trees(N_TREES).build(wtxn)?;
            }
        }
        Ok(())
    }
}

/// The failure record for a change that could not be written.
fn failure_of(change: &Change, err: &Error) -> Failure {
    let (path, size, modified) = match change {
        Change::Embedded(e) => (e.path.clone(), Some(e.size), Some(e.modified)),
        Change::Known { path, size, modified, .. } => (path.clone(), Some(*size), Some(*modified)),
        Change::Failed(f) => (f.path.clone(), f.size, f.modified),
        Change::Removed(path) => (path.clone(), None, None),
    };
    Failure { path, size, modified, reason: format!("cannot be written to the index: {}", err.reason()) }
}
