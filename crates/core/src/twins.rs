//! A camera's RAW file and the JPEG (or HEIC) it wrote beside it are one
//! shot: same folder, same stem (`IMG_0042.CR2` and `IMG_0042.JPG`). Their
//! bytes differ, so the index holds two photos; results show the shot once,
//! as the JPEG (what the camera rendered), ranked where the better of the two
//! ranked, with the RAW's paths added to its paths.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::search::Hit;

use crate::scan::is_raw;

/// The shot a path belongs to: its folder and its stem, case folded.
pub(crate) fn shot(path: &Path) -> Option<(PathBuf, OsString)> {
    let stem = path.file_stem()?.to_string_lossy().to_lowercase();
    Some((path.parent()?.to_owned(), stem.into()))
}

/// Folds each RAW hit into the rendered hit of the same shot, when both are
/// among `hits`; order is kept otherwise.
pub fn fold(hits: Vec<Hit>) -> Vec<Hit> {
    let mut rendered: HashMap<(PathBuf, OsString), usize> = HashMap::new();
    for (i, hit) in hits.iter().enumerate() {
        if !is_raw(&hit.photo.path)
            && let Some(key) = shot(&hit.photo.path)
        {
            rendered.entry(key).or_insert(i);
        }
    }
    // Each hit's group: its rendered twin's index, else its own.
    let group: Vec<usize> = hits
        .iter()
        .enumerate()
        .map(|(i, hit)| {
            let twin = is_raw(&hit.photo.path)
                .then(|| shot(&hit.photo.path))
                .flatten()
                .and_then(|k| rendered.get(&k));
            twin.copied().unwrap_or(i)
        })
        .collect();
    let mut slots: Vec<Option<Hit>> = hits.into_iter().map(Some).collect();
    let mut out: Vec<Hit> = Vec::with_capacity(slots.len());
    let mut placed: HashMap<usize, usize> = HashMap::new();
    for (i, &lead) in group.iter().enumerate() {
        let Some(hit) = slots[i].take() else { continue };
        match placed.get(&lead) {
            // The group is shown already (its better-ranked member came first).
            Some(&at) => join(&mut out[at], hit),
            None if lead == i => {
                placed.insert(lead, out.len());
                out.push(hit);
            }
            // A RAW ranked above its JPEG: the JPEG shows here, with the RAW's rank.
            None => {
                let Some(mut rendered) = slots[lead].take() else { continue };
                (rendered.score, rendered.z, rendered.good) = (hit.score, hit.z, hit.good);
                join(&mut rendered, hit);
                placed.insert(lead, out.len());
                out.push(rendered);
            }
        }
    }
    out
}

/// Adds `raw`'s paths to `rendered`'s.
fn join(rendered: &mut Hit, raw: Hit) {
    for path in raw.photo.paths {
        if !rendered.photo.paths.contains(&path) {
            rendered.photo.paths.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::PhotoCard;

    fn hit(path: &str, score: f32) -> Hit {
        let photo = PhotoCard {
            path: path.into(),
            paths: vec![path.into()],
            offline: false,
            captured: None,
            taken: String::new(),
            format: String::new(),
            width: 1,
            height: 1,
            size: 1,
            id: 0,
            also: Vec::new(),
        };
        Hit { photo, score, z: None, good: None }
    }

    fn shown(hits: &[Hit]) -> Vec<(String, Vec<String>)> {
        let text = |p: &PathBuf| p.display().to_string();
        hits.iter().map(|h| (text(&h.photo.path), h.photo.paths.iter().map(text).collect())).collect()
    }

    /// A case: what it shows, the hits, and the (path, paths) shown.
    type Case = (&'static str, Vec<Hit>, Vec<(&'static str, Vec<&'static str>)>);

    #[test]
    fn a_raw_and_its_jpeg_show_once_as_the_jpeg_at_the_better_rank() {
        let cases: &[Case] = &[
            (
                "the RAW ranks first: the JPEG takes its place",
                vec![hit("/p/IMG_1.CR2", 0.9), hit("/p/other.jpg", 0.8), hit("/p/IMG_1.JPG", 0.7)],
                vec![
                    ("/p/IMG_1.JPG", vec!["/p/IMG_1.JPG", "/p/IMG_1.CR2"]),
                    ("/p/other.jpg", vec!["/p/other.jpg"]),
                ],
            ),
            (
                "the JPEG ranks first: the RAW joins it",
                vec![hit("/p/a.jpg", 0.9), hit("/p/b.nef", 0.8), hit("/p/A.NEF", 0.7)],
                vec![("/p/a.jpg", vec!["/p/a.jpg", "/p/A.NEF"]), ("/p/b.nef", vec!["/p/b.nef"])],
            ),
            (
                "a RAW whose JPEG is in another folder stays on its own",
                vec![hit("/p/x.dng", 0.9), hit("/q/x.jpg", 0.8)],
                vec![("/p/x.dng", vec!["/p/x.dng"]), ("/q/x.jpg", vec!["/q/x.jpg"])],
            ),
            (
                "no RAW: nothing moves",
                vec![hit("/p/a.jpg", 0.9), hit("/p/a.png", 0.8)],
                vec![("/p/a.jpg", vec!["/p/a.jpg"]), ("/p/a.png", vec!["/p/a.png"])],
            ),
        ];
        for (case, hits, want) in cases {
            let want: Vec<(String, Vec<String>)> = want
                .iter()
                .map(|(p, ps)| (p.to_string(), ps.iter().map(|s| s.to_string()).collect()))
                .collect();
            assert_eq!(shown(&fold(hits.clone())), want, "{case}");
        }
    }
}
