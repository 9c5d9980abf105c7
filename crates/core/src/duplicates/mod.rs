//! Near-duplicate photos: burst shots, edited or re-saved copies, a
//! messaging app's compressed version, scans of one print. Two photos are
//! near duplicates when their vectors' cosine is at least a threshold
//! ([`THRESHOLD`] unless told); the same bytes at several paths (one photo
//! of the index with several `paths`) are duplicates too. Each group lists
//! every path, the one to keep first: most pixels, then the largest file,
//! then the oldest (capture time, else the file's date).
//!
//! Groups do not chain: a group is one photo and the photos near it (see
//! [`stars`]), so A near B near C near D never joins A with D through the
//! others. A library of 100,000 photos is grouped without comparing every
//! pair (see [`lsh`]).
//!
//! ```
//! use photofind_core::duplicates::group_vectors;
//!
//! let vectors = vec![(1, vec![1.0, 0.0]), (2, vec![0.999, 0.04]), (3, vec![0.0, 1.0])];
//! assert_eq!(group_vectors(&vectors, 0.95), vec![vec![1, 2]]);
//! ```

pub mod lsh;
mod stacks;
mod stars;

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use roaring::RoaringBitmap;
use serde::Serialize;

use crate::search::iso_local;
use crate::store::{Error, ModelKey, Photo, PhotoId, Store};
pub use lsh::{Grouping, group_vectors, grouping};
pub use stacks::{Stack, Stacks};

/// The default cosine at and above which two photos are near duplicates.
///
/// Calibrated on the CLI's test photos (`crates/cli/tests/duplicates.rs`)
/// with the tiny random-weight fixture model (`tiny-p32-quickgelu`), not on
/// real ViT-B/32 weights (none can be downloaded where it was written). A
/// photo re-encoded at JPEG quality 60, halved or converted to PNG scored at
/// least 0.991 with it, cropped 1 % on each side at least 0.964 (two
/// versions of one photo: 0.962); two different photos at most 0.879, a
/// version of one and a version of another at most 0.925. That tiny model
/// is thrown by crops: cropped 2 % on each side a photo scored as low as
/// 0.906 with itself, 4 % as low as 0.851, below what different photos
/// reach (0.935), so no threshold could group those with it there.
pub const THRESHOLD: f32 = 0.945;

/// What [`groups`] looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Cosine at and above which two photos are near duplicates.
    pub threshold: f32,
    /// Only photos with a path inside one of these folders (all when empty).
    pub folders: Vec<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self { threshold: THRESHOLD, folders: Vec::new() }
    }
}

/// Photos that are duplicates of each other, the one to keep first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "DuplicateGroup"))]
pub struct Group {
    /// One entry per path; only the first has `keep`.
    pub photos: Vec<Member>,
}

impl Group {
    /// Bytes that removing every path but the keeper's would free.
    pub fn freed(&self) -> u64 {
        self.photos.iter().filter(|m| !m.keep).map(|m| m.size).sum()
    }
}

/// One path of a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "DuplicateMember"))]
pub struct Member {
    /// Where the file is.
    #[serde(with = "crate::paths::serde")]
    #[cfg_attr(feature = "ts", ts(type = "PathJson"))]
    pub path: PathBuf,
    /// Width after EXIF orientation.
    pub width: u32,
    /// Height after EXIF orientation.
    pub height: u32,
    /// File size in bytes.
    pub size: u64,
    /// EXIF capture time, `YYYY-MM-DDTHH:MM:SS`, if any.
    pub captured: Option<String>,
    /// The suggested keeper (the group's first member).
    pub keep: bool,
    /// The photo (paths with the same bytes share it).
    pub id: PhotoId,
}

/// The duplicate groups among the photos `model` has vectors for (and the
/// same bytes at several paths, with or without a vector), largest group
/// first, then by the keeper's path.
pub fn groups(store: &Store, model: &ModelKey, options: &Options) -> Result<Vec<Group>, Error> {
    let scope = scope(store, &options.folders)?;
    let near = {
        let vectors = store.vectors_of(model, scope.as_ref())?;
        group_vectors(&vectors, options.threshold)
    };
    listed(store, near, scope.as_ref())
}

/// The groups of `stacks` (kept up to date as photos come and go), and the
/// same bytes at several paths, among the photos in `folders` (all when
/// empty), ordered as [`groups`] orders them.
pub fn stacked_groups(store: &Store, stacks: &Stacks, folders: &[PathBuf]) -> Result<Vec<Group>, Error> {
    let scope = scope(store, folders)?;
    let near = stacks
        .stacks()
        .iter()
        .map(|stack| match &scope {
            Some(scope) => stack.members.iter().copied().filter(|id| scope.contains(*id)).collect(),
            None => stack.members.clone(),
        })
        .filter(|members: &Vec<PhotoId>| members.len() > 1)
        .collect();
    listed(store, near, scope.as_ref())
}

