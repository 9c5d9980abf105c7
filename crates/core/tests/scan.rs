//! Walking a folder: photos found, odd files reported, hidden ones ignored,
//! symlink loops survived.

use std::fs;
use std::path::Path;

use photofind_core::scan::{Skipped, Walked, walk};

fn touch(root: &Path, rel: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, rel).expect("write");
}

/// Everything the walk reports, one line each, paths relative to `root`.
fn report(root: &Path) -> String {
    let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let lines: Vec<String> = walk(root, &[root.to_owned()])
        .map(|walked| match walked {
            Walked::Photo(found) => format!("photo {} ({} bytes)", rel(&found.path), found.size),
            Walked::Skipped(Skipped::Unsupported { path, reason }) => {
                format!("unsupported {}: {reason}", rel(&path))
            }
            Walked::Skipped(Skipped::Unreadable { path, reason }) => {
                let reason = reason.replace(&root.display().to_string(), "ROOT");
                format!("unreadable {}: {reason}", rel(&path))
            }
            Walked::Skipped(skipped @ Skipped::Outside { .. }) => {
                format!("outside {}: {}", rel(skipped.path()), skipped.reason())
            }
        })
        .collect();
    lines.join("\n")
}

#[test]
fn a_mixed_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for rel in [
        "beach.jpg",
        "Dusk.JPEG",
        "notes.txt",
        ".hidden.jpg",
        "._beach.jpg",
        ".thumbnails/beach.jpg",
        "2024/summer/forest.png",
        "2024/summer/IMG_0001.HEIC",
        "2024/raw/DSC_0001.NEF",
        "scans/page.tiff",
    ] {
        touch(root, rel);
    }
    std::os::unix::fs::symlink(root.join("2024"), root.join("2024/summer/back-up")).expect("symlink");
    std::os::unix::fs::symlink(root.join("gone.jpg"), root.join("dangling.jpg")).expect("symlink");
    insta::assert_snapshot!(report(root));
}
