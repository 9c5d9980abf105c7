//! Filters written as `key:value`: `after:2019`, `before:2020-06`,
//! `in:2019`, `folder:Trips`, `type:raw`. They are read whatever the
//! library holds (a folder must still be known); a value that does not
//! read leaves the word as text.

use super::tokens::{Token, trim_trailing};
use super::words::{Key, Words};
use super::{ChipFilter, Found, Known, dates, folders};

/// Formats a `type:` may name, besides the RAW extensions (`raw` itself is
/// expanded by the caller to every RAW format).
const FORMATS: &[&str] = &["jpeg", "png", "webp", "gif", "bmp", "tiff", "heif", "avif", "raw"];
/// Other names of those formats.
const ALIASES: &[(&str, &str)] =
    &[("jpg", "jpeg"), ("jpe", "jpeg"), ("tif", "tiff"), ("hif", "heif"), ("heic", "heif")];

/// A `key:value` at the start of `tokens`.
pub(super) fn find(tokens: &[Token], known: &Known, words: &Words) -> Option<Found> {
    let (key, value) = tokens.first()?.plain_text()?.split_once(':')?;
    let key = words.key(key)?;
    // The value reads as the first of the tokens after it, so that
    // `before:March 2015` and `folder:Summer Trips` read whole.
    let mut rest = vec![Token::plain(value)];
    rest.extend_from_slice(&tokens[1..]);
    match key {
        Key::Bound(bound) => {
            let (p, len) = dates::period(&rest, words)?;
            dates::bounded(bound, p, len, words)
        }
        Key::In => {
            let (p, len) = dates::period(&rest, words)?;
            p.plausible().then(|| dates::during(p, len, words))
        }
        Key::Folder => folders::named(&rest, known, words),
        Key::Type => format(trim_trailing(value)).map(|format| Found {
            len: 1,
            label: format!("{} {}", words.type_label, format.to_uppercase()),
            filter: ChipFilter::Type { format },
        }),
    }
}

/// The format `value` names, normalised (`JPG` is `jpeg`).
fn format(value: &str) -> Option<String> {
    let value = value.trim_start_matches('.').to_ascii_lowercase();
    let format = ALIASES.iter().find(|(alias, _)| *alias == value).map_or(value.as_str(), |(_, f)| f);
    let known = FORMATS.contains(&format) || crate::scan::RAW_EXTENSIONS.contains(&format);
    known.then(|| format.to_owned())
}
