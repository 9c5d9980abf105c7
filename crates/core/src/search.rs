//! Searching the library: a query of texts and images (with negative
//! terms) becomes one vector, the store finds its nearest photos among the
//! filter's candidates (exactly, by a scan, up to `store::SCAN_LIMIT`
//! photos; by arroy's trees above), and every hit is judged against the library's
//! background scores so that "nothing matches" can be said.
//!
//! ## The "no good match" rule
//! For a query vector `q`, photofind scores a sample of the library
//! (up to [`BACKGROUND_SAMPLE`] photos among the candidates, spread evenly:
//! their quantised codes' scores, taken during the search's own scan, so no
//! vector is read for them; above the scan limit, their vectors) and takes their median `m` and median absolute deviation `MAD`. A hit's
//! robust z-score is `z = 0.6745 (score - m) / MAD` (Iglewicz–Hoaglin). With
//! `N` candidate photos, a hit is a *good match* when `z` is above the score
//! that the best of `N` unrelated photos would pass by chance only 1 time in
//! 100 (`z* = Φ⁻¹(1 - 0.01 / N)`, a Bonferroni bound: 3.1 for 10 photos,
//! 5.2 for 100k). When no hit is good, the answer is "no good match", and
//! the hits are still shown with their scores. With fewer than
//! [`MIN_BACKGROUND`] photos there is no background to judge by, and hits
//! are left unjudged.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use roaring::RoaringBitmap;
use serde::Serialize;

use crate::photo;
use crate::store::{ModelKey, Photo, PhotoId, Store};
use crate::timeline::PhotoCard;
use crate::{EmbedError, Embedder, Embedding};

/// Photos scored to estimate the background.
pub const BACKGROUND_SAMPLE: usize = 2000;
/// Fewer photos than this: hits are not judged.
pub const MIN_BACKGROUND: usize = 8;
/// A score this high means the same picture (a copy, a re-encode).
pub const SAME_PICTURE: f32 = 0.99;
/// Chance that the best of the unrelated photos passes the bar.
const FALSE_ALARM: f64 = 0.01;

/// One term of a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A description.
    Text(String),
    /// An image file; if its bytes are in the library, the stored vector is used.
    Image(PathBuf),
    /// An image's bytes (pasted, picked in a file dialog), named for errors;
    /// if they are in the library, the stored vector is used.
    ImageBytes {
        /// What to call it in an error (`pasted image`, the file's name).
        name: String,
        /// The encoded image.
        bytes: std::sync::Arc<Vec<u8>>,
    },
}

/// What to look for and where.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Terms added (weight +1 each).
    pub positive: Vec<Term>,
    /// Terms subtracted (weight −1 each).
    pub negative: Vec<Term>,
    /// Which photos may be returned: those every filter keeps (the
    /// window's filters and the ones written in the query's words).
    pub filters: Vec<Filter>,
    /// At most this many hits.
    pub limit: usize,
}

/// Restricts a search to some photos. Given to arroy as candidates, so the
/// best photos *within* the filter come back, not a filtered top-k.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Photos with a path inside one of these folders.
    pub folders: Vec<PathBuf>,
    /// Taken on or after this day (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    pub after: Option<Day>,
    /// Taken before this day.
    pub before: Option<Day>,
    /// Image formats (`jpeg`, `png`, `heif`, `raw`, ...; any of them).
    pub formats: Vec<String>,
}

impl Filter {
    /// Whether it keeps every photo.
    pub fn is_empty(&self) -> bool {
        self.folders.is_empty() && self.after.is_none() && self.before.is_none() && self.formats.is_empty()
    }
}

/// A calendar day as `YYYY-MM-DD`, from `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day(String);

impl Day {
    /// The day `year-month-day` (not checked against the calendar beyond 1–12 and 1–31).
    pub fn ymd(year: i32, month: u32, day: u32) -> Self {
        Day(format!("{year:04}-{month:02}-{day:02}"))
    }

    /// `YYYY-MM-DD`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Day {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::Date { value: s.to_owned(), reason: why.to_owned() };
        let parts: Vec<&str> = s.split('-').collect();
        let number = |p: &str, len: usize| {
            (p.len() == len && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse::<u32>().ok()).flatten()
        };
        let year =
            parts.first().and_then(|p| number(p, 4)).ok_or_else(|| bad("the year must be 4 digits"))?;
        let month = match parts.get(1) {
            None => 1,
            Some(p) => number(p, 2).filter(|m| (1..=12).contains(m)).ok_or_else(|| bad("bad month"))?,
        };
        let day = match parts.get(2) {
            None => 1,
            Some(p) => number(p, 2).filter(|d| (1..=31).contains(d)).ok_or_else(|| bad("bad day"))?,
        };
        if parts.len() > 3 {
            return Err(bad("expected YYYY, YYYY-MM or YYYY-MM-DD"));
        }
        Ok(Day(format!("{year:04}-{month:02}-{day:02}")))
    }
}

