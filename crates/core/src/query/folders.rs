//! Folders named in words: "from Trips", "in Summer 2019" (after a
//! preposition only, so that a folder called Beach leaves "beach" alone).

use std::path::PathBuf;

use super::tokens::{Token, trim_trailing};
use super::words::{Words, is};
use super::{ChipFilter, Found, Known, KnownFolder};

/// The most words a folder's name is looked for in.
const MAX_WORDS: usize = 4;

/// A folder preposition and a known folder's name at the start of `tokens`.
pub(super) fn find(tokens: &[Token], known: &Known, words: &Words) -> Option<Found> {
    if !is(words.folder_preps, tokens.first()?.word()?) {
        return None;
    }
    let found = named(&tokens[1..], known, words)?;
    Some(Found { len: found.len + 1, ..found })
}

/// The known folder named by the most tokens at the start of `tokens`.
pub(super) fn named(tokens: &[Token], known: &Known, words: &Words) -> Option<Found> {
    (1..=tokens.len().min(MAX_WORDS)).rev().find_map(|n| {
        let (name, paths) = folder(&tokens[..n], known)?;
        let label = format!("{} {name}", words.folder_label);
        Some(Found { len: n, label, filter: ChipFilter::Folder { name, paths } })
    })
}

/// The folders `tokens` name (any case; punctuation ending the last word
/// ignored unless a name has it): the name as written on disk, and every path.
fn folder(tokens: &[Token], known: &Known) -> Option<(String, Vec<PathBuf>)> {
    let written = tokens.iter().map(Token::plain_text).collect::<Option<Vec<_>>>()?.join(" ");
    let (written, matching) = [written.as_str(), trim_trailing(&written)].into_iter().find_map(|w| {
        let wanted = fold(w);
        let matching: Vec<&KnownFolder> = known.folders.iter().filter(|f| fold(&f.name) == wanted).collect();
        (!matching.is_empty()).then_some((w, matching))
    })?;
    let name = matching.iter().find(|f| f.name == written).unwrap_or(&matching[0]).name.clone();
    let mut paths: Vec<PathBuf> = Vec::new();
    for path in matching.iter().flat_map(|f| &f.paths) {
        if !paths.contains(path) {
            paths.push(path.clone());
        }
    }
    Some((name, paths))
}

/// A name for comparing: lower-case, single-spaced.
fn fold(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}
