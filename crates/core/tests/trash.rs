//! Removing a photo moves it to the freedesktop.org trash of a home made for
//! the test, never deletes it, and only for photos the library holds.
#![allow(unsafe_code)] // std::env::set_var, before any thread starts: this file's only test

mod support;

use image::{Rgb, RgbImage};
use photofind_core::Library;
use support::MeanColour;

#[test]
fn a_held_photo_goes_to_the_trash_and_anything_else_stays() {
    let dir = tempfile::tempdir().expect("tmp");
    let data_home = dir.path().join("home/.local/share");
    std::fs::create_dir_all(&data_home).expect("mkdir");
    // SAFETY: set before this test starts any thread; the only test in this binary.
    unsafe { std::env::set_var("XDG_DATA_HOME", &data_home) };
    let root = dir.path().join("Pictures");
    std::fs::create_dir_all(&root).expect("mkdir");
    RgbImage::from_pixel(8, 8, Rgb([9, 9, 9])).save(root.join("copy.png")).expect("writes");
    let outside = dir.path().join("not-a-photo.txt");
    std::fs::write(&outside, "kept").expect("writes");
    let library = Library::open(&dir.path().join("data"), None).expect("opens");
    let (root, _) = library.add_root(&root).expect("adds");
    support::index_root(&library, &MeanColour::new(None), &root);

    let photo = root.join("copy.png");
    let outcome = library.trash(&[photo.clone(), outside.clone(), root.join("never-there.png")]);
    assert_eq!(outcome[0].error, None, "{outcome:?}");
    assert!(!photo.exists(), "moved away");
    assert!(data_home.join("Trash/files/copy.png").is_file(), "and into the trash");
    assert!(data_home.join("Trash/info/copy.png.trashinfo").is_file());
    let refused = outcome[1].error.as_deref().expect("refused");
    assert!(refused.contains("not a photo of this library"), "{refused}");
    assert!(outside.is_file(), "a file the library does not hold is never touched");
    assert!(outcome[2].error.is_some(), "{outcome:?}");
}
