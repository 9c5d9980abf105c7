//! The library's roots, and how many indexed files each holds: a counter
//! kept with every commit, so showing the folders never walks their paths.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use heed::{RoTxn, RwTxn, WithoutTls};

use super::keys::{folder_prefix, path_key, plain_path};
use super::write::Dirty;
use super::{Change, Error, META_KEY, Result, Root, Store};

/// The roots a transaction saw, and how its changes moved their counts.
#[derive(Debug, Default, Clone)]
pub(crate) struct RootCounts {
    roots: Vec<(PathBuf, i64)>,
}

impl RootCounts {
    /// A file at `path` came (`+1`) or went (`-1`): every root holding it
    /// counts it (nested roots both do).
    pub fn add(&mut self, path: &Path, delta: i64) {
        for (root, moved) in &mut self.roots {
            if path.starts_with(root) {
                *moved += delta;
            }
        }
    }
}

impl Store {
    /// The roots, by path, each with its file count.
    pub fn roots(&self) -> Result<Vec<Root>> {
        let rtxn = self.read_txn()?;
        let mut all = Vec::new();
        for entry in self.roots.iter(&rtxn)? {
            let mut root = entry?.1;
            if root.files.is_none() {
                // Written before roots were counted, and opened read-only
                // since (a writer counts them once on opening).
                root.files = Some(self.files_in(&rtxn, &root.path)?);
            }
            all.push(root);
        }
        Ok(all)
    }

    /// Every root, for a transaction to count its changes against.
    pub(super) fn root_counts(&self, txn: &RoTxn<WithoutTls>) -> Result<RootCounts> {
        let mut roots = Vec::new();
        for entry in self.roots.iter(txn)? {
            roots.push((entry?.1.path, 0));
        }
        Ok(RootCounts { roots })
    }

    /// Writes the counts a transaction moved.
    pub(super) fn save_root_counts(&self, wtxn: &mut RwTxn, counts: &RootCounts) -> Result<()> {
        for (path, moved) in counts.roots.iter().filter(|(_, moved)| *moved != 0) {
            let key = path_key(path);
            let Some(mut root) = self.roots.get(wtxn, &key)? else { continue };
            let files = root.files.unwrap_or(0).saturating_add_signed(*moved);
            root.files = Some(files);
            self.roots.put(wtxn, &key, &root)?;
        }
        Ok(())
    }

    /// Counts the roots that have no count yet (a library from before
    /// counting), once.
    pub(super) fn count_uncounted_roots(&self) -> Result<()> {
        let rtxn = self.read_txn()?;
        let mut uncounted = Vec::new();
        for entry in self.roots.iter(&rtxn)? {
            let root = entry?.1;
            if root.files.is_none() {
                let files = self.files_in(&rtxn, &root.path)?;
                uncounted.push(Root { files: Some(files), ..root });
            }
        }
        drop(rtxn);
        if uncounted.is_empty() {
            return Ok(());
        }
        let mut wtxn = self.env.write_txn()?;
        for root in &uncounted {
            self.roots.put(&mut wtxn, &path_key(&root.path), root)?;
        }
        wtxn.commit()?;
        Ok(())
    }

    /// Indexed files inside `folder`, by walking their keys.
    fn files_in(&self, txn: &RoTxn<WithoutTls>, folder: &Path) -> Result<u64> {
        let mut files = 0;
        for entry in self.paths.prefix_iter(txn, &folder_prefix(folder))? {
            let (key, entry) = entry?;
            let inside = entry.long.as_deref().map(|long| long.starts_with(folder));
            if inside.or_else(|| plain_path(key).map(|p| p.starts_with(folder))).unwrap_or(false) {
                files += 1;
            }
        }
        Ok(files)
    }

    /// Adds a root folder (kept as given: the caller makes it absolute),
    /// counting the files already indexed inside it (under another root).
    /// Returns false when it was already a root.
    pub fn add_root(&self, path: &Path) -> Result<bool> {
        let mut wtxn = self.env.write_txn()?;
        let key = path_key(path);
        if self.roots.get(&wtxn, &key)?.is_some() {
            return Ok(false);
        }
        let files = self.files_in(&wtxn, path)?;
        let root = Root { path: path.to_owned(), added: SystemTime::now(), files: Some(files) };
        self.roots.put(&mut wtxn, &key, &root)?;
        wtxn.commit()?;
        Ok(true)
    }

    /// Removes a root and, in the same transaction, every path under it that
    /// no other root holds. Returns how many paths left the index, or `None`
    /// when it was not a root.
    pub fn remove_root(&self, path: &Path, seed: u64) -> Result<Option<usize>> {
        let roots = self.roots()?;
        if !roots.iter().any(|r| r.path == path) {
            return Ok(None);
        }
        let others: Vec<PathBuf> = roots.into_iter().map(|r| r.path).filter(|p| p != path).collect();
        let held_elsewhere = |p: &Path| others.iter().any(|root| p.starts_with(root));
        let mut gone = Vec::new();
        self.for_each_path_in::<Error>(path, |p, _| {
            if !held_elsewhere(p) {
                gone.push(Change::Removed(p.to_owned()));
            }
            Ok(())
        })?;
        for failure in self.failures_in(path)? {
            if !held_elsewhere(&failure.path) {
                gone.push(Change::Removed(failure.path));
            }
        }
        let mut wtxn = self.env.write_txn()?;
        let mut meta = self.meta.get(&wtxn, META_KEY)?.ok_or(Error::MissingMeta)?;
        // What leaves is held by no other root: no other count moves.
        let mut dirty = Dirty::default();
        for change in &gone {
            self.apply(&mut wtxn, &mut meta, &mut dirty, change)?;
        }
        self.roots.delete(&mut wtxn, &path_key(path))?;
        self.build(&mut wtxn, &meta, &dirty, seed)?;
        wtxn.commit()?;
        Ok(Some(gone.len()))
    }
}
