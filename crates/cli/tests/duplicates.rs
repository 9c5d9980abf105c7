//! `photofind duplicates` end to end with the real CLIP engine on the tiny
//! fixture checkpoint: each fixture photo groups with its variants made by
//! ImageMagick (re-encoded at JPEG quality 60, halved, cropped 1 % on each
//! side, converted to PNG), no group holds two different photos, and the
//! exit code says whether any group was found. The default threshold
//! (`photofind_core::duplicates::THRESHOLD`) was calibrated on these; the
//! tiny random-weight model cannot tell larger crops from other photos
//! (see its docs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// Different photos of the fixture folder.
const PHOTOS: [&str; 6] =
    ["rocket.jpg", "cat.png", "coffee.png", "camera.png", "astronaut.png", "hubble-tall.jpg"];

/// A library in a temp data dir over a temp folder of photos.
struct Lib {
    data: tempfile::TempDir,
    photos: tempfile::TempDir,
}

impl Lib {
    /// The fixture photos, without variants.
    fn new() -> Self {
        let lib = Lib {
            data: tempfile::tempdir().expect("tempdir"),
            photos: tempfile::tempdir().expect("tempdir"),
        };
        for name in PHOTOS {
            std::fs::copy(fixtures().join("photos").join(name), lib.root().join(name)).expect("copy");
        }
        lib
    }

    fn root(&self) -> PathBuf {
        self.photos.path().canonicalize().expect("canonical")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_photofind"))
            .args(args)
            .env("PHOTOFIND_MODEL", fixtures().join("models/tiny-p32-quickgelu"))
            .env("PHOTOFIND_DATA_DIR", self.data.path())
            .output()
            .expect("photofind runs")
    }

    fn index(&self) {
        let root = self.root();
        let out = self.run(&["index", root.to_str().expect("utf-8")]);
        assert_eq!(out.status.code(), Some(0), "index: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `duplicates --json ARGS`: the exit code and the groups.
    fn duplicates(&self, args: &[&str]) -> (Option<i32>, Vec<Value>) {
        let out = self.run(&[&["duplicates", "--json"], args].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let groups = serde_json::from_slice::<Value>(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
        (out.status.code(), groups.as_array().expect("an array").clone())
    }
}

/// ImageMagick's `convert ARGS`.
fn convert(args: &[&Path], options: &[&str]) {
    let mut command = Command::new("convert");
    command.arg(args[0]).args(options).arg(args[1]);
    let out = command.output().expect("ImageMagick's convert runs (scripts/setup installs it)");
    assert!(out.status.success(), "convert {options:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Writes `name`'s variants beside it as `STEM-v-WHAT.EXT`; their names.
fn variants(root: &Path, name: &str) -> Vec<String> {
    let original = root.join(name);
    let (stem, ext) = name.rsplit_once('.').expect("an extension");
    let mut made = vec![
        (format!("{stem}-v-q60.jpg"), vec!["-quality", "60"]),
        (format!("{stem}-v-half.{ext}"), vec!["-resize", "50%"]),
        (format!("{stem}-v-crop.{ext}"), vec!["-gravity", "center", "-crop", "98%x98%+0+0", "+repage"]),
    ];
    if ext == "jpg" {
        made.push((format!("{stem}-v-png.png"), vec![]));
    }
    for (variant, options) in &made {
        convert(&[&original, &root.join(variant)], options);
    }
    made.into_iter().map(|(variant, _)| variant).collect()
}

fn file_name(member: &Value) -> String {
    let path = Path::new(member["path"].as_str().expect("a path"));
    path.file_name().expect("a name").to_string_lossy().into_owned()
}

/// The photo a file is of: its name up to `-v-`, without the extension.
fn photo_of(name: &str) -> &str {
    name.split("-v-").next().and_then(|n| n.split('.').next()).unwrap_or(name)
}

#[test]
fn each_photo_groups_with_all_its_variants_and_never_with_another_photo() {
    let lib = Lib::new();
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in PHOTOS {
        let mut files: BTreeSet<String> = variants(&lib.root(), name).into_iter().collect();
        files.insert(name.to_owned());
        expected.insert(photo_of(name).to_owned(), files);
    }
    lib.index();
    let (code, groups) = lib.duplicates(&[]);
    assert_eq!(code, Some(0));
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for group in &groups {
        let names: BTreeSet<String> =
            group["photos"].as_array().expect("photos").iter().map(file_name).collect();
        let photos: BTreeSet<&str> = names.iter().map(|n| photo_of(n)).collect();
        assert_eq!(photos.len(), 1, "one group holds different photos: {names:?}");
        let photo = photos.into_iter().next().expect("a photo").to_owned();
        assert!(found.insert(photo, names).is_none(), "a photo split in two groups: {groups:?}");
    }
    assert_eq!(found, expected);
    for group in &groups {
        let photos = group["photos"].as_array().expect("photos");
        let pixels = |m: &Value| m["width"].as_u64().expect("width") * m["height"].as_u64().expect("height");
        assert_eq!(photos.iter().map(|m| m["keep"] == true).collect::<Vec<_>>()[..2], [true, false]);
        assert!(photos.iter().all(|m| pixels(m) <= pixels(&photos[0])), "the keeper has the most pixels");
    }
    // The threshold matters both ways: stricter, the crops fall out; looser,
    // crops of different photos meet.
    let members = |groups: &[Value]| {
        groups.iter().map(|g| g["photos"].as_array().expect("photos").len()).sum::<usize>()
    };
    let (_, strict) = lib.duplicates(&["--threshold", "0.99"]);
    assert!(members(&strict) < members(&groups), "{strict:?}");
    let (_, loose) = lib.duplicates(&["--threshold", "0.9"]);
    assert!(loose.len() < groups.len(), "{loose:?}");
}

#[test]
fn different_photos_alone_exit_1_and_a_copy_of_one_groups() {
    let lib = Lib::new();
    lib.index();
    assert_eq!(lib.duplicates(&[]), (Some(1), vec![]));
    let out = lib.run(&["duplicates"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "no duplicates found\n");

    std::fs::create_dir(lib.root().join("again")).expect("mkdir");
    std::fs::copy(lib.root().join("cat.png"), lib.root().join("again/cat.png")).expect("copy");
    lib.index();
    let (code, groups) = lib.duplicates(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(groups.len(), 1, "{groups:?}");
    let photos = groups[0]["photos"].as_array().expect("photos");
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0]["id"], photos[1]["id"], "the same bytes: one photo");
    let in_again = lib.root().join("again");
    assert_eq!(lib.duplicates(&["--folder", in_again.to_str().expect("utf-8")]).1, groups);
    let human = String::from_utf8_lossy(&lib.run(&["duplicates"]).stdout).into_owned();
    assert!(human.starts_with("keep  "), "{human}");
    assert!(human.contains("removing the other 1 frees 234.88 KiB"), "{human}");
}

#[test]
fn a_threshold_out_of_range_is_a_usage_error() {
    let lib = Lib::new();
    let out = lib.run(&["duplicates", "--threshold", "1.5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a cosine"));
}
