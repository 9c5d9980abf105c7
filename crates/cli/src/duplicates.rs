//! `photofind duplicates`: groups of near-duplicate photos (burst shots,
//! re-saved, resized or cropped copies, the same bytes at several paths),
//! the one to keep first (see `photofind_core::duplicates`). Exit 0 with
//! groups, 1 with none. Nothing is moved or deleted.

use std::path::PathBuf;

use anyhow::Result;
use indicatif::HumanBytes;
use photofind_core::Library;
use photofind_core::duplicates::{self, Group, Options, THRESHOLD};
use photofind_core::store::ModelKey;

use crate::{Common, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Print one JSON array of groups, largest first: {"photos": [{"path",
    /// "width", "height", "size", "captured", "keep", "id"}, ...]}, one
    /// entry per path, the suggested keeper first (the only one with
    /// "keep": true).
    #[arg(long)]
    json: bool,
    /// Only photos with a path inside this folder (repeatable: any of
    /// them); a photo's other paths are listed too.
    #[arg(long = "folder", value_name = "DIR")]
    folders: Vec<PathBuf>,
    /// Cosine similarity at and above which two photos are near
    /// duplicates, in (0, 1]: higher finds only closer copies.
    #[arg(long, value_name = "T", default_value_t = THRESHOLD, value_parser = parse_threshold)]
    threshold: f32,
}

fn parse_threshold(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(t) if t > 0.0 && t <= 1.0 => Ok(t),
        _ => Err(format!("{text:?} is not a cosine in (0, 1], e.g. {THRESHOLD}")),
    }
}

pub fn run(args: Args) -> Result<Outcome> {
    // The vectors are the model's: its key says which to read.
    let (library, clip) = args.common.searching_library()?;
    let model = ModelKey::of(&clip);
    drop(clip);
    note_coverage(&library, &model)?;
    let options = Options { threshold: args.threshold, folders: args.folders };
    let groups = duplicates::groups(library.store(), &model, &options)?;
    if args.json {
        println!("{}", serde_json::to_string(&groups)?);
    } else {
        print_groups(&groups);
    }
    Ok(if groups.is_empty() { Outcome::SomeFailed } else { Outcome::Done })
}

/// Says on stderr when photos have no vector under the model yet (they can
/// only group as the same bytes).
fn note_coverage(library: &Library, model: &ModelKey) -> Result<()> {
    let coverage = library.coverage(&model.id)?;
    if !coverage.complete() {
        eprintln!(
            "note: {} of {} photos have vectors under {}; `photofind index` embeds the rest",
            coverage.vectors, coverage.photos, model.id
        );
    }
    Ok(())
}

fn print_groups(groups: &[Group]) {
    if groups.is_empty() {
        println!("no duplicates found");
        return;
    }
    for group in groups {
        for member in &group.photos {
            let mark = if member.keep { "keep" } else { "    " };
            let size = HumanBytes(member.size).to_string();
            let taken = member.captured.as_ref().map_or_else(String::new, |when| format!("  (taken {when})"));
            println!("{mark}  {:>11}  {size:>10}  {}{taken}", dims(member), member.path.display());
        }
        let others = group.photos.len() - 1;
        println!("      removing the other {others} frees {}\n", HumanBytes(group.freed()));
    }
    let others: usize = groups.iter().map(|g| g.photos.len() - 1).sum();
    let freed: u64 = groups.iter().map(Group::freed).sum();
    let s = if groups.len() == 1 { "" } else { "s" };
    println!("{} group{s}: removing the {others} others frees {}", groups.len(), HumanBytes(freed));
}

fn dims(member: &duplicates::Member) -> String {
    format!("{}x{}", member.width, member.height)
}
