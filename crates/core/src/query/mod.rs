//! Filters written in words: a search box's text read for dates, folders,
//! formats and negative terms, offline and without I/O. What is read becomes
//! a [`Chip`] the user can remove; the rest is [`Parsed::text`], for the model.
//!
//! Only what the library holds is read from plain words: "1984 poster"
//! stays text when no photo is from 1984, and a folder is named only after
//! "in" or "from". Quoting keeps words as text (`"2019" sticker`).
//!
//! | Written | Read as |
//! |---|---|
//! | `2019`, `in 2019`, `in January 2021`, `2021-06`, `2021-06-15` | that period (if the library holds it) |
//! | `2019-2021`, `2019 to 2021`, `between 2019 and 2021` | a range (one end known) |
//! | `before 2015`, `until 2015` (2015 included), `after 2018`, `since 2018` | a bound (any year 1900–2100) |
//! | `from Trips`, `in Summer Trips` | a known folder |
//! | `-cat`, `-"a phrase"` | a negative term |
//! | `after:2019`, `before:2020-06`, `since:`, `until:`, `in:2019`, `folder:Trips`, `type:raw` | the same, whatever the library holds |
//!
//! ```
//! use photofind_core::query::{parse, Known};
//!
//! let mut known = Known::default();
//! known.years.insert(2019);
//! let parsed = parse("beach 2019 -people", &known);
//! assert_eq!(parsed.text, "beach");
//! assert_eq!(parsed.minus, ["people"]);
//! let labels: Vec<&str> = parsed.chips.iter().map(|c| c.label.as_str()).collect();
//! assert_eq!(labels, ["2019", "not people"]);
//! assert_eq!(parsed.chips[0].without, "beach -people");
//! assert_eq!(parsed.filter().after.map(|d| d.as_str().to_owned()).as_deref(), Some("2019-01-01"));
//! ```

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

use crate::search::{Day, Filter};

mod dates;
mod folders;
mod keys;
pub mod language;
mod tokens;
mod words;

#[cfg(test)]
mod tests;

use tokens::Token;
use words::{ENGLISH, Words};

/// What the library holds that a query may name (built by the caller from the index).
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Years with at least one photo (capture date, else file date).
    pub years: BTreeSet<i32>,
    /// (year, month 1-12) with at least one photo.
    pub months: BTreeSet<(i32, u32)>,
    /// Folder names (a directory's last component, as written on disk) and every folder path with that name.
    pub folders: Vec<KnownFolder>,
}

/// A folder name and every folder in the library with that name.
#[derive(Debug, Clone)]
pub struct KnownFolder {
    /// The directory's last component, as written on disk.
    pub name: String,
    /// Every folder with that name.
    pub paths: Vec<PathBuf>,
}

/// A query read for filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Parsed {
    /// What is left for the model, words in their order, single-spaced ("" if nothing).
    pub text: String,
    /// Negative terms: `-word` or `-"a phrase"`.
    pub minus: Vec<String>,
    /// Recognised filters, in the order they appear.
    pub chips: Vec<Chip>,
}

/// One recognised filter, shown as a removable chip.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Chip {
    /// What the chip shows: "2019", "January 2021", "before 2015", "2019–2021", "folder Trips", "type RAW", "not cat".
    pub label: String,
    /// The query with this chip's words taken out (whitespace normalised), so
    /// removing the chip in the window = replacing the box's text with this.
    pub without: String,
    /// What the chip keeps.
    pub filter: ChipFilter,
}

/// What a chip keeps.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChipFilter {
    /// Photos taken on/after `after` and before `before` (either may be absent), days as "YYYY-MM-DD".
    Dates {
        /// The first day kept.
        after: Option<String>,
        /// The first day no longer kept.
        before: Option<String>,
    },
    /// Photos inside any of these folders.
    Folder {
        /// The folder's name, as written on disk.
        name: String,
        /// Every known folder with that name.
        #[serde(with = "crate::paths::serde_vec")]
        #[cfg_attr(feature = "ts", ts(type = "PathJson[]"))]
        paths: Vec<PathBuf>,
    },
    /// Photos of this format (normalised lower-case: jpeg, png, webp, gif, bmp, tiff, heif, avif, raw...).
    Type {
        /// The format; `raw` stands for every RAW format.
        format: String,
    },
    /// A negative term (also listed in `minus`).
    Minus {
        /// The term, without its `-` and quotes.
        text: String,
    },
}

