//! Near-duplicate groups on a real store indexed with the stand-in model
//! (a photo's vector is its mean colour): photos of all but the same colour
//! group, the keeper first; the same bytes at two paths group; other
//! colours do not; `folders` narrows the photos looked at.

mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use image::{Rgb, RgbImage};
use photofind_core::duplicates::{self, Group, Options};
use photofind_core::index;
use photofind_core::store::{ModelKey, Store};
use support::MeanColour;

/// A photo library indexed with [`MeanColour`].
struct Library {
    root: tempfile::TempDir,
    _data: tempfile::TempDir,
    store: Store,
}

fn model() -> ModelKey {
    ModelKey { id: "mean-colour".into(), dims: 4 }
}

/// A `side`×`side` photo of one colour at `root/name`, dated `year`.
fn solid(root: &Path, name: &str, colour: [u8; 3], side: u32, year: u64) -> PathBuf {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
    RgbImage::from_pixel(side, side, Rgb(colour)).save(&path).expect("writes");
    dated(&path, year);
    path
}

fn dated(path: &Path, year: u64) {
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs((year - 1970) * 365 * 86_400);
    File::options().write(true).open(path).expect("opens").set_modified(when).expect("dates");
}

impl Library {
    /// Reds of one shade in three sizes (two in `a`, one in `b`), an
    /// orange, a blue, and a green whose bytes are in `b` and again in `a`.
    fn new() -> Self {
        let (root, data) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
        let r = root.path().canonicalize().expect("canonical");
        solid(&r, "a/red.png", [200, 30, 30], 16, 2020);
        solid(&r, "a/red-small.png", [202, 30, 30], 8, 2020);
        solid(&r, "b/red-again.png", [199, 31, 30], 12, 2021);
        solid(&r, "a/orange.png", [200, 100, 30], 16, 2020);
        solid(&r, "b/blue.png", [30, 30, 200], 8, 2020);
        let green = solid(&r, "b/green.png", [30, 200, 30], 8, 2019);
        std::fs::copy(&green, r.join("a/green-copy.png")).expect("copies");
        dated(&r.join("a/green-copy.png"), 2022);
        let store = Store::open(data.path(), Some(&model())).expect("opens");
        let options = index::Options { workers: 2, ..index::Options::default() };
        index::run(&store, &MeanColour::new(None), &[r], &options, &AtomicBool::new(false), &mut |_| {})
            .expect("indexes");
        Self { root, _data: data, store }
    }

    fn root(&self) -> PathBuf {
        self.root.path().canonicalize().expect("canonical")
    }

    fn groups(&self, threshold: f32, folders: &[&str]) -> Vec<Group> {
        let folders = folders.iter().map(|f| self.root().join(f)).collect();
        duplicates::groups(&self.store, &model(), &Options { threshold, folders }).expect("groups")
    }

    /// The groups as lines of `keep? path width×height`, paths from the root.
    fn shown(&self, groups: &[Group]) -> String {
        let root = self.root();
        let lines = groups.iter().map(|group| {
            let members = group.photos.iter().map(|m| {
                let mark = if m.keep { "keep" } else { "    " };
                let path = m.path.strip_prefix(&root).expect("inside the root").display();
                format!("{mark} {path} {}x{}", m.width, m.height)
            });
            members.collect::<Vec<_>>().join("\n")
        });
        lines.collect::<Vec<_>>().join("\n--\n")
    }
}

/// The stand-in's vectors: [r, g, b, 0.5] / norm, so the reds are at cosine
/// > 0.9999 to each other, orange at 0.96 to them, blue and green at 0.5.
const THRESHOLD: f32 = 0.999;

#[test]
fn reds_group_with_the_largest_first_and_the_copies_of_the_green_group() {
    let library = Library::new();
    insta::assert_snapshot!(library.shown(&library.groups(THRESHOLD, &[])), @r"
    keep a/red.png 16x16
         b/red-again.png 12x12
         a/red-small.png 8x8
    --
    keep b/green.png 8x8
         a/green-copy.png 8x8
    ");
}

#[test]
fn a_lower_threshold_takes_in_the_orange() {
    let library = Library::new();
    let groups = library.groups(0.95, &[]);
    let mut names: Vec<&str> = groups[0].photos.iter().filter_map(|m| m.path.file_name()?.to_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["orange.png", "red-again.png", "red-small.png", "red.png"]);
}

#[test]
fn folders_narrow_the_photos_but_a_photo_keeps_all_its_paths() {
    let library = Library::new();
    insta::assert_snapshot!(library.shown(&library.groups(THRESHOLD, &["a"])), @r"
    keep a/red.png 16x16
         a/red-small.png 8x8
    --
    keep b/green.png 8x8
         a/green-copy.png 8x8
    ");
    // b's red has no near duplicate in b; the green's bytes are in b.
    insta::assert_snapshot!(library.shown(&library.groups(THRESHOLD, &["b"])), @r"
    keep b/green.png 8x8
         a/green-copy.png 8x8
    ");
    assert_eq!(library.groups(THRESHOLD, &["a", "b"]), library.groups(THRESHOLD, &[]));
    assert!(library.groups(THRESHOLD, &["nowhere"]).is_empty());
}

#[test]
fn the_json_has_one_object_per_path_and_only_the_keeper_kept() {
    let library = Library::new();
    let json = serde_json::to_value(library.groups(THRESHOLD, &[])).expect("serializes");
    let groups = json.as_array().expect("an array");
    assert_eq!(groups.len(), 2);
    for group in groups {
        let keys: Vec<&String> = group.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["photos"]);
        let photos = group["photos"].as_array().expect("photos");
        let kept: Vec<bool> = photos.iter().map(|p| p["keep"].as_bool().expect("keep")).collect();
        assert_eq!(kept.iter().filter(|k| **k).count(), 1);
        assert!(kept[0], "the keeper first");
        for photo in photos {
            let mut keys: Vec<&String> = photo.as_object().expect("object").keys().collect();
            keys.sort();
            assert_eq!(keys, ["captured", "height", "id", "keep", "path", "size", "width"]);
            let path = Path::new(photo["path"].as_str().expect("a path string"));
            assert_eq!(photo["size"], std::fs::metadata(path).expect("the file").len());
            assert_eq!(photo["captured"], serde_json::Value::Null, "PNGs without EXIF");
        }
    }
    let green = &groups[1]["photos"];
    assert_eq!(green[0]["id"], green[1]["id"], "one photo at two paths");
}
