use std::path::PathBuf;

use super::*;

/// A library with photos from 2018–2021 (a few months of each) and folders
/// named Trips (twice), Beach, Summer, Summer Trips, 2019 and 1984.
fn library() -> Known {
    let months = [(2018, 5), (2019, 3), (2019, 7), (2019, 9), (2020, 2), (2020, 12), (2021, 1), (2021, 6)];
    let folder = |name: &str, paths: &[&str]| KnownFolder {
        name: name.to_owned(),
        paths: paths.iter().map(PathBuf::from).collect(),
    };
    Known {
        years: months.iter().map(|(y, _)| *y).collect(),
        months: months.into_iter().collect(),
        folders: vec![
            folder("Trips", &["/p/a/Trips", "/p/b/Trips"]),
            folder("Beach", &["/p/Beach"]),
            folder("Summer", &["/p/Summer"]),
            folder("Summer Trips", &["/p/Summer Trips"]),
            folder("2019", &["/p/2019"]),
            folder("1984", &["/p/1984"]),
        ],
    }
}

fn empty() -> Known {
    Known::default()
}

/// The filter in one line: `after D; before D; folders P, P; formats F F`.
fn show(filter: &Filter) -> String {
    let mut parts = Vec::new();
    parts.extend(filter.after.as_ref().map(|d| format!("after {}", d.as_str())));
    parts.extend(filter.before.as_ref().map(|d| format!("before {}", d.as_str())));
    if !filter.folders.is_empty() {
        let folders: Vec<_> = filter.folders.iter().map(|p| p.display().to_string()).collect();
        parts.push(format!("folders {}", folders.join(", ")));
    }
    if !filter.formats.is_empty() {
        parts.push(format!("formats {}", filter.formats.join(" ")));
    }
    parts.join("; ")
}

/// (library, query, text left, chip labels, merged filter).
type Case = (fn() -> Known, &'static str, &'static str, &'static [&'static str], &'static str);