/// Groups of the `near` photos, with a group for each photo at several
/// paths (in `scope` when given) that is in none, largest first.
fn listed(
    store: &Store,
    near: Vec<Vec<PhotoId>>,
    scope: Option<&RoaringBitmap>,
) -> Result<Vec<Group>, Error> {
    let mut copies = store.ids_where(|photo| photo.paths.len() > 1)?;
    if let Some(scope) = scope {
        copies &= scope;
    }
    let mut groups = Vec::new();
    for ids in with_copies(near, &copies) {
        groups.extend(group_of(read(store, &ids)?, file_date(store)));
    }
    sort(&mut groups);
    Ok(groups)
}

/// The photos of `ids` the store holds.
fn read(store: &Store, ids: &[PhotoId]) -> Result<Vec<(PhotoId, Photo)>, Error> {
    let mut photos = Vec::with_capacity(ids.len());
    for &id in ids {
        if let Some(photo) = store.photo(id)? {
            photos.push((id, photo));
        }
    }
    Ok(photos)
}

/// A path's file date, as the index last saw it.
fn file_date(store: &Store) -> impl Fn(&Path) -> Option<SystemTime> + '_ {
    |path: &Path| store.path_entry(path).ok().flatten().map(|entry| entry.modified)
}

/// The suggested keeper of the photos `ids` (the first when none is held).
pub(crate) fn keeper_id(store: &Store, ids: &[PhotoId]) -> Result<PhotoId, Error> {
    let group = group_of(read(store, ids)?, file_date(store));
    Ok(group.map_or(ids[0], |group| group.photos[0].id))
}

/// The photos with a path inside one of `folders`; `None` for all.
fn scope(store: &Store, folders: &[PathBuf]) -> Result<Option<RoaringBitmap>, Error> {
    if folders.is_empty() {
        return Ok(None);
    }
    let mut ids = RoaringBitmap::new();
    for folder in folders {
        // As search's --folder: the folder as the index spells paths.
        let absolute = std::fs::canonicalize(folder).or_else(|_| std::path::absolute(folder));
        ids |= store.ids_in(&absolute.unwrap_or_else(|_| folder.clone()))?;
    }
    Ok(Some(ids))
}

/// `near`, and a group of its own for each photo of `copies` (bytes at
/// several paths) that is in none.
fn with_copies(mut near: Vec<Vec<PhotoId>>, copies: &RoaringBitmap) -> Vec<Vec<PhotoId>> {
    let grouped: RoaringBitmap = near.iter().flatten().copied().collect();
    near.extend((copies - &grouped).iter().map(|id| vec![id]));
    near
}

/// A path of a group, with what ranks it as the keeper.
struct Ranked {
    member: Member,
    /// Capture time, else the file's date, `YYYY-MM-DDTHH:MM:SS`.
    taken: String,
    modified: SystemTime,
}

impl Ranked {
    fn pixels(&self) -> u64 {
        u64::from(self.member.width) * u64::from(self.member.height)
    }
}

/// Which of two paths is the better keeper: most pixels, then the largest
/// file, then the oldest; the path breaks a tie, so the order is stable.
fn keeper_first(a: &Ranked, b: &Ranked) -> Ordering {
    b.pixels()
        .cmp(&a.pixels())
        .then(b.member.size.cmp(&a.member.size))
        .then_with(|| a.taken.cmp(&b.taken))
        .then(a.modified.cmp(&b.modified))
        .then_with(|| a.member.path.cmp(&b.member.path))
}

/// The group of `photos`, one member per path, keeper first (`modified`
/// gives a path's file date); `None` when there are fewer than two paths.
fn group_of(photos: Vec<(PhotoId, Photo)>, modified: impl Fn(&Path) -> Option<SystemTime>) -> Option<Group> {
    let mut ranked = Vec::new();
    for (id, photo) in photos {
        for path in &photo.paths {
            let file_date = modified(path).unwrap_or(photo.modified);
            let member = Member {
                path: path.clone(),
                width: photo.dimensions.0,
                height: photo.dimensions.1,
                size: photo.size,
                captured: photo.captured.clone(),
                keep: false,
                id,
            };
            let taken = photo.captured.clone().unwrap_or_else(|| iso_local(file_date));
            ranked.push(Ranked { member, taken, modified: file_date });
        }
    }
    if ranked.len() < 2 {
        return None;
    }
    ranked.sort_by(keeper_first);
    let mut photos: Vec<Member> = ranked.into_iter().map(|r| r.member).collect();
    photos[0].keep = true;
    Some(Group { photos })
}

