//! A query split into words and `"quoted phrases"`.

use std::iter::Peekable;
use std::str::Chars;

/// Quote marks; typographic ones too, which some keyboards type for `"`.
const QUOTES: &[char] = &['"', '“', '”'];
/// Punctuation ending a sentence's word ("in 2019, at the beach"), ignored when matching.
const TRAILING: &[char] = &[',', '.', ';', '!', '?'];

/// One word of a query, or a quoted phrase.
#[derive(Debug, Clone)]
pub(super) struct Token {
    /// As written, quotes included.
    pub raw: String,
    /// Without its quote marks.
    pub text: String,
    /// Written as a `"phrase"`: never read as a filter.
    pub quoted: bool,
}

impl Token {
    /// A token written without quotes.
    pub fn plain(text: &str) -> Self {
        Token { raw: text.to_owned(), text: text.to_owned(), quoted: false }
    }

    /// The text to match filters against; `None` for a quoted phrase.
    pub fn plain_text(&self) -> Option<&str> {
        (!self.quoted).then_some(self.text.as_str())
    }

    /// Like [`Self::plain_text`], without trailing punctuation.
    pub fn word(&self) -> Option<&str> {
        self.plain_text().map(trim_trailing)
    }
}

/// `text` without the punctuation that ends a sentence's word.
pub(super) fn trim_trailing(text: &str) -> &str {
    text.trim_end_matches(TRAILING)
}

/// The query's tokens: split on whitespace, except inside quotes.
pub(super) fn tokens(query: &str) -> Vec<Token> {
    let mut chars = query.chars().peekable();
    let mut out = Vec::new();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return out;
        }
        out.push(token(&mut chars));
    }
}

/// One token, from a non-space character to the next space outside quotes
/// (an unclosed quote runs to the end).
fn token(chars: &mut Peekable<Chars>) -> Token {
    let (mut raw, mut text, mut in_quotes) = (String::new(), String::new(), false);
    while let Some(c) = chars.next_if(|c| in_quotes || !c.is_whitespace()) {
        raw.push(c);
        if QUOTES.contains(&c) {
            in_quotes = !in_quotes;
        } else {
            text.push(c);
        }
    }
    let quoted = raw.starts_with(QUOTES);
    Token { raw, text, quoted }
}