const CASES: &[Case] = &[
    // Years the library holds; a preposition belongs to the chip.
    (library, "beach 2019", "beach", &["2019"], "after 2019-01-01; before 2020-01-01"),
    (library, "IN 2019", "", &["2019"], "after 2019-01-01; before 2020-01-01"),
    (library, "dogs during 2020", "dogs", &["2020"], "after 2020-01-01; before 2021-01-01"),
    (library, "beach in 2019, at dusk", "beach at dusk", &["2019"], "after 2019-01-01; before 2020-01-01"),
    (library, "1984 poster", "1984 poster", &[], ""),
    (library, "\"2019\" sticker", "2019 sticker", &[], ""),
    (library, "in 2030", "in 2030", &[], ""),
    // Months, by name (the month must be known) or ISO (the year must be).
    (library, "snow in January 2021", "snow", &["January 2021"], "after 2021-01-01; before 2021-02-01"),
    (library, "Sept 2019 hike", "hike", &["September 2019"], "after 2019-09-01; before 2019-10-01"),
    (library, "lights dec. 2020", "lights", &["December 2020"], "after 2020-12-01; before 2021-01-01"),
    (library, "May 2020", "May 2020", &[], ""),
    (library, "snow in May 2020", "snow in May 2020", &[], ""),
    (library, "march of the penguins", "march of the penguins", &[], ""),
    (library, "2021-06", "", &["June 2021"], "after 2021-06-01; before 2021-07-01"),
    (library, "party 2021-06-15", "party", &["2021-06-15"], "after 2021-06-15; before 2021-06-16"),
    (library, "2020-02-29", "", &["2020-02-29"], "after 2020-02-29; before 2020-03-01"),
    (library, "2021-02-30", "2021-02-30", &[], ""),
    (library, "1999-05-04", "1999-05-04", &[], ""),
    // Ranges: at least one end known.
    (library, "2019-2021", "", &["2019–2021"], "after 2019-01-01; before 2022-01-01"),
    (library, "2019–2021 fog", "fog", &["2019–2021"], "after 2019-01-01; before 2022-01-01"),
    (library, "2019 to 2021", "", &["2019–2021"], "after 2019-01-01; before 2022-01-01"),
    (library, "between 2019 and 2021", "", &["2019–2021"], "after 2019-01-01; before 2022-01-01"),
    (library, "from 2010 to 2019", "", &["2010–2019"], "after 2010-01-01; before 2020-01-01"),
    (library, "from March 2019 to 2020", "", &["March 2019 – 2020"], "after 2019-03-01; before 2021-01-01"),
    (library, "1980-1990", "1980-1990", &[], ""),
    (library, "2021 to 2019", "to", &["2021", "2019"], "after 2021-01-01; before 2020-01-01"),
    // Bounds: any plausible year.
    (library, "sunset before 2015", "sunset", &["before 2015"], "before 2015-01-01"),
    (library, "until 2015", "", &["until 2015"], "before 2016-01-01"),
    (library, "before March 2015", "", &["before March 2015"], "before 2015-03-01"),
    (library, "after 2018", "", &["after 2018"], "after 2019-01-01"),
    (library, "since 2018", "", &["since 2018"], "after 2018-01-01"),
    (library, "after 1850", "after 1850", &[], ""),
    (library, "after the rain", "after the rain", &[], ""),
    // Explicit keys, whatever the library holds.
    (empty, "after:2019", "", &["after 2019"], "after 2020-01-01"),
    (empty, "before:2020-06 cats", "cats", &["before June 2020"], "before 2020-06-01"),
    (empty, "since:2019", "", &["since 2019"], "after 2019-01-01"),
    (empty, "Until:2020", "", &["until 2020"], "before 2021-01-01"),
    (empty, "in:2019 dogs", "dogs", &["2019"], "after 2019-01-01; before 2020-01-01"),
    (empty, "before:March 2015", "", &["before March 2015"], "before 2015-03-01"),
    (empty, "after:yesterday", "after:yesterday", &[], ""),
    (empty, "type:", "type:", &[], ""),
    (empty, "type:raw mountains", "mountains", &["type RAW"], "formats raw"),
    (empty, "type:JPG type:heic", "", &["type JPEG", "type HEIF"], "formats jpeg heif"),
    (empty, "type:tif type:dng", "", &["type TIFF", "type DNG"], "formats tiff dng"),
    (empty, "type:foo", "type:foo", &[], ""),
    (empty, "\"type:raw\"", "type:raw", &[], ""),
    (library, "folder:trips", "", &["folder Trips"], "folders /p/a/Trips, /p/b/Trips"),
    (library, "folder:\"summer trips\"", "", &["folder Summer Trips"], "folders /p/Summer Trips"),
    (library, "folder:Nowhere", "folder:Nowhere", &[], ""),
    // Folders, after a preposition only; the longest name first.
    (library, "kids from Trips", "kids", &["folder Trips"], "folders /p/a/Trips, /p/b/Trips"),
    (library, "kids in trips.", "kids", &["folder Trips"], "folders /p/a/Trips, /p/b/Trips"),
    (library, "in Summer Trips", "", &["folder Summer Trips"], "folders /p/Summer Trips"),
    (library, "in Summer", "", &["folder Summer"], "folders /p/Summer"),
    (
        library,
        "kids from Trips 2019",
        "kids",
        &["folder Trips", "2019"],
        "after 2019-01-01; before 2020-01-01; folders /p/a/Trips, /p/b/Trips",
    ),
    (library, "beach", "beach", &[], ""),
    (library, "from the sea", "from the sea", &[], ""),
    (library, "photos from 2019", "photos", &["2019"], "after 2019-01-01; before 2020-01-01"),
    (library, "from 1984", "", &["folder 1984"], "folders /p/1984"),
    (library, "from \"Trips\"", "from Trips", &[], ""),
    // Negative terms.
    (library, "dog -cat", "dog", &["not cat"], ""),
    (library, "street -\"red car\"", "street", &["not red car"], ""),
    (library, "t-shirt", "t-shirt", &[], ""),
    (library, "-5 degrees", "-5 degrees", &[], ""),
    (library, "a - b", "a - b", &[], ""),
    // Several chips merge: dates intersect, folders and formats unite.
    (
        library,
        "2019-2021 before 2020",
        "",
        &["2019–2021", "before 2020"],
        "after 2019-01-01; before 2020-01-01",
    ),
    (library, "after 2018 2019", "", &["after 2018", "2019"], "after 2019-01-01; before 2020-01-01"),
    (
        library,
        "from Trips in Beach from trips type:png type:PNG",
        "",
        &["folder Trips", "folder Beach", "folder Trips", "type PNG", "type PNG"],
        "folders /p/a/Trips, /p/b/Trips, /p/Beach; formats png",
    ),
    (library, "   ", "", &[], ""),
];

