//! The library as a timeline: every photo the filters keep, newest first,
//! counted by month of capture (EXIF date, else the file's date), served a
//! page at a time so 100,000 photos never cross the IPC at once.

use std::path::PathBuf;

use serde::Serialize;

use crate::catalog::{self, Catalog};
use crate::duplicates::Stacks;
use crate::search::{self, Filter};
use crate::store::{Photo, PhotoId, Store};

/// The most photos one page holds.
pub const MAX_PAGE: usize = 1000;

/// Photos in one month, newest month first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    /// Photos taken in it.
    pub count: u64,
}

/// A photo as the window lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Photo"))]
pub struct PhotoCard {
    /// The photo's path (the first one that is there now).
    #[serde(with = "crate::paths::serde")]
    #[cfg_attr(feature = "ts", ts(type = "PathJson"))]
    pub path: PathBuf,
    /// Every path with these bytes.
    #[serde(with = "crate::paths::serde_vec")]
    #[cfg_attr(feature = "ts", ts(type = "PathJson[]"))]
    pub paths: Vec<PathBuf>,
    /// None of the paths is there now (an unplugged drive?).
    pub offline: bool,
    /// EXIF capture time, `YYYY-MM-DDTHH:MM:SS`.
    pub captured: Option<String>,
    /// When it was taken: `captured`, else the file's time (local time, as EXIF's is).
    pub taken: String,
    /// Image format.
    pub format: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// File size in bytes.
    pub size: u64,
    /// The photo's id in this library.
    pub id: PhotoId,
    /// The other photos of its near-duplicate group, in a stacked list (see
    /// [`crate::duplicates::Stacks`]); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub also: Vec<PhotoCard>,
}

impl PhotoCard {
    /// The card of `photo`: its first path that is there now, else its first.
    pub fn of(id: PhotoId, photo: Photo) -> Self {
        let present = photo.paths.iter().find(|p| p.exists()).cloned();
        let offline = present.is_none();
        let path = present.or_else(|| photo.paths.first().cloned()).unwrap_or_default();
        Self {
            taken: catalog::taken(&photo),
            path,
            offline,
            paths: photo.paths,
            captured: photo.captured,
            format: photo.format,
            width: photo.dimensions.0,
            height: photo.dimensions.1,
            size: photo.size,
            id,
            also: Vec::new(),
        }
    }
}

/// One page of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimelinePage {
    /// Photos the timeline holds in all (after filters).
    pub total: u64,
    /// Every month's count, newest first; they sum to `total`.
    pub months: Vec<MonthCount>,
    /// `photos[0]` is the `offset`-th photo, newest first.
    pub offset: u64,
    /// At most [`MAX_PAGE`] photos.
    pub photos: Vec<PhotoCard>,
}

/// `limit` photos from the `offset`-th on, of those every filter keeps; with
/// `stacks`, each near-duplicate group is one photo (its keeper, the others
/// in its `also`) when the filters keep the keeper.
pub fn page(
    store: &Store,
    catalog: &Catalog,
    filters: &[Filter],
    stacks: Option<&Stacks>,
    offset: u64,
    limit: usize,
) -> Result<TimelinePage, search::Error> {
    let kept = search::candidates(store, Some(catalog), filters)?;
    let filtered = |id: PhotoId| kept.as_ref().is_none_or(|set| set.contains(id));
    // Groups may be a moment older than the catalog: a keeper must be listed to hide others.
    let shown = |id: PhotoId| filtered(id) && catalog.listed.contains(id);
    let keep = |id: PhotoId| filtered(id) && !stacks.is_some_and(|stacks| stacks.folds(id, shown));
    let months: Vec<MonthCount> =
        catalog.months(keep).into_iter().map(|(month, count)| MonthCount { month, count }).collect();
    let total = months.iter().map(|m| m.count).sum();
    let ids = catalog.by_date.iter().map(|(_, id)| *id).filter(|id| keep(*id));
    let mut photos = Vec::new();
    for id in ids.skip(usize::try_from(offset).unwrap_or(usize::MAX)).take(limit.min(MAX_PAGE)) {
        if let Some(photo) = store.photo(id)? {
            let mut card = PhotoCard::of(id, photo);
            if let Some(stacks) = stacks {
                card.also = stacks.also(store, id)?;
            }
            photos.push(card);
        }
    }
    Ok(TimelinePage { total, months, offset, photos })
}
