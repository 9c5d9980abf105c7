//! A library: the index in a data directory, the folders it covers, and
//! the operations the CLI and the desktop app both drive.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use crate::catalog::{self, Catalog};
use crate::duplicates::{self, Group, Stacks};
use crate::query::Parsed;
use crate::search::{Filter, Query, Term};
use crate::service::WriterLock;
use crate::store::{Coverage, ModelKey, Store};
use crate::timeline::{self, TimelinePage};
use crate::{Embedder, index, search, watch};

/// Why a library operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The index failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// A root to add is not a folder.
    #[error("{}: not a folder ({reason})", path.display())]
    NotAFolder {
        /// What was given.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A root to remove is not one.
    #[error("{}: not a root of this library (see `photofind roots list`)", path.display())]
    NotARoot {
        /// What was given.
        path: PathBuf,
    },
}

/// Where photofind keeps its data when not told: `$XDG_DATA_HOME/photofind`
/// (`~/.local/share/photofind`) on Linux, the platform's equivalent elsewhere.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "photofind").map(|dirs| dirs.data_dir().to_owned())
}

/// How old the years, months and folders a query's words are read against may be while
/// photos are being committed (see [`catalog::recent`]).
pub const WORDS_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(30);

/// An open library.
pub struct Library {
    store: Store,
    data_dir: PathBuf,
    /// The photos by date and folder, until the store moves (see [`catalog`]).
    catalog: Mutex<Option<Arc<Catalog>>>,
    /// The near-duplicate groups, once asked for (see [`duplicates::Stacks`]).
    stacks: Mutex<Option<Arc<Stacks>>>,
    /// Held while the groups are brought up to date, so it is done once at a time.
    refreshing: Mutex<()>,
}

/// What someone asks for: words (filters written in them are read out, see
/// [`crate::query`]), images, and filters set by hand. The CLI and the
/// window both make their queries from one.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// What was typed.
    pub words: String,
    /// Images to find photos like.
    pub images: Vec<Term>,
    /// Descriptions to subtract, besides the `-word`s in `words`.
    pub minus: Vec<String>,
    /// Images to subtract.
    pub minus_images: Vec<Term>,
    /// Filters set by hand (the CLI's flags, the window's fields).
    pub filter: Filter,
    /// At most this many hits.
    pub limit: usize,
}

impl Library {
    /// Opens the library in `data_dir` (its index lives in `data_dir/index`),
    /// registering `model` when given (refused if the library holds that
    /// model's vectors at other dims).
    pub fn open(data_dir: &Path, model: Option<&ModelKey>) -> Result<Self, Error> {
        Ok(Self::with(Store::open(&data_dir.join("index"), model)?, data_dir))
    }

    /// Opens the library in `data_dir` to read it (search, status): nothing
    /// is written, so it works on a read-only disk (see [`Store::open_read`]).
    pub fn open_read(data_dir: &Path) -> Result<Self, Error> {
        Ok(Self::with(Store::open_read(&data_dir.join("index"))?, data_dir))
    }

    fn with(store: Store, data_dir: &Path) -> Self {
        Self {
            store,
            data_dir: data_dir.to_owned(),
            catalog: Mutex::new(None),
            stacks: Mutex::new(None),
            refreshing: Mutex::new(()),
        }
    }

    /// The photos by date and folder as the index holds them now.
    pub fn catalog(&self) -> Result<Arc<Catalog>, Error> {
        Ok(catalog::current(&self.store, &self.catalog)?)
    }

    /// `words` read for the dates and folders this library holds (as of at most
    /// [`WORDS_MAX_AGE`] ago while photos are being committed).
    pub fn read_words(&self, words: &str) -> Result<Parsed, Error> {
        let catalog = catalog::recent(&self.store, &self.catalog, WORDS_MAX_AGE)?;
        Ok(crate::query::parse(words, &catalog.known))
    }

    /// The query `ask` means, and how its words were read.
    pub fn query(&self, ask: Ask) -> Result<(Query, Parsed), Error> {
        let parsed = self.read_words(&ask.words)?;
        let mut positive: Vec<Term> =
            Some(parsed.text.clone()).filter(|t| !t.is_empty()).map(Term::Text).into_iter().collect();
        positive.extend(ask.images);
        let mut negative: Vec<Term> =
            parsed.minus.iter().chain(&ask.minus).cloned().map(Term::Text).collect();
        negative.extend(ask.minus_images);
        let filters = vec![ask.filter, parsed.filter()];
        Ok((Query { positive, negative, filters, limit: ask.limit }, parsed))
    }