/// One result: the photo as the window lists it, with how well it matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Hit {
    /// The photo (its JSON fields sit beside the scores).
    #[serde(flatten)]
    pub photo: PhotoCard,
    /// Cosine similarity between the query and the photo.
    pub score: f32,
    /// Robust z-score against the library's background (see the module docs).
    pub z: Option<f32>,
    /// Whether this hit is a good match; `None` when the library is too small to judge.
    pub good: Option<bool>,
}

/// The answer to a query.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Results {
    /// Best first.
    pub hits: Vec<Hit>,
    /// `Some(false)`: no hit is a good match. `None`: too few photos to judge.
    pub good_match: Option<bool>,
    /// The z-score a good match needs for this many candidates.
    pub threshold_z: f32,
    /// Photos the search could return (after filters).
    pub candidates: u64,
    /// The model whose index answered (the embedder's): every score is
    /// from this one model.
    pub model: String,
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The index failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// The model failed.
    #[error(transparent)]
    Model(#[from] EmbedError),
    /// A query image could not be read.
    #[error(transparent)]
    Photo(#[from] photo::PhotoError),
    /// The query has no positive term.
    #[error("the query is empty: give a text, an image or both")]
    NoTerms,
    /// The terms cancel out.
    #[error("the query's terms cancel out (their weighted sum is zero)")]
    Cancels,
    /// A date filter could not be read.
    #[error("{value:?} is not a date: {reason}")]
    Date {
        /// What was given.
        value: String,
        /// What is wrong.
        reason: String,
    },
}

/// Runs `query` against the library; `catalog`, when given, answers the date and type
/// filters from memory (see [`crate::catalog::Catalog::kept`]).
pub fn run(
    store: &Store,
    catalog: Option<&crate::catalog::Catalog>,
    embedder: &dyn Embedder,
    query: &Query,
) -> Result<Results, Error> {
    if query.positive.is_empty() {
        return Err(Error::NoTerms);
    }
    let model = ModelKey::of(embedder);
    let vector = query_vector(store, embedder, query)?;
    let candidates = candidates(store, catalog, &query.filters)?;
    let (hits, scanned) = store.nearest_with_sample(
        &model,
        vector.as_slice(),
        query.limit.max(1),
        BACKGROUND_SAMPLE,
        candidates.as_ref(),
    )?;
    // The scan scored every candidate: its sample is the background, read in the same pass.
    let background = match scanned {
        Some(scores) => Background::of_scores(scores),
        None => {
            Background::of(&vector, &store.sample_vectors(&model, BACKGROUND_SAMPLE, candidates.as_ref())?)
        }
    };
    let total = match &candidates {
        Some(c) => c.len(),
        None => store.vector_count(&model)?,
    };
    let threshold = threshold_z(total);
    let mut out = Vec::with_capacity(hits.len());
    for hit in hits {
        let Some(photo) = store.photo(hit.id)? else { continue };
        let z = background.as_ref().map(|b| b.z(hit.score));
        let good = z.map(|z| z >= threshold || hit.score >= SAME_PICTURE);
        out.push(to_hit(hit.id, hit.score, z, good, photo));
    }
    // A RAW and the JPEG beside it are one shot: shown once (see `twins`).
    let out = crate::twins::fold(out);
    let good_match = background.as_ref().map(|_| out.iter().any(|h| h.good == Some(true)));
    Ok(Results { hits: out, good_match, threshold_z: threshold, candidates: total, model: model.id })
}

fn to_hit(id: PhotoId, score: f32, z: Option<f32>, good: Option<bool>, photo: Photo) -> Hit {
    Hit { photo: PhotoCard::of(id, photo), score, z, good }
}

/// The normalised weighted sum of the terms' vectors.
pub fn query_vector(store: &Store, embedder: &dyn Embedder, query: &Query) -> Result<Embedding, Error> {
    let dims = embedder.dims();
    let mut sum = vec![0.0f32; dims];
    for (terms, weight) in [(&query.positive, 1.0f32), (&query.negative, -1.0)] {
        for term in terms {
            let v = term_vector(store, embedder, term)?;
            sum.iter_mut().zip(v.as_slice()).for_each(|(s, x)| *s += weight * x);
        }
    }
    if sum.iter().map(|x| x * x).sum::<f32>() < 1e-8 {
        return Err(Error::Cancels);
    }
    Ok(Embedding::normalized(sum))
}

fn term_vector(store: &Store, embedder: &dyn Embedder, term: &Term) -> Result<Embedding, Error> {
    match term {
        Term::Text(text) => Ok(one(embedder.embed_texts(&[text.as_str()])?)),
        Term::Image(path) => {
            let bytes = photo::read(path, photo::MAX_FILE_BYTES)?;
            image_vector(store, embedder, path, &bytes)
        }
        Term::ImageBytes { name, bytes } => image_vector(store, embedder, Path::new(name), bytes),
    }
}

/// The stored vector of these bytes, or a fresh embedding.
fn image_vector(
    store: &Store,
    embedder: &dyn Embedder,
    name: &Path,
    bytes: &[u8],
) -> Result<Embedding, Error> {
    if let Some(id) = store.id_of(&photo::content_hash(bytes))?
        && let Some(stored) = store.vector(&ModelKey::of(embedder), id)?
    {
        return Ok(Embedding::normalized(stored));
    }
    let decoded = photo::decode_for_model(name, bytes, embedder.input_short_side())?;
    let input = embedder.prepare_image(&decoded.image)?;
    Ok(one(embedder.embed_images(&[input])?))
}

fn one(mut vectors: Vec<Embedding>) -> Embedding {
    vectors.pop().unwrap_or_else(|| Embedding::normalized(Vec::new()))
}

/// The photos every filter keeps, as a candidates bitmap; `None` when nothing is filtered.
pub(crate) fn candidates(
    store: &Store,
    catalog: Option<&crate::catalog::Catalog>,
    filters: &[Filter],
) -> Result<Option<RoaringBitmap>, Error> {
    let mut set: Option<RoaringBitmap> = None;
    for filter in filters {
        let Some(ids) = kept_by(store, catalog, filter)? else { continue }; // keeps every photo
        set = Some(match set.take() {
            Some(s) => s & ids,
            None => ids,
        });
    }
    Ok(set)
}

/// The photos `filter` keeps; `None` when it keeps all.
fn kept_by(
    store: &Store,
    catalog: Option<&crate::catalog::Catalog>,
    filter: &Filter,
) -> Result<Option<RoaringBitmap>, Error> {
    let mut set: Option<RoaringBitmap> = None;
    let mut narrow = |ids: RoaringBitmap| {
        set = Some(match set.take() {
            Some(s) => s & ids,
            None => ids,
        });
    };
    if !filter.folders.is_empty() {
        let mut ids = RoaringBitmap::new();
        for folder in &filter.folders {
            ids |= store.ids_in(&absolute(folder))?;
        }
        narrow(ids);
    }
    if filter.after.is_some() || filter.before.is_some() || !filter.formats.is_empty() {
        narrow(match catalog {
            Some(catalog) => catalog.kept(filter),
            None => store.ids_where(|photo| keeps(filter, photo))?,
        });
    }
    Ok(set)
}

fn keeps(filter: &Filter, photo: &Photo) -> bool {
    // The timeline's rule for when a photo was taken, so a month there is the month filtered.
    let when = crate::catalog::taken(photo);
    let day = &when[..when.len().min(10)];
    filter.after.as_ref().is_none_or(|a| day >= a.0.as_str())
        && filter.before.as_ref().is_none_or(|b| day < b.0.as_str())
        && (filter.formats.is_empty() || filter.formats.iter().any(|f| format_matches(f, &photo.format)))
}

/// Whether a photo stored as `format` is of the `requested` type: `jpg` is
/// `jpeg`, `heif` covers HEIC and HEIF, `raw` every camera RAW format.
pub fn format_matches(requested: &str, format: &str) -> bool {
    match requested.to_ascii_lowercase().as_str() {
        "jpg" | "jpe" | "jpeg" => format == "jpeg",
        "tif" | "tiff" => format == "tiff",
        "heif" | "heic" | "hif" => format == "heic" || format == "heif",
        "raw" => format == "raw" || crate::scan::RAW_EXTENSIONS.contains(&format),
        other => other == format,
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).or_else(|_| std::path::absolute(path)).unwrap_or_else(|_| path.to_owned())
}

/// `YYYY-MM-DDTHH:MM:SS` in this computer's time zone, as a camera writes its EXIF time: a
/// photo without EXIF, saved at 21:00 on 31 December in New York, is from December there.
/// UTC where the zone cannot be read.
pub fn iso_local(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    match utc_offset(secs) {
        Some(offset) => iso_utc(UNIX_EPOCH + std::time::Duration::from_secs((secs + offset).max(0) as u64)),
        None => iso_utc(time),
    }
}

/// Seconds east of UTC at `secs` (Unix time) in the local zone (`TZ`, else /etc/localtime).
#[cfg(unix)]
#[allow(unsafe_code)]
fn utc_offset(secs: i64) -> Option<i64> {
    let t = libc::time_t::try_from(secs).ok()?;
    // SAFETY: `tm` is plain integers (and a pointer localtime_r sets), all-zero is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r reads `t` and writes only `tm`, both alive on this stack frame; it is
    // the thread-safe form (no shared static buffer).
    let done = unsafe { libc::localtime_r(&t, &mut tm) };
    (!done.is_null()).then_some(tm.tm_gmtoff)
}

#[cfg(not(unix))]
fn utc_offset(_secs: i64) -> Option<i64> {
    None
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC (days from the civil-from-days algorithm).
pub fn iso_utc(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The query's scores over a sample of the library.
struct Background {
    median: f32,
    mad: f32,
}

impl Background {
    fn of(query: &Embedding, sample: &[Vec<f32>]) -> Option<Self> {
        Self::of_scores(sample.iter().map(|v| Embedding::normalized(v.clone()).cosine(query)).collect())
    }

    /// From the query's scores over the sample (the scan's approximate cosines).
    fn of_scores(mut scores: Vec<f32>) -> Option<Self> {
        if scores.len() < MIN_BACKGROUND {
            return None;
        }
        let median = median_of(&mut scores);
        let mut deviations: Vec<f32> = scores.iter().map(|s| (s - median).abs()).collect();
        let mad = median_of(&mut deviations).max(1e-6);
        Some(Self { median, mad })
    }

    fn z(&self, score: f32) -> f32 {
        0.6745 * (score - self.median) / self.mad
    }
}

fn median_of(values: &mut [f32]) -> f32 {
    values.sort_by(f32::total_cmp);
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// `Φ⁻¹(1 - FALSE_ALARM / n)`: the z-score the best of `n` unrelated
/// photos passes only `FALSE_ALARM` of the time.
pub fn threshold_z(n: u64) -> f32 {
    let tail = FALSE_ALARM / (n.max(1) as f64);
    let (mut lo, mut hi) = (0.0f64, 40.0f64);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if upper_tail(mid) > tail { lo = mid } else { hi = mid }
    }
    lo as f32
}

/// P(Z > z) for a standard normal Z.
fn upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function, fractional error below 1.2e-7
/// (Numerical Recipes' `erfcc`).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_rises_with_the_number_of_photos() {
        assert!((threshold_z(1) - 2.326).abs() < 0.01, "{}", threshold_z(1));
        assert!((threshold_z(10) - 3.090).abs() < 0.01, "{}", threshold_z(10));
        assert!((threshold_z(100_000) - 5.199).abs() < 0.01, "{}", threshold_z(100_000));
    }

    #[test]
    fn days_parse_strictly_and_name_the_value() {
        assert_eq!("2023".parse::<Day>().expect("year").0, "2023-01-01");
        assert_eq!("2023-06".parse::<Day>().expect("month").0, "2023-06-01");
        assert_eq!("2023-06-15".parse::<Day>().expect("day").0, "2023-06-15");
        for bad in ["23", "2023-13", "2023-6-1", "yesterday", "2023-01-01-01"] {
            let err = bad.parse::<Day>().expect_err(bad);
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn utc_dates_come_from_unix_time() {
        assert_eq!(iso_utc(UNIX_EPOCH), "1970-01-01T00:00:00");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(iso_utc(t), "2023-11-14T22:13:20");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(iso_utc(leap), "2000-02-29T00:00:00");
    }

    #[test]
    fn robust_z_ignores_the_outlier() {
        let q = Embedding::normalized(vec![1.0, 0.0]);
        let mut sample: Vec<Vec<f32>> = (0..20).map(|i| vec![0.2 + 0.01 * (i % 5) as f32, 1.0]).collect();
        sample.push(vec![1.0, 0.0]);
        let b = Background::of(&q, &sample).expect("enough");
        assert!(b.z(1.0) > 10.0, "{}", b.z(1.0));
        assert!(b.z(b.median).abs() < 1e-6);
        assert!(Background::of(&q, &sample[..MIN_BACKGROUND - 1]).is_none());
    }
}