/// A filter found at some token: how many tokens it takes, and the chip's
/// label and filter.
#[derive(Debug)]
struct Found {
    len: usize,
    label: String,
    filter: ChipFilter,
}

/// Reads `query` for filters; see the module docs for what is read.
pub fn parse(query: &str, known: &Known) -> Parsed {
    let tokens = tokens::tokens(query);
    let mut parsed = Parsed { text: String::new(), minus: Vec::new(), chips: Vec::new() };
    let mut text: Vec<&str> = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let Some(found) = find(&tokens[at..], known, &ENGLISH) else {
            let len = dates::text_len(&tokens[at..], &ENGLISH);
            text.extend(tokens[at..at + len].iter().map(|t| t.text.as_str()).filter(|t| !t.is_empty()));
            at += len;
            continue;
        };
        if let ChipFilter::Minus { text } = &found.filter {
            parsed.minus.push(text.clone());
        }
        let without = without(&tokens, at..at + found.len);
        parsed.chips.push(Chip { label: found.label, without, filter: found.filter });
        at += found.len;
    }
    parsed.text = text.join(" ");
    parsed
}

/// The filter at the start of `tokens`: the one taking the most tokens, a
/// date before a folder when they take as many ("from 2019" with a folder
/// named 2019 is the year).
fn find(tokens: &[Token], known: &Known, words: &Words) -> Option<Found> {
    let found = [
        minus(tokens, words),
        keys::find(tokens, known, words),
        dates::find(tokens, known, words),
        folders::find(tokens, known, words),
    ];
    // `min_by_key` keeps the first of equals, so the order above breaks ties.
    found.into_iter().flatten().min_by_key(|f| std::cmp::Reverse(f.len))
}

/// `-word` or `-"a phrase"` (not `-`, `-5` or `--`).
fn minus(tokens: &[Token], words: &Words) -> Option<Found> {
    let rest = tokens.first()?.raw.strip_prefix('-')?;
    let starts = rest.chars().next().is_some_and(|c| c.is_alphabetic() || "\"“".contains(c));
    let text = tokens.first()?.text.get(1..)?.trim().to_owned();
    (starts && !text.is_empty()).then(|| Found {
        len: 1,
        label: format!("{} {text}", words.not_label),
        filter: ChipFilter::Minus { text },
    })
}

/// The tokens but those `taken`, as written, single-spaced.
fn without(tokens: &[Token], taken: std::ops::Range<usize>) -> String {
    let kept = tokens.iter().enumerate().filter(|(i, _)| !taken.contains(i));
    kept.map(|(_, t)| t.raw.as_str()).collect::<Vec<_>>().join(" ")
}

impl Parsed {
    /// The filters as core's search filter, merged: several date chips
    /// intersect (latest `after`, earliest `before`); folders union; types union.
    pub fn filter(&self) -> Filter {
        let mut filter = Filter::default();
        for chip in &self.chips {
            match &chip.filter {
                ChipFilter::Dates { after, before } => {
                    filter.after = latest(filter.after.take(), after.as_deref());
                    filter.before = earliest(filter.before.take(), before.as_deref());
                }
                ChipFilter::Folder { paths, .. } => union(&mut filter.folders, paths),
                ChipFilter::Type { format } => union(&mut filter.formats, std::slice::from_ref(format)),
                ChipFilter::Minus { .. } => {}
            }
        }
        filter
    }
}

/// The later of `day` and `other` (`YYYY-MM-DD` sorts as text).
fn latest(day: Option<Day>, other: Option<&str>) -> Option<Day> {
    let other = other.and_then(|o| o.parse::<Day>().ok());
    match (day, other) {
        (Some(a), Some(b)) => Some(if b.as_str() > a.as_str() { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The earlier of `day` and `other`.
fn earliest(day: Option<Day>, other: Option<&str>) -> Option<Day> {
    let other = other.and_then(|o| o.parse::<Day>().ok());
    match (day, other) {
        (Some(a), Some(b)) => Some(if b.as_str() < a.as_str() { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn union<T: Clone + PartialEq>(into: &mut Vec<T>, items: &[T]) {
    for item in items {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
}