    /// A page of the timeline of the photos that the filters set by hand
    /// and those written in `words` keep (see [`timeline::page`]).
    pub fn timeline(
        &self,
        words: &str,
        filter: Filter,
        offset: u64,
        limit: usize,
    ) -> Result<(TimelinePage, Parsed), search::Error> {
        self.timeline_of(words, filter, None, offset, limit)
    }

    /// [`Library::timeline`], each near-duplicate group of `stacks` shown as one photo.
    pub fn stacked_timeline(
        &self,
        words: &str,
        filter: Filter,
        stacks: &Stacks,
        offset: u64,
        limit: usize,
    ) -> Result<(TimelinePage, Parsed), search::Error> {
        self.timeline_of(words, filter, Some(stacks), offset, limit)
    }

    fn timeline_of(
        &self,
        words: &str,
        filter: Filter,
        stacks: Option<&Stacks>,
        offset: u64,
        limit: usize,
    ) -> Result<(TimelinePage, Parsed), search::Error> {
        let catalog = catalog::current(&self.store, &self.catalog)?;
        let parsed = crate::query::parse(words, &catalog.known);
        let filters = [filter, parsed.filter()];
        Ok((timeline::page(&self.store, &catalog, &filters, stacks, offset, limit)?, parsed))
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Takes the right to write this library (see [`crate::service`]):
    /// index and watch hold it while they run.
    pub fn lock_writer(&self, what: &str) -> Result<crate::service::WriterLock, crate::service::LockError> {
        crate::service::lock_writer(&self.data_dir, what)
    }

    /// The index, for tests and benchmarks (the shells go through the
    /// library's own methods).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Registers `model` (refused if the library holds its vectors at
    /// other dims), so a search with it before any indexing finds an index.
    pub fn register_model(&self, model: &ModelKey) -> Result<(), Error> {
        Ok(self.store.register_model(model)?)
    }

    /// Adds a folder as a root (made absolute, symlinks resolved). Returns
    /// the root as stored and whether it is new.
    pub fn add_root(&self, path: &Path) -> Result<(PathBuf, bool), Error> {
        let not_folder = |reason: String| Error::NotAFolder { path: path.to_owned(), reason };
        let root = std::fs::canonicalize(path).map_err(|e| not_folder(e.to_string()))?;
        if !root.is_dir() {
            return Err(not_folder("it is a file".into()));
        }
        let added = self.store.add_root(&root)?;
        Ok((root, added))
    }

    /// Removes a root and the photos only it held. Returns how many paths
    /// left the index.
    pub fn remove_root(&self, path: &Path) -> Result<usize, Error> {
        let root = std::fs::canonicalize(path).or_else(|_| std::path::absolute(path)).unwrap_or_default();
        for candidate in [root.as_path(), path] {
            if let Some(removed) = self.store.remove_root(candidate, index::Options::default().seed)? {
                return Ok(removed);
            }
        }
        Err(Error::NotARoot { path: path.to_owned() })
    }

    /// A page of the files that could not be indexed (see [`Store::failures_page`]).
    pub fn failures(&self, offset: u64, limit: usize) -> Result<crate::store::FailurePage, Error> {
        Ok(self.store.failures_page(offset, limit)?)
    }

    /// Whether the index holds `path` as a photo (a file it read and embedded
    /// or reused, not a failure): what the app may open or reveal.
    pub fn holds(&self, path: &Path) -> Result<bool, Error> {
        Ok(self.store.path_entry(path)?.is_some())
    }

    /// The roots, each with its indexed file count (kept with each commit).
    pub fn folders(&self) -> Result<Vec<crate::store::Root>, Error> {
        Ok(self.store.roots()?)
    }

    /// Counts for `photofind status`.
    pub fn stats(&self) -> Result<crate::store::Stats, Error> {
        Ok(self.store.stats()?)
    }

    /// The roots, by path.
    pub fn roots(&self) -> Result<Vec<PathBuf>, Error> {
        Ok(self.store.roots()?.into_iter().map(|r| r.path).collect())
    }

    /// Indexes every root (see [`index::run`]), holding `writer`.
    pub fn index(
        &self,
        writer: &WriterLock,
        embedder: &dyn Embedder,
        options: &index::Options,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(index::Event),
    ) -> Result<index::Summary, index::Error> {
        debug_assert!(writer.holds(&self.data_dir), "another library's writer lock");
        let roots = self.store.roots()?.into_iter().map(|r| r.path).collect::<Vec<_>>();
        index::run(&self.store, embedder, &roots, options, cancel, on_event)
    }

    /// Indexes every root, then watches them until `commands` stops it, or
    /// until `next`'s index covers the library (see [`watch::run`]);
    /// publishes its state in the data dir. Holds `writer`.
    pub fn watch(
        &self,
        writer: &WriterLock,
        embedder: &dyn Embedder,
        next: Option<&dyn Embedder>,
        options: &watch::Options,
        commands: &watch::Commands,
        on_event: &mut dyn FnMut(watch::Event),
    ) -> Result<watch::Ended, watch::Error> {
        debug_assert!(writer.holds(&self.data_dir), "another library's writer lock");
        let options = watch::Options { data_dir: Some(self.data_dir.clone()), ..options.clone() };
        watch::run(&self.store, embedder, next, &options, commands, on_event)
    }

    /// How much of the library model `id`'s index covers (no vectors when
    /// the library has no index for it).
    pub fn coverage(&self, id: &str) -> Result<Coverage, Error> {
        match self.store.models()?.into_iter().find(|m| m.id == id) {
            Some(model) => Ok(self.store.coverage(&model)?),
            None => Ok(Coverage { vectors: 0, photos: self.store.stats()?.photos }),
        }
    }

    /// Deletes model `id`'s index (see [`Store::drop_model`]).
    pub fn drop_model(&self, id: &str) -> Result<Option<u64>, Error> {
        Ok(self.store.drop_model(id)?)
    }

    /// Runs a query (see [`search::run`]).
    pub fn search(
        &self,
        embedder: &dyn Embedder,
        query: &search::Query,
    ) -> Result<search::Results, search::Error> {
        // Date and type filters come from the catalog when it is built (or worth building).
        let dated =
            query.filters.iter().any(|f| f.after.is_some() || f.before.is_some() || !f.formats.is_empty());
        let catalog = if dated { Some(catalog::current(&self.store, &self.catalog)?) } else { None };
        search::run(&self.store, catalog.as_deref(), embedder, query)
    }

    /// The near-duplicate groups of `model`'s vectors as last brought up to
    /// date ([`Library::refresh_stacks`]); `None` before that, or for another model.
    pub fn stacks(&self, model: &ModelKey) -> Option<Arc<Stacks>> {
        let cached = self.stacks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cached.as_ref().filter(|stacks| stacks.model == *model).cloned()
    }

    /// The near-duplicate groups of `model`'s vectors, brought up to date with
    /// the index: grouped the first time (about 1 s per 100,000 photos), then
    /// only the photos added or removed since.
    pub fn refresh_stacks(&self, model: &ModelKey) -> Result<Arc<Stacks>, Error> {
        let _one_at_a_time = self.refreshing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let stale = self.stacks(model);
        if let Some(stacks) = &stale
            && stacks.generation == self.store.generation()
        {
            return Ok(Arc::clone(stacks));
        }
        let fresh = Arc::new(match stale {
            Some(stacks) => stacks.refreshed(&self.store)?,
            None => Stacks::build(&self.store, model, duplicates::THRESHOLD)?,
        });
        *self.stacks.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    /// The duplicate groups (near and same-bytes) among the photos in
    /// `folders` (all when empty), up to date with the index.
    pub fn duplicates(&self, model: &ModelKey, folders: &[PathBuf]) -> Result<Vec<Group>, Error> {
        let stacks = self.refresh_stacks(model)?;
        Ok(duplicates::stacked_groups(&self.store, &stacks, folders)?)
    }

    /// Moves `paths` to the system trash (see [`crate::trash`]).
    pub fn trash(&self, paths: &[PathBuf]) -> Vec<crate::trash::Trashed> {
        crate::trash::to_trash(self, paths)
    }
}
