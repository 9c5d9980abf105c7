//! The Duplicates view's commands: the library's duplicate groups (near and
//! same-bytes, kept up to date by [`crate::stacker`]), and moving the paths a
//! person chose, after the page asked them to confirm, to the system trash.

use std::sync::Arc;

use photofind_core::duplicates::Group;
use photofind_core::paths::JsonPath;
use photofind_core::store::ModelKey;
use photofind_core::trash::Trashed;
use serde::Serialize;
use tauri::State;

use crate::backend::Backend;
use crate::commands::blocking;
use crate::error::CommandResult;

/// The most groups one answer holds (largest first); `total` counts them all.
pub const MAX_GROUPS: usize = 2000;

/// The duplicate groups, largest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DuplicatesPage {
    /// Groups in all.
    pub total: u64,
    /// Paths in all the groups.
    pub photos: u64,
    /// Bytes that keeping only each group's keeper would free.
    pub freed: u64,
    /// At most [`MAX_GROUPS`], each keeper first.
    pub groups: Vec<Group>,
}

impl DuplicatesPage {
    fn of(mut groups: Vec<Group>) -> Self {
        let total = groups.len() as u64;
        let photos = groups.iter().map(|g| g.photos.len() as u64).sum();
        let freed = groups.iter().map(Group::freed).sum();
        groups.truncate(MAX_GROUPS);
        Self { total, photos, freed, groups }
    }
}

/// The library's duplicate groups as the index holds them now.
#[tauri::command]
pub async fn duplicates(backend: State<'_, Arc<Backend>>) -> CommandResult<DuplicatesPage> {
    let backend = Arc::clone(&backend);
    blocking(move || {
        let model = ModelKey::of(backend.clip()?.as_ref());
        Ok(DuplicatesPage::of(backend.library().duplicates(&model, &[])?))
    })
    .await
}

/// Moves `paths` to the system trash, each on its own (the page confirmed first); the
/// service's watcher then removes them from the index like any other deletion.
#[tauri::command]
pub async fn trash_photos(
    backend: State<'_, Arc<Backend>>,
    paths: Vec<JsonPath>,
) -> CommandResult<Vec<Trashed>> {
    let backend = Arc::clone(&backend);
    blocking(move || {
        let paths: Vec<_> = paths.into_iter().map(|p| p.0).collect();
        Ok(backend.library().trash(&paths))
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use photofind_core::duplicates::Member;

    use super::*;

    fn member(path: &str, size: u64, keep: bool) -> Member {
        Member { path: PathBuf::from(path), width: 4, height: 3, size, captured: None, keep, id: 1 }
    }

    #[test]
    fn the_page_counts_every_group_and_what_keeping_the_keepers_frees() {
        let group = |n: u64| Group {
            photos: vec![member("/k.jpg", 100, true), member("/a.jpg", n, false), member("/b.jpg", n, false)],
        };
        let page = DuplicatesPage::of((0..MAX_GROUPS as u64 + 5).map(group).collect());
        assert_eq!(page.total, MAX_GROUPS as u64 + 5);
        assert_eq!(page.groups.len(), MAX_GROUPS);
        assert_eq!(page.photos, 3 * (MAX_GROUPS as u64 + 5));
        let n = MAX_GROUPS as u64 + 5;
        assert_eq!(page.freed, 2 * n * (n - 1) / 2, "every group's two others, all groups counted");
    }
}
