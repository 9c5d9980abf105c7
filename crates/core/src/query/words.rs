//! The words filters are written in, one table per language, so that a
//! language is added by writing a table, not by touching the parser.

/// Which side of a date a bound keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    /// Before the date's first day ("before 2015").
    Before,
    /// From the day after the date ends ("after 2018": from 2019-01-01).
    After,
    /// From the date's first day ("since 2018").
    Since,
    /// Up to the date's last day, as people read it ("until 2015": 2015 included).
    Until,
}

/// What an explicit `key:value` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    /// `before:2015`, `after:2018`, ...: the bound words.
    Bound(Bound),
    /// `in:2019`: a date.
    In,
    /// `folder:Trips`: a known folder.
    Folder,
    /// `type:raw`: a format.
    Type,
}

/// One language's words; every entry is lower-case.
pub(super) struct Words {
    /// Every spelling of a month (names, abbreviations), with its number.
    pub months: &'static [(&'static str, u32)],
    /// Month names as chips show them, January first.
    pub month_labels: [&'static str; 12],
    /// Words before a date that belong to its chip ("in 2019").
    pub date_preps: &'static [&'static str],
    /// Words that make the next words a folder's name ("from Trips").
    pub folder_preps: &'static [&'static str],
    /// Words that bound a date, as words ("before 2015") and as keys (`before:2015`).
    pub bounds: &'static [(&'static str, Bound)],
    /// Chip words for [`Bound::Before`], [`Bound::After`], [`Bound::Since`], [`Bound::Until`].
    pub bound_labels: [&'static str; 4],
    /// Words between a range's ends ("2019 to 2021").
    pub range_joins: &'static [&'static str],
    /// A word opening a range, with the one word that must join its ends ("between … and").
    pub range_pairs: &'static [(&'static str, &'static str)],
    /// The keys besides the bound words.
    pub keys: &'static [(&'static str, Key)],
    /// Chip words for a folder, a format and a negative term.
    pub folder_label: &'static str,
    /// See `folder_label`.
    pub type_label: &'static str,
    /// See `folder_label`.
    pub not_label: &'static str,
}

/// English.
pub(super) const ENGLISH: Words = Words {
    months: &[
        ("january", 1),
        ("jan", 1),
        ("february", 2),
        ("feb", 2),
        ("march", 3),
        ("mar", 3),
        ("april", 4),
        ("apr", 4),
        ("may", 5),
        ("june", 6),
        ("jun", 6),
        ("july", 7),
        ("jul", 7),
        ("august", 8),
        ("aug", 8),
        ("september", 9),
        ("sep", 9),
        ("sept", 9),
        ("october", 10),
        ("oct", 10),
        ("november", 11),
        ("nov", 11),
        ("december", 12),
        ("dec", 12),
    ],
    month_labels: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    date_preps: &["in", "from", "during", "of"],
    folder_preps: &["in", "from"],
    bounds: &[
        ("before", Bound::Before),
        ("until", Bound::Until),
        ("after", Bound::After),
        ("since", Bound::Since),
    ],
    bound_labels: ["before", "after", "since", "until"],
    range_joins: &["to", "-", "–", "—"],
    range_pairs: &[("between", "and")],
    keys: &[("in", Key::In), ("folder", Key::Folder), ("type", Key::Type)],
    folder_label: "folder",
    type_label: "type",
    not_label: "not",
};

impl Words {
    /// The month `word` names (any case, trailing dot allowed by the caller's trimming).
    pub fn month(&self, word: &str) -> Option<u32> {
        lookup(self.months, word)
    }

    /// The month's name for a chip (`month` in 1–12).
    pub fn month_label(&self, month: u32) -> &'static str {
        (month as usize).checked_sub(1).and_then(|i| self.month_labels.get(i)).copied().unwrap_or("?")
    }

    /// The bound `word` names.
    pub fn bound(&self, word: &str) -> Option<Bound> {
        lookup(self.bounds, word)
    }

    /// The chip word for `bound`.
    pub fn bound_label(&self, bound: Bound) -> &'static str {
        self.bound_labels[bound as usize]
    }

    /// The key `word` names.
    pub fn key(&self, word: &str) -> Option<Key> {
        self.bound(word).map(Key::Bound).or_else(|| lookup(self.keys, word))
    }
}

/// Whether `word` is one of `table` (any case).
pub(super) fn is(table: &[&str], word: &str) -> bool {
    let word = word.to_lowercase();
    table.contains(&word.as_str())
}

fn lookup<T: Copy>(table: &[(&str, T)], word: &str) -> Option<T> {
    let word = word.to_lowercase();
    table.iter().find(|(w, _)| *w == word).map(|(_, v)| *v)
}
