//! What the library holds, by date and by folder: the timeline's order, and
//! the dates and folder names a query may name ([`crate::query::Known`]).
//!
//! Built by one pass over the photos (a third of a second at 100,000 photos,
//! see docs/PERFORMANCE.md) and kept until the store's generation moves, so a
//! timeline scrolled page by page, a query typed letter by letter, or a
//! date or type filter reads the index once.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use roaring::RoaringBitmap;

use crate::query::{Known, KnownFolder};
use crate::search::{Filter, format_matches, iso_local};
use crate::store::{Photo, PhotoId, Store};

/// The library's photos in timeline order, and what a query may name.
#[derive(Debug)]
pub struct Catalog {
    /// The store generation it was built at.
    pub generation: usize,
    /// When it was built.
    built: std::time::Instant,
    /// Newest first: (`YYYYMMDDHHMMSS` of when it was taken, id); a RAW beside its
    /// JPEG is left out (the shot shows once).
    pub by_date: Vec<(u64, PhotoId)>,
    /// The photos of `by_date`.
    pub listed: RoaringBitmap,
    /// The dates and folders photos are in.
    pub known: Known,
    /// Every photo with a path (twins too): when it was taken and its format, for the
    /// date and type filters.
    all: Vec<Dated>,
    /// The formats `Dated::format` indexes.
    formats: Vec<String>,
}

/// A photo as the date and type filters see it.
#[derive(Debug, Clone, Copy)]
struct Dated {
    key: u64,
    id: PhotoId,
    format: u8,
}

impl Catalog {
    /// Reads every photo of `store`.
    pub fn build(store: &Store) -> crate::store::Result<Self> {
        let generation = store.generation();
        let roots = store.roots()?.into_iter().map(|r| r.path).collect::<Vec<_>>();
        let mut by_date = Vec::new();
        let mut folders = Folders::new(roots);
        let mut known = Known::default();
        let mut shots = Shots::default();
        let (mut all, mut formats) = (Vec::new(), Vec::<String>::new());
        store.for_each_photo(|id, photo| {
            if photo.paths.is_empty() {
                return; // an orphan: kept for its vector, not shown
            }
            let key = date_key(&taken(&photo));
            known.years.insert((key / 10_000_000_000) as i32);
            known.months.insert(((key / 10_000_000_000) as i32, (key / 100_000_000 % 100) as u32));
            photo.paths.iter().for_each(|path| folders.add(path));
            shots.add(id, &photo.paths);
            all.push(Dated { key, id, format: intern(&mut formats, &photo.format) });
            by_date.push((key, id));
        })?;
        let twins = shots.raw_twins();
        by_date.retain(|(_, id)| !twins.contains(id));
        // Newest first; a stable order among photos taken the same second.
        by_date.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        known.folders = folders.known();
        let listed = by_date.iter().map(|(_, id)| *id).collect();
        Ok(Self { generation, built: std::time::Instant::now(), by_date, listed, known, all, formats })
    }

    /// The photos `filter`'s dates and types keep (its folders are the store's to say), from
    /// memory: the same rule as a scan of the photos (`search::keeps`), without reading them.
    pub fn kept(&self, filter: &Filter) -> RoaringBitmap {
        let day = |d: &crate::search::Day| date_key(d.as_str()) / 1_000_000;
        let (after, before) = (filter.after.as_ref().map(day), filter.before.as_ref().map(day));
        let types: Vec<bool> = self
            .formats
            .iter()
            .map(|f| filter.formats.is_empty() || filter.formats.iter().any(|r| format_matches(r, f)))
            .collect();
        self.all
            .iter()
            .filter(|d| {
                let taken = d.key / 1_000_000;
                after.is_none_or(|a| taken >= a)
                    && before.is_none_or(|b| taken < b)
                    && types[usize::from(d.format)]
            })
            .map(|d| d.id)
            .collect()
    }

    /// Each month's count (`YYYY-MM`), newest first, of the photos `keep` keeps.
    pub fn months(&self, keep: impl Fn(PhotoId) -> bool) -> Vec<(String, u64)> {
        let mut months: Vec<(String, u64)> = Vec::new();
        for (key, id) in &self.by_date {
            if !keep(*id) {
                continue;
            }
            let month = month_of(*key);
            match months.last_mut() {
                Some((last, count)) if *last == month => *count += 1,
                _ => months.push((month, 1)),
            }
        }
        months
    }
}

/// The catalog of `store`, from `cache` when the store has not moved since.
pub fn current(
    store: &Store,
    cache: &std::sync::Mutex<Option<Arc<Catalog>>>,
) -> crate::store::Result<Arc<Catalog>> {
    let mut cached = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(catalog) = cached.as_ref()
        && catalog.generation == store.generation()
    {
        return Ok(Arc::clone(catalog));
    }
    let catalog = Arc::new(Catalog::build(store)?);
    *cached = Some(Arc::clone(&catalog));
    Ok(catalog)
}

/// The catalog of `store` for reading a query's words: the cached one while it is younger
/// than `max_age` even if photos were committed since (the years and folders a library has
/// rarely change with a commit), so a search during indexing does not pay a pass over every
/// photo after each commit; else [`current`].
pub fn recent(
    store: &Store,
    cache: &std::sync::Mutex<Option<Arc<Catalog>>>,
    max_age: std::time::Duration,
) -> crate::store::Result<Arc<Catalog>> {
    {
        let cached = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(catalog) = cached.as_ref()
            && catalog.built.elapsed() < max_age
        {
            return Ok(Arc::clone(catalog));
        }
    }
    current(store, cache)
}

