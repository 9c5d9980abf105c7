//! Dates written in words: "2019", "in January 2021", "2021-06-15",
//! "2019–2021", "between 2019 and 2021", "before March 2015".

use super::tokens::Token;
use super::words::{Bound, Words, is};
use super::{ChipFilter, Found, Known};

/// Years a bound or an explicit key may name (a known year needs no such check).
const PLAUSIBLE: std::ops::RangeInclusive<i32> = 1900..=2100;

/// A calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    /// `YYYY-MM-DD`.
    fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// How much of the calendar a date names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grain {
    Year,
    Month,
    Day,
}

/// A year, a month or a day, as written in a query.
#[derive(Debug, Clone, Copy)]
pub(super) struct Period {
    start: Date,
    grain: Grain,
    /// Written with a month's name ("January 2021"), not as `2021-01`.
    named: bool,
}

impl Period {
    /// The first day after the period.
    fn end(self) -> Date {
        let Date { year, month, day } = self.start;
        match self.grain {
            Grain::Year => Date { year: year + 1, month: 1, day: 1 },
            Grain::Month if month == 12 => Date { year: year + 1, month: 1, day: 1 },
            Grain::Month => Date { year, month: month + 1, day: 1 },
            Grain::Day if day < days_in(year, month) => Date { year, month, day: day + 1 },
            Grain::Day => Period { grain: Grain::Month, ..self }.end(),
        }
    }

    /// Whether the library holds photos of it: a month written by name must
    /// be known as a month; a year or an ISO date needs its year known.
    fn known(self, known: &Known) -> bool {
        let Date { year, month, .. } = self.start;
        match self.named {
            true => known.months.contains(&(year, month)),
            false => known.years.contains(&year),
        }
    }

    /// Whether its year is one a photo may have.
    pub(super) fn plausible(self) -> bool {
        PLAUSIBLE.contains(&self.start.year)
    }

    fn label(self, words: &Words) -> String {
        match self.grain {
            Grain::Year => self.start.year.to_string(),
            Grain::Month => format!("{} {}", words.month_label(self.start.month), self.start.year),
            Grain::Day => self.start.iso(),
        }
    }
}

/// A date at the start of `tokens`, with an optional preposition, read as
/// a bound, a range or a period the library knows.
pub(super) fn find(tokens: &[Token], known: &Known, words: &Words) -> Option<Found> {
    let prep = tokens.first().and_then(Token::word).is_some_and(|w| is(words.date_preps, w)) as usize;
    let rest = &tokens[prep..];
    let found = bound(rest, words).or_else(|| range(rest, known, words)).or_else(|| {
        let (p, len) = period(rest, words)?;
        p.known(known).then(|| during(p, len, words))
    })?;
    Some(Found { len: found.len + prep, ..found })
}

/// How many tokens at the start of `tokens` stay text together when no
/// filter reads there: a date the library does not hold ("May 2020", with
/// no photo from that May) is text whole, not "May" and a year chip.
pub(super) fn text_len(tokens: &[Token], words: &Words) -> usize {
    period(tokens, words).map_or(1, |(_, len)| len)
}

/// A bound word and the date it bounds ("before 2015").
fn bound(tokens: &[Token], words: &Words) -> Option<Found> {
    let bound = words.bound(tokens.first()?.word()?)?;
    let (p, len) = period(&tokens[1..], words)?;
    bounded(bound, p, len + 1, words)
}

/// `bound` applied to `p`, a plausible date, as a chip of `len` tokens.
pub(super) fn bounded(bound: Bound, p: Period, len: usize, words: &Words) -> Option<Found> {
    let (after, before) = match bound {
        Bound::Before => (None, Some(p.start)),
        Bound::After => (Some(p.end()), None),
        Bound::Since => (Some(p.start), None),
        Bound::Until => (None, Some(p.end())),
    };
    let label = format!("{} {}", words.bound_label(bound), p.label(words));
    p.plausible().then(|| Found { len, label, filter: dates(after, before) })
}