#[test]
fn queries_read_as_text_chips_and_filter() {
    let mut wrong = Vec::new();
    for (known, query, text, labels, filter) in CASES {
        let parsed = parse(query, &known());
        let got: Vec<&str> = parsed.chips.iter().map(|c| c.label.as_str()).collect();
        let shown = show(&parsed.filter());
        if parsed.text != *text || got != *labels || shown != *filter {
            wrong.push(format!(
                "{query:?}\n  want {text:?} {labels:?} {filter:?}\n  got  {:?} {got:?} {shown:?}",
                parsed.text
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of {} queries read wrong:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

#[test]
fn without_takes_out_one_chips_words_and_keeps_quotes() {
    let parsed = parse("  beach  in 2019   -cat \"red car\" from Trips ", &library());
    let without: Vec<(&str, &str)> =
        parsed.chips.iter().map(|c| (c.label.as_str(), c.without.as_str())).collect();
    assert_eq!(
        without,
        [
            ("2019", "beach -cat \"red car\" from Trips"),
            ("not cat", "beach in 2019 \"red car\" from Trips"),
            ("folder Trips", "beach in 2019 -cat \"red car\""),
        ]
    );
    assert_eq!(parsed.text, "beach red car");
    assert_eq!(parsed.minus, ["cat"]);
}

#[test]
fn minus_lists_every_negative_term_in_order() {
    let parsed = parse("dog -cat -\"red car\" -bird", &empty());
    assert_eq!(parsed.minus, ["cat", "red car", "bird"]);
    assert_eq!(parsed.text, "dog");
}

#[test]
fn folder_chips_name_the_folder_as_on_disk_with_every_path() {
    let mut known = library();
    known.folders.push(KnownFolder { name: "trips".into(), paths: vec!["/q/trips".into()] });
    let chip = |query| parse(query, &known).chips.remove(0).filter;
    let folder = |name: &str, paths: &[&str]| ChipFilter::Folder {
        name: name.into(),
        paths: paths.iter().map(PathBuf::from).collect(),
    };
    let all = ["/p/a/Trips", "/p/b/Trips", "/q/trips"];
    assert_eq!(chip("from TRIPS"), folder("Trips", &all));
    assert_eq!(chip("from trips"), folder("trips", &all));
}

#[test]
fn chips_serialize_with_a_kind_tag() {
    let parsed = parse("2019 from Beach type:jpg -cat", &library());
    let json = serde_json::to_value(&parsed).expect("serializes");
    let filters: Vec<_> =
        json["chips"].as_array().expect("chips").iter().map(|c| c["filter"].clone()).collect();
    assert_eq!(
        filters,
        [
            serde_json::json!({ "kind": "dates", "after": "2019-01-01", "before": "2020-01-01" }),
            serde_json::json!({ "kind": "folder", "name": "Beach", "paths": ["/p/Beach"] }),
            serde_json::json!({ "kind": "type", "format": "jpeg" }),
            serde_json::json!({ "kind": "minus", "text": "cat" }),
        ]
    );
}