/// When a photo was taken: its EXIF capture time, else its file's time in this
/// computer's time zone (EXIF's is the camera's local time too), `YYYY-MM-DDTHH:MM:SS`.
/// The one rule the timeline, its months and the date filters all use.
pub fn taken(photo: &Photo) -> String {
    photo.captured.clone().unwrap_or_else(|| iso_local(photo.modified))
}

/// The index of `format` in `formats`, added when new (a library has a handful).
fn intern(formats: &mut Vec<String>, format: &str) -> u8 {
    let at = formats.iter().position(|f| f == format).unwrap_or_else(|| {
        formats.push(format.to_owned());
        formats.len() - 1
    });
    u8::try_from(at).unwrap_or(u8::MAX)
}

/// `YYYY-MM-DDTHH:MM:SS` as the number `YYYYMMDDHHMMSS`: sorts as the dates do.
/// Missing or odd digits count as 0.
fn date_key(when: &str) -> u64 {
    when.bytes()
        .filter(u8::is_ascii_digit)
        .take(14)
        .chain(std::iter::repeat(b'0'))
        .take(14)
        .fold(0, |n, d| n * 10 + u64::from(d - b'0'))
}

fn month_of(key: u64) -> String {
    format!("{:04}-{:02}", key / 10_000_000_000, key / 100_000_000 % 100)
}

/// The shots photos belong to (see [`crate::twins`]): a RAW whose every path has the JPEG
/// (or HEIC) its camera wrote beside it is shown once, as that rendering, as search does.
#[derive(Default)]
struct Shots {
    rendered: HashSet<(PathBuf, std::ffi::OsString)>,
    raws: Vec<(PhotoId, Vec<(PathBuf, std::ffi::OsString)>)>,
}

impl Shots {
    fn add(&mut self, id: PhotoId, paths: &[PathBuf]) {
        let shots = paths.iter().filter_map(|p| crate::twins::shot(p));
        if paths.iter().all(|p| crate::scan::is_raw(p)) {
            self.raws.push((id, shots.collect()));
        } else {
            self.rendered.extend(shots);
        }
    }

    /// The RAW photos to leave out: every path has a rendered twin.
    fn raw_twins(self) -> HashSet<PhotoId> {
        let Self { rendered, raws } = self;
        raws.into_iter()
            .filter(|(_, shots)| !shots.is_empty() && shots.iter().all(|s| rendered.contains(s)))
            .map(|(id, _)| id)
            .collect()
    }
}

/// Every folder from a root down to a photo, by name.
struct Folders {
    roots: Vec<PathBuf>,
    seen: HashSet<PathBuf>,
    by_name: BTreeMap<String, BTreeSet<PathBuf>>,
}

impl Folders {
    fn new(roots: Vec<PathBuf>) -> Self {
        Self { roots, seen: HashSet::new(), by_name: BTreeMap::new() }
    }

    /// The folders holding `photo`, up to and including its root.
    fn add(&mut self, photo: &Path) {
        let Some(root) = self.roots.iter().find(|root| photo.starts_with(root)) else { return };
        let mut dir = photo.parent();
        while let Some(folder) = dir.filter(|d| d.starts_with(root)) {
            if !self.seen.insert(folder.to_owned()) {
                return; // its parents were added with it
            }
            if let Some(name) = folder.file_name().and_then(|n| n.to_str()) {
                self.by_name.entry(name.to_owned()).or_default().insert(folder.to_owned());
            }
            dir = folder.parent();
        }
    }

    fn known(self) -> Vec<KnownFolder> {
        self.by_name
            .into_iter()
            .map(|(name, paths)| KnownFolder { name, paths: paths.into_iter().collect() })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_keys_that_sort_like_them() {
        assert_eq!(date_key("2021-06-15T08:30:05"), 20210615083005);
        assert_eq!(date_key("2021-06-15"), 20210615000000);
        assert!(date_key("2020-12-31T23:59:59") < date_key("2021-01-01T00:00:00"));
        assert_eq!(month_of(20210615083005), "2021-06");
    }

    #[test]
    fn a_raw_beside_its_jpeg_is_one_shot_and_a_raw_alone_stays() {
        let mut shots = Shots::default();
        shots.add(1, &[PathBuf::from("/p/IMG_0042.CR2")]);
        shots.add(2, &[PathBuf::from("/p/img_0042.jpg")]);
        shots.add(3, &[PathBuf::from("/p/IMG_0043.CR2")]);
        shots.add(4, &[PathBuf::from("/p/IMG_0044.NEF"), PathBuf::from("/backup/IMG_0044.NEF")]);
        shots.add(5, &[PathBuf::from("/p/IMG_0044.JPG")]);
        assert_eq!(shots.raw_twins(), HashSet::from([1]), "0043 has no JPEG; 0044's backup copy has none");
    }

    #[test]
    fn folders_are_named_from_the_root_down_and_not_above() {
        let mut folders = Folders::new(vec![PathBuf::from("/home/ann/Pictures")]);
        folders.add(Path::new("/home/ann/Pictures/Trips/Paris/a.jpg"));
        folders.add(Path::new("/home/ann/Pictures/Trips/Rome/b.jpg"));
        folders.add(Path::new("/elsewhere/c.jpg"));
        let names: Vec<(String, usize)> =
            folders.known().into_iter().map(|f| (f.name, f.paths.len())).collect();
        let expected = [("Paris", 1), ("Pictures", 1), ("Rome", 1), ("Trips", 1)];
        assert_eq!(names, expected.map(|(n, c)| (n.to_owned(), c)));
    }
}