/// The period `p` as a chip of `len` tokens.
pub(super) fn during(p: Period, len: usize, words: &Words) -> Found {
    Found { len, label: p.label(words), filter: dates(Some(p.start), Some(p.end())) }
}

fn dates(after: Option<Date>, before: Option<Date>) -> ChipFilter {
    ChipFilter::Dates { after: after.map(Date::iso), before: before.map(Date::iso) }
}

/// A range with at least one end known: "2019–2021", "2019 to 2021",
/// "between 2019 and 2021".
fn range(tokens: &[Token], known: &Known, words: &Words) -> Option<Found> {
    let (a, b, len) =
        between(tokens, words).or_else(|| joined(tokens, words)).or_else(|| hyphened(tokens))?;
    let ok = a.plausible() && b.plausible() && a.start <= b.start && (a.known(known) || b.known(known));
    let (from, to) = (a.label(words), b.label(words));
    let dash = if from.contains(' ') || to.contains(' ') { " – " } else { "–" };
    ok.then(|| Found { len, label: format!("{from}{dash}{to}"), filter: dates(Some(a.start), Some(b.end())) })
}

/// "between A and B".
fn between(tokens: &[Token], words: &Words) -> Option<(Period, Period, usize)> {
    let open = tokens.first()?.word()?.to_lowercase();
    let (_, join) = words.range_pairs.iter().find(|(o, _)| *o == open)?;
    let (a, n) = period(&tokens[1..], words)?;
    if tokens.get(1 + n)?.word()?.to_lowercase() != *join {
        return None;
    }
    let (b, m) = period(&tokens[2 + n..], words)?;
    Some((a, b, 2 + n + m))
}

/// "A to B", "A – B".
fn joined(tokens: &[Token], words: &Words) -> Option<(Period, Period, usize)> {
    let (a, n) = period(tokens, words)?;
    if !is(words.range_joins, tokens.get(n)?.word()?) {
        return None;
    }
    let (b, m) = period(&tokens[n + 1..], words)?;
    Some((a, b, n + 1 + m))
}

/// "2019-2021", "2019–2021" in one word.
fn hyphened(tokens: &[Token]) -> Option<(Period, Period, usize)> {
    let (a, b) = tokens.first()?.word()?.split_once(['-', '–', '—'])?;
    Some((year(a)?, year(b)?, 1))
}

/// A date at the start of `tokens` ("2019", "2021-06", "2021-06-15",
/// "January 2021"), with how many tokens it takes.
pub(super) fn period(tokens: &[Token], words: &Words) -> Option<(Period, usize)> {
    let word = tokens.first()?.word()?;
    if let Some(p) = iso(word) {
        return Some((p, 1));
    }
    let month = words.month(word)?;
    let Period { start, .. } = year(tokens.get(1)?.word()?)?;
    Some((Period { start: Date { month, ..start }, grain: Grain::Month, named: true }, 2))
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (a real day).
fn iso(word: &str) -> Option<Period> {
    let mut parts = word.split('-');
    let year = year(parts.next()?)?;
    let Some(month) = parts.next() else { return Some(year) };
    let start = Date { month: two_digits(month, 1..=12)?, ..year.start };
    let Some(day) = parts.next() else { return Some(Period { start, grain: Grain::Month, named: false }) };
    let start = Date { day: two_digits(day, 1..=days_in(start.year, start.month))?, ..start };
    parts.next().is_none().then_some(Period { start, grain: Grain::Day, named: false })
}

/// A four-digit year.
fn year(word: &str) -> Option<Period> {
    let digits = word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit());
    let year = digits.then(|| word.parse().ok()).flatten()?;
    Some(Period { start: Date { year, month: 1, day: 1 }, grain: Grain::Year, named: false })
}

fn two_digits(part: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    let digits = part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| part.parse().ok()).flatten().filter(|n| range.contains(n))
}

fn days_in(year: i32, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
