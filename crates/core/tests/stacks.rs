//! Near-duplicate groups kept up to date on a live library, and stacked into
//! one tile in the timeline and in search results: the path the window takes
//! (`Library::refresh_stacks`, `stacked_timeline`, `Stacks::stack_hits`).
//! Photos are indexed with the stand-in model (a vector is the mean colour),
//! so three reds are near duplicates and blue and green are not.

mod support;

use std::path::{Path, PathBuf};

use image::{Rgb, RgbImage};
use photofind_core::search::{Filter, Query, Term};
use photofind_core::store::ModelKey;
use photofind_core::{Embedder, Library};
use support::MeanColour;

fn model() -> ModelKey {
    ModelKey::of(&MeanColour::new(None))
}

fn solid(root: &Path, name: &str, colour: [u8; 3], side: u32) -> PathBuf {
    let path = root.join(name);
    RgbImage::from_pixel(side, side, Rgb(colour)).save(&path).expect("writes");
    path
}

struct Live {
    _dir: tempfile::TempDir,
    root: PathBuf,
    library: Library,
}

impl Live {
    /// Reds in three sizes (the 24-px JPEG is the keeper), a blue, a green.
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("Pictures");
        std::fs::create_dir_all(&root).expect("mkdir");
        solid(&root, "red-big.jpg", [200, 30, 30], 24);
        solid(&root, "red.png", [201, 30, 30], 16);
        solid(&root, "red-small.png", [199, 31, 30], 8);
        solid(&root, "blue.png", [30, 30, 200], 16);
        solid(&root, "green.png", [30, 200, 30], 16);
        let library = Library::open(&dir.path().join("data"), Some(&model())).expect("opens");
        let (root, _) = library.add_root(&root).expect("adds");
        let live = Self { _dir: dir, root, library };
        live.index();
        live
    }

    fn index(&self) {
        support::index_root(&self.library, &MeanColour::new(None), &self.root);
    }

    fn name(&self, id: u32) -> String {
        let photo = self.library.store().photo(id).expect("reads").expect("held");
        photo.paths[0].file_name().expect("a name").to_string_lossy().into_owned()
    }

    /// Each group as its photos' names, keeper first.
    fn groups(&self) -> Vec<Vec<String>> {
        let stacks = self.library.refresh_stacks(&model()).expect("groups");
        let mut groups: Vec<Vec<String>> = stacks
            .stacks()
            .iter()
            .map(|stack| {
                let mut names = vec![self.name(stack.keeper)];
                let mut others: Vec<String> =
                    stack.members.iter().filter(|&&id| id != stack.keeper).map(|&id| self.name(id)).collect();
                others.sort();
                names.extend(others);
                names
            })
            .collect();
        groups.sort();
        groups
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().expect("a name").to_string_lossy().into_owned()
}

#[test]
fn the_reds_are_one_group_kept_by_the_largest() {
    let live = Live::new();
    assert_eq!(live.groups(), vec![vec!["red-big.jpg", "red-small.png", "red.png"]]);
}

#[test]
fn a_new_photo_joins_its_group_and_removed_ones_leave_it() {
    let live = Live::new();
    live.groups();
    solid(&live.root, "red-huge.png", [200, 31, 31], 32);
    solid(&live.root, "blue-again.png", [31, 30, 201], 8);
    live.index();
    assert_eq!(
        live.groups(),
        vec![
            vec!["blue.png", "blue-again.png"],
            vec!["red-huge.png", "red-big.jpg", "red-small.png", "red.png"]
        ],
        "the new red joined the reds (and is their keeper now); the new blue paired with the blue"
    );
    for gone in ["red-huge.png", "red-big.jpg", "red.png", "blue-again.png"] {
        std::fs::remove_file(live.root.join(gone)).expect("removes");
    }
    live.index();
    assert!(live.groups().is_empty(), "one red and one blue left: no group");
}

#[test]
fn the_stacked_timeline_shows_a_group_as_its_keeper_with_the_others_behind_it() {
    let live = Live::new();
    let stacks = live.library.refresh_stacks(&model()).expect("groups");
    let (plain, _) = live.library.timeline("", Filter::default(), 0, 100).expect("a page");
    assert_eq!(plain.total, 5);
    let (page, _) = live.library.stacked_timeline("", Filter::default(), &stacks, 0, 100).expect("a page");
    assert_eq!(page.total, 3, "the reds are one tile");
    assert_eq!(page.months.iter().map(|m| m.count).sum::<u64>(), 3);
    let red = page.photos.iter().find(|p| file_name(&p.path).starts_with("red")).expect("a red tile");
    assert_eq!(file_name(&red.path), "red-big.jpg");
    let mut behind: Vec<String> = red.also.iter().map(|p| file_name(&p.path)).collect();
    behind.sort();
    assert_eq!(behind, ["red-small.png", "red.png"]);
    assert!(page.photos.iter().filter(|p| p.id != red.id).all(|p| p.also.is_empty()));
}

#[test]
fn a_filter_that_leaves_out_the_keeper_shows_the_others_unstacked() {
    let live = Live::new();
    let stacks = live.library.refresh_stacks(&model()).expect("groups");
    let pngs = Filter { formats: vec!["png".into()], ..Filter::default() };
    let (page, _) = live.library.stacked_timeline("", pngs, &stacks, 0, 100).expect("a page");
    let mut names: Vec<String> = page.photos.iter().map(|p| file_name(&p.path)).collect();
    names.sort();
    assert_eq!(
        names,
        ["blue.png", "green.png", "red-small.png", "red.png"],
        "no red hidden behind a keeper not shown"
    );
    assert_eq!(page.total, 4);
}

#[test]
fn removing_the_keeper_makes_the_next_best_the_tile() {
    let live = Live::new();
    live.library.refresh_stacks(&model()).expect("groups");
    std::fs::remove_file(live.root.join("red-big.jpg")).expect("removes");
    live.index();
    let stacks = live.library.refresh_stacks(&model()).expect("groups");
    let (page, _) = live.library.stacked_timeline("", Filter::default(), &stacks, 0, 100).expect("a page");
    let names: Vec<String> = page.photos.iter().map(|p| file_name(&p.path)).collect();
    assert_eq!(page.total, 3, "{names:?}: the two reds left are one tile");
    assert!(names.contains(&"red.png".to_owned()), "{names:?}: the larger red keeps");
}

#[test]
fn the_hits_of_one_group_are_one_tile_at_the_best_hit() {
    let live = Live::new();
    let stacks = live.library.refresh_stacks(&model()).expect("groups");
    let embedder = MeanColour::new(None);
    let query =
        Query { positive: vec![Term::Image(live.root.join("red-small.png"))], limit: 10, ..Query::default() };
    let results = live.library.search(&embedder as &dyn Embedder, &query).expect("searches");
    assert_eq!(results.hits.len(), 5);
    let hits = stacks.stack_hits(live.library.store(), results.hits).expect("stacks");
    let names: Vec<String> = hits.iter().map(|h| file_name(&h.photo.path)).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0], "red-small.png", "the best hit stands for its group");
    assert_eq!(hits[0].photo.also.len(), 2);
}
