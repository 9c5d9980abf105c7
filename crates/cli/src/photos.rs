//! `photofind photos`: the library's photos newest first (the window's
//! timeline), narrowed by the same filters `search` takes: flags, or words
//! ("2019", "from Trips", "type:raw").

use anyhow::Result;

use crate::search::{FilterArgs, print_filters};
use crate::{Common, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Print one JSON object: {"total", "months": [{"month", "count"}], "offset", "photos": [...]}.
    #[arg(long)]
    json: bool,
    /// At most this many photos (1000 at most).
    #[arg(long, default_value_t = 100, value_name = "N")]
    limit: usize,
    /// Skip this many of the newest first.
    #[arg(long, default_value_t = 0, value_name = "N")]
    offset: u64,
    #[command(flatten)]
    filter: FilterArgs,
    /// Filters written in words, as `search` reads them (the rest is ignored).
    words: Option<String>,
}

pub fn run(args: Args) -> Result<Outcome> {
    let library = args.common.reading_library()?;
    let words = args.words.unwrap_or_default();
    let (page, parsed) = library.timeline(&words, args.filter.into(), args.offset, args.limit)?;
    if args.json {
        println!("{}", serde_json::to_string(&page)?);
        return Ok(Outcome::Done);
    }
    print_filters(&parsed);
    if !parsed.text.is_empty() {
        eprintln!("not filters, ignored: {:?} (use `photofind search` to describe photos)", parsed.text);
    }
    for photo in &page.photos {
        let offline = if photo.offline { "  (offline)" } else { "" };
        println!("{}  {}{offline}", photo.taken, photo.path.display());
    }
    let shown = page.offset + page.photos.len() as u64;
    eprintln!("{} of {} photos", page.photos.len(), page.total);
    if shown < page.total {
        eprintln!("more: --offset {shown}");
    }
    Ok(Outcome::Done)
}