/// Largest group first, then by the keeper's path.
fn sort(groups: &mut [Group]) {
    groups.sort_by(|a, b| {
        b.photos.len().cmp(&a.photos.len()).then_with(|| a.photos[0].path.cmp(&b.photos[0].path))
    });
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn photo(paths: &[&str], dimensions: (u32, u32), size: u64, captured: Option<&str>) -> Photo {
        Photo {
            hash: String::new(),
            paths: paths.iter().map(PathBuf::from).collect(),
            size,
            dimensions,
            format: "jpeg".into(),
            captured: captured.map(str::to_owned),
            modified: SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000),
        }
    }

    fn names(group: &Group) -> Vec<&str> {
        group.photos.iter().map(|m| m.path.to_str().expect("utf-8")).collect()
    }

    fn no_dates(_: &Path) -> Option<SystemTime> {
        None
    }

    #[test]
    fn the_keeper_has_the_most_pixels_then_the_largest_file_then_is_oldest() {
        let photos = vec![
            (1, photo(&["/p/small.jpg"], (800, 600), 900_000, None)),
            (2, photo(&["/p/big-lean.jpg"], (4000, 3000), 1_000_000, Some("2020-01-02T00:00:00"))),
            (3, photo(&["/p/big-heavy-new.jpg"], (3000, 4000), 2_000_000, Some("2021-01-01T00:00:00"))),
            (4, photo(&["/p/big-heavy-old.jpg"], (4000, 3000), 2_000_000, Some("2019-06-01T12:00:00"))),
        ];
        let group = group_of(photos, no_dates).expect("a group");
        assert_eq!(
            names(&group),
            ["/p/big-heavy-old.jpg", "/p/big-heavy-new.jpg", "/p/big-lean.jpg", "/p/small.jpg"]
        );
        assert_eq!(group.photos.iter().map(|m| m.keep).collect::<Vec<_>>(), [true, false, false, false]);
        assert_eq!(group.freed(), 2_000_000 + 1_000_000 + 900_000);
    }

    #[test]
    fn among_the_same_bytes_the_oldest_file_is_kept() {
        let copies = photo(&["/b/copy.jpg", "/a/original.jpg", "/c/later.jpg"], (10, 10), 500, None);
        let dates = |path: &Path| {
            let secs = match path.to_str() {
                Some("/a/original.jpg") => 10,
                Some("/b/copy.jpg") => 20,
                _ => 30,
            };
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        };
        let group = group_of(vec![(7, copies)], dates).expect("a group");
        assert_eq!(names(&group), ["/a/original.jpg", "/b/copy.jpg", "/c/later.jpg"]);
        assert!(group.photos.iter().all(|m| m.id == 7));
    }

    #[test]
    fn the_same_bytes_at_two_paths_are_a_group_by_themselves() {
        let near = vec![vec![1, 2]];
        let copies: RoaringBitmap = [2, 5].into_iter().collect();
        assert_eq!(with_copies(near, &copies), vec![vec![1, 2], vec![5]]);
        let group = group_of(vec![(5, photo(&["/x/a.png", "/y/a.png"], (5, 5), 64, None))], no_dates);
        assert_eq!(names(&group.expect("a group")), ["/x/a.png", "/y/a.png"]);
        assert!(group_of(vec![(6, photo(&["/x/alone.png"], (5, 5), 64, None))], no_dates).is_none());
    }

    #[test]
    fn groups_are_largest_first_then_by_keeper() {
        let group =
            |paths: &[&str]| group_of(vec![(1, photo(paths, (1, 1), 1, None))], no_dates).expect("group");
        let mut groups =
            vec![group(&["/z/1", "/z/2"]), group(&["/m/1", "/m/2", "/m/3"]), group(&["/a/1", "/a/2"])];
        sort(&mut groups);
        let keepers: Vec<&str> = groups.iter().map(|g| names(g)[0]).collect();
        assert_eq!(keepers, ["/m/1", "/a/1", "/z/1"]);
    }

    #[test]
    fn a_member_is_written_with_the_documented_names() {
        let group = group_of(
            vec![(3, photo(&["/p/a.jpg", "/p/b.jpg"], (4, 3), 99, Some("2020-05-06T07:08:09")))],
            no_dates,
        );
        let json = serde_json::to_value(group.expect("a group")).expect("serializes");
        assert_eq!(
            json["photos"][0],
            serde_json::json!({"path": "/p/a.jpg", "width": 4, "height": 3, "size": 99,
                "captured": "2020-05-06T07:08:09", "keep": true, "id": 3})
        );
        assert_eq!(json["photos"][1]["keep"], false);
    }
}
