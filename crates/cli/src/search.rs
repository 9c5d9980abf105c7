//! `photofind search`: text, image, or both, with negative terms and
//! filters. Every hit shows its score; "no good match" is said when the
//! best hits cannot be told from the library's background (see
//! `photofind_core::search`).

use std::path::PathBuf;

use anyhow::Result;
use photofind_core::search::{Day, Filter, Query, Results, Term};

use crate::{Common, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Print one JSON array of hits, best first: {"path", "score", "z",
    /// "good", "paths", "offline", "captured", "format", "width", "height",
    /// "size", "id"}.
    #[arg(long)]
    json: bool,
    /// At most this many hits.
    #[arg(long, default_value_t = 20, value_name = "N")]
    limit: usize,
    /// Find photos like this image (repeatable); a photo already in the
    /// library uses its stored vector.
    #[arg(long = "image", value_name = "FILE")]
    images: Vec<PathBuf>,
    /// Subtract this description (repeatable).
    #[arg(long = "minus", value_name = "TEXT")]
    minus: Vec<String>,
    /// Subtract this image (repeatable).
    #[arg(long = "minus-image", value_name = "FILE")]
    minus_images: Vec<PathBuf>,
    /// Only photos inside this folder (repeatable: any of them).
    #[arg(long = "folder", value_name = "DIR")]
    folders: Vec<PathBuf>,
    /// Only photos taken on or after this day (YYYY, YYYY-MM or YYYY-MM-DD;
    /// EXIF capture date, else the file's date).
    #[arg(long, value_name = "DATE")]
    after: Option<Day>,
    /// Only photos taken before this day.
    #[arg(long, value_name = "DATE")]
    before: Option<Day>,
    /// Only these formats (jpeg, png, webp, gif, bmp, tiff; repeatable).
    #[arg(long = "type", value_name = "FORMAT")]
    formats: Vec<String>,
    /// What to look for.
    query: Option<String>,
}

pub fn run(args: Args) -> Result<Outcome> {
    let (library, clip) = args.common.searching_library()?;
    let mut positive: Vec<Term> = args.query.into_iter().map(Term::Text).collect();
    positive.extend(args.images.into_iter().map(Term::Image));
    let mut negative: Vec<Term> = args.minus.into_iter().map(Term::Text).collect();
    negative.extend(args.minus_images.into_iter().map(Term::Image));
    let filter =
        Filter { folders: args.folders, after: args.after, before: args.before, formats: args.formats };
    let query = Query { positive, negative, filter, limit: args.limit };
    let results = library.search(&clip, &query)?;
    if args.json {
        println!("{}", serde_json::to_string(&results.hits)?);
    } else {
        print_results(&results);
    }
    Ok(if results.good_match == Some(false) { Outcome::SomeFailed } else { Outcome::Done })
}

fn print_results(results: &Results) {
    match results.good_match {
        Some(false) => println!("no good match (best scores are like the rest of the library's)"),
        None => println!("too few photos to judge the matches; scores shown"),
        Some(true) => {}
    }
    for hit in &results.hits {
        let mark = if hit.good == Some(true) { "*" } else { " " };
        let offline = if hit.offline { "  (offline)" } else { "" };
        println!("{mark} {:.3}  {}{offline}", hit.score, hit.path.display());
    }
}
