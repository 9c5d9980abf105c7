//! The library as a timeline, and filters written in words, against a real
//! index: photos dated by their files' times in folders of a root, read back
//! newest first by month, through the one path (`Library::query`,
//! `Library::timeline`) the CLI and the window both take.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use photofind_core::search::{Filter, Term};
use photofind_core::{Ask, Library};
use support::{MeanColour, distinct_png};

/// Seconds since 1970 of a day at noon UTC.
fn day(year: i32, month: u32, d: u32) -> SystemTime {
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year } as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    UNIX_EPOCH + Duration::from_secs(u64::try_from(days * 86_400 + 43_200).expect("after 1970"))
}

/// A root with photos in `Trips/Paris` (June 2019), `Trips/Rome` (January
/// 2021) and `Home` (March 2023), indexed.
fn library() -> (tempfile::TempDir, PathBuf, Library) {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("Pictures");
    let mut n = 0;
    for (folder, when, count) in [
        ("Trips/Paris", day(2019, 6, 10), 2),
        ("Trips/Rome", day(2021, 1, 5), 1),
        ("Home", day(2023, 3, 1), 3),
    ] {
        std::fs::create_dir_all(root.join(folder)).expect("folder");
        for i in 0..count {
            n += 1;
            let photo = distinct_png(&root.join(folder).join(format!("{n}.png")), n);
            let file = std::fs::File::options().write(true).open(&photo).expect("opens");
            // Later photos of a folder a minute later: a known order within the month.
            file.set_modified(when + Duration::from_secs(60 * i)).expect("dates it");
        }
    }
    let library = Library::open(&dir.path().join("data"), None).expect("opens");
    let (root, _) = library.add_root(&root).expect("adds");
    support::index_root(&library, &MeanColour::new(None), &root);
    (dir, root, library)
}

fn names(page: &photofind_core::timeline::TimelinePage) -> Vec<String> {
    page.photos.iter().map(|p| p.path.file_name().expect("a name").to_string_lossy().into_owned()).collect()
}

fn months(page: &photofind_core::timeline::TimelinePage) -> Vec<(String, u64)> {
    page.months.iter().map(|m| (m.month.clone(), m.count)).collect()
}

#[test]
fn the_timeline_lists_every_photo_newest_first_by_month() {
    let (_dir, _root, library) = library();
    let (page, _) = library.timeline("", Filter::default(), 0, 100).expect("a page");
    assert_eq!(page.total, 6);
    let expected = [("2023-03", 3), ("2021-01", 1), ("2019-06", 2)];
    assert_eq!(months(&page), expected.map(|(m, c)| (m.to_owned(), c)));
    assert_eq!(names(&page), ["6.png", "5.png", "4.png", "3.png", "2.png", "1.png"]);
    // A file's time is read in the local zone (as EXIF's is); noon UTC is that day anywhere
    // within 11 hours of it.
    let expected = photofind_core::search::iso_local(day(2023, 3, 1) + Duration::from_secs(120));
    assert_eq!(page.photos[0].taken, expected);

    let (second, _) = library.timeline("", Filter::default(), 4, 100).expect("a later page");
    assert_eq!((second.offset, names(&second)), (4, vec!["2.png".to_owned(), "1.png".to_owned()]));
}

#[test]
fn words_and_fields_filter_the_timeline_alike() {
    let (_dir, root, library) = library();
    let (by_words, parsed) = library.timeline("from Trips", Filter::default(), 0, 100).expect("a page");
    assert_eq!(parsed.chips.len(), 1, "{parsed:?}");
    let by_field = Filter { folders: vec![root.join("Trips")], ..Filter::default() };
    let (by_field, _) = library.timeline("", by_field, 0, 100).expect("a page");
    assert_eq!(names(&by_words), ["3.png", "2.png", "1.png"]);
    assert_eq!(names(&by_words), names(&by_field));

    // Both at once: Trips, and 2021.
    let (both, _) = library
        .timeline("2021", Filter { folders: vec![root.join("Trips")], ..Filter::default() }, 0, 100)
        .expect("a page");
    assert_eq!(names(&both), ["3.png"]);
    // A year without photos is not a filter: no chip, and nothing is hidden.
    let (all, parsed) = library.timeline("1984", Filter::default(), 0, 100).expect("a page");
    assert!(parsed.chips.is_empty() && all.total == 6, "{parsed:?}");
}

#[test]
fn a_query_gets_its_filters_from_the_words_and_the_rest_as_text() {
    let (_dir, root, library) = library();
    let ask = Ask {
        words: "kids from Paris 2019 -cat".into(),
        images: vec![Term::Image(root.join("Home/4.png"))],
        limit: 5,
        ..Ask::default()
    };
    let (query, parsed) = library.query(ask).expect("reads");
    assert_eq!(parsed.text, "kids");
    assert_eq!(query.positive, [Term::Text("kids".into()), Term::Image(root.join("Home/4.png"))]);
    assert_eq!(query.negative, [Term::Text("cat".into())]);
    // The words' filter keeps the two Paris photos only (the stand-in model ignores text).
    let hits = library.search(&MeanColour::new(None), &query).expect("searches");
    let found: Vec<&Path> = hits.hits.iter().map(|h| h.photo.path.as_path()).collect();
    assert_eq!(hits.candidates, 2);
    assert!(found.iter().all(|p| p.starts_with(root.join("Trips/Paris"))), "{found:?}");
}

#[test]
fn date_and_type_filters_from_memory_keep_what_a_scan_of_the_photos_keeps() {
    let (_dir, root, library) = library();
    let catalog = photofind_core::catalog::Catalog::build(library.store()).expect("builds");
    let day = |s: &str| Some(s.parse::<photofind_core::search::Day>().expect("a day"));
    let filters = [
        Filter { after: day("2021"), ..Filter::default() },
        Filter { before: day("2021-01-06"), ..Filter::default() },
        Filter { after: day("2019-06-11"), before: day("2023-03-01"), ..Filter::default() },
        // On the days themselves: after is inclusive, before is not.
        Filter { after: day("2019-06-10"), ..Filter::default() },
        Filter { before: day("2023-03-01"), ..Filter::default() },
        Filter { formats: vec!["png".into()], ..Filter::default() },
        Filter { formats: vec!["raw".into()], ..Filter::default() },
    ];
    for filter in filters {
        let query = photofind_core::search::Query {
            positive: vec![Term::Image(root.join("Home/4.png"))],
            filters: vec![filter.clone()],
            limit: 10,
            ..Default::default()
        };
        let model = MeanColour::new(None);
        let scanned = photofind_core::search::run(library.store(), None, &model, &query).expect("scan");
        let remembered =
            photofind_core::search::run(library.store(), Some(&catalog), &model, &query).expect("memory");
        assert_eq!(scanned.candidates, remembered.candidates, "{filter:?}");
        assert_eq!(scanned.hits, remembered.hits, "{filter:?}");
    }
}
