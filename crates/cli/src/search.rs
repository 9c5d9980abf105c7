//! `photofind search`: text, image, or both, with negative terms and
//! filters. Every hit shows its score; "no good match" is said when the
//! best hits cannot be told from the library's background (see
//! `photofind_core::search`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use photofind_clip::TextModel;
use photofind_core::live::text;
use photofind_core::query::Parsed;
use photofind_core::query::language::{TextMode, pick_text_model};
use photofind_core::search::{Day, Filter, Results, Term};
use photofind_core::{Ask, Embedder, WithTexts};

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
    #[command(flatten)]
    filter: FilterArgs,
    /// Which model reads the words: `auto` sends a query in another language
    /// (letters English does not use, or common words of another language)
    /// through an installed multilingual text model bound to the image model
    /// (`photofind model fetch clip-vit-b-32-multilingual-v1`), and says so on
    /// stderr; `always` sends every query there; `off` never.
    #[arg(long, default_value = "auto", value_name = "auto|always|off")]
    text_model: TextMode,
    /// A text-only model's directory to read the words with, instead of the
    /// installed ones (as --model pins the image model).
    #[arg(long, env = "PHOTOFIND_TEXT_MODEL", value_name = "DIR")]
    text_model_dir: Option<PathBuf>,
    /// What to look for. Filters may be written in it: a year or month the
    /// library has photos of ("beach 2019", "snow in January 2021"), a range
    /// ("2019-2021", "before 2015", "since 2018"), a folder ("kids from
    /// Trips"), `-word` to subtract, `type:raw`, `folder:NAME`,
    /// `after:DATE`, `before:DATE`; "quoted words" are never read as filters.
    query: Option<String>,
}

/// The filters `search` and `photos` take, as flags.
#[derive(clap::Args)]
pub struct FilterArgs {
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
    /// Only these formats (jpeg, png, webp, gif, bmp, tiff, heif, avif, raw;
    /// repeatable: any of them).
    #[arg(long = "type", value_name = "FORMAT")]
    formats: Vec<String>,
}

impl From<FilterArgs> for Filter {
    fn from(args: FilterArgs) -> Self {
        Filter { folders: args.folders, after: args.after, before: args.before, formats: args.formats }
    }
}

pub fn run(args: Args) -> Result<Outcome> {
    let (library, clip) = args.common.searching_library()?;
    let words = args.query.clone().unwrap_or_default();
    let texts = text::text_models(args.common.choice()?.models(), clip.model_id(), args.text_model_dir)?;
    let ids: Vec<String> = texts.iter().map(|t| t.id.clone()).collect();
    // The words the model reads: the query's and the subtracted ones (`-word`s are in `words`).
    let read = format!("{words} {}", args.minus.join(" "));
    let pick = pick_text_model(args.text_model, read.trim(), &ids);
    let ask = Ask {
        words,
        images: args.images.into_iter().map(Term::Image).collect(),
        minus: args.minus,
        minus_images: args.minus_images.into_iter().map(Term::Image).collect(),
        filter: args.filter.into(),
        limit: args.limit,
    };
    let (query, parsed) = library.query(ask)?;
    if query.positive.is_empty() && !parsed.chips.is_empty() {
        print_filters(&parsed);
        anyhow::bail!(
            "the query is only filters: add a description or an --image, or list the photos they keep \
             with `photofind photos {:?}`",
            words_of(&parsed)
        );
    }
    let text_model = match texts.iter().find(|t| pick.model.as_deref() == Some(t.id.as_str())) {
        Some(chosen) => {
            let model = TextModel::load(&chosen.dir)
                .with_context(|| format!("cannot load the text model in {}", chosen.dir.display()))?;
            eprintln!("words read by {}: {}", chosen.id, pick.reason);
            Some(model)
        }
        None => {
            if pick.reason.contains("photofind model fetch") {
                eprintln!("note: {}", pick.reason);
            }
            None
        }
    };
    let results = match &text_model {
        Some(texts) => library.search(&WithTexts::new(&clip, texts)?, &query)?,
        None => library.search(&clip, &query)?,
    };
    if args.json {
        println!("{}", serde_json::to_string(&results.hits)?);
    } else {
        print_filters(&parsed);
        print_results(&results);
    }
    Ok(if results.good_match == Some(false) { Outcome::SomeFailed } else { Outcome::Done })
}

/// The words of the chips, as they can be given again.
fn words_of(parsed: &Parsed) -> String {
    parsed.chips.iter().map(|c| c.label.as_str()).collect::<Vec<_>>().join(" ")
}

/// The filters read out of the words, on stderr (a note, not data), so a surprise is visible.
pub fn print_filters(parsed: &Parsed) {
    if !parsed.chips.is_empty() {
        let labels: Vec<&str> = parsed.chips.iter().map(|c| c.label.as_str()).collect();
        eprintln!("filters: {}  (\"quote\" words to search for them instead)", labels.join(", "));
    }
}

fn print_results(results: &Results) {
    match results.good_match {
        Some(false) => println!("no good match (best scores are like the rest of the library's)"),
        None => println!("too few photos to judge the matches; scores shown"),
        Some(true) => {}
    }
    for hit in &results.hits {
        let mark = if hit.good == Some(true) { "*" } else { " " };
        let offline = if hit.photo.offline { "  (offline)" } else { "" };
        println!("{mark} {:.3}  {}{offline}", hit.score, hit.photo.path.display());
    }
}
