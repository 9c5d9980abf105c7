//! `photofind embed`: vectors of images or texts, one JSON object a line.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use photofind_clip::Clip;
use photofind_core::{Embedder, ImageInput, photo};
use serde::Serialize;

use crate::{Common, Outcome};

/// How many images go through the model at once.
const BATCH: usize = 16;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Print one JSON object per line, {"path", "vector"} or {"text",
    /// "vector"}, instead of a short summary per input.
    #[arg(long)]
    json: bool,
    /// Embed this text instead of images; may be repeated.
    #[arg(long = "text", value_name = "QUERY", conflicts_with = "images")]
    texts: Vec<String>,
    /// Image files to embed.
    #[arg(value_name = "IMAGE", required_unless_present = "texts")]
    images: Vec<PathBuf>,
}

#[derive(Serialize)]
struct ImageLine<'a> {
    path: &'a Path,
    vector: &'a [f32],
}

#[derive(Serialize)]
struct TextLine<'a> {
    text: &'a str,
    vector: &'a [f32],
}

pub fn run(args: Args) -> Result<Outcome> {
    let clip = args.common.clip()?;
    let mut out = Lines { out: BufWriter::new(std::io::stdout().lock()), json: args.json };
    let outcome = if args.texts.is_empty() {
        embed_images(&clip, &args.images, &mut out)?
    } else {
        embed_texts(&clip, &args.texts, &mut out)?
    };
    out.out.flush()?;
    Ok(outcome)
}

fn embed_texts(clip: &Clip, texts: &[String], out: &mut Lines<impl Write>) -> Result<Outcome> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = clip.embed_texts(&refs)?;
    for (text, vector) in texts.iter().zip(&vectors) {
        out.write(text, &TextLine { text, vector: vector.as_slice() }, vector.as_slice())?;
    }
    Ok(Outcome::Done)
}

/// Embeds in batches; a file that cannot be decoded is reported on stderr
/// and the others still print, in the order given.
fn embed_images(clip: &Clip, paths: &[PathBuf], out: &mut Lines<impl Write>) -> Result<Outcome> {
    let mut failed = false;
    for chunk in paths.chunks(BATCH) {
        let (mut names, mut inputs) = (Vec::new(), Vec::new());
        for path in chunk {
            match prepare(clip, path) {
                Ok(input) => {
                    names.push(path);
                    inputs.push(input);
                }
                Err(err) => {
                    eprintln!("photofind: {err:#}");
                    failed = true;
                }
            }
        }
        let vectors = clip.embed_images(&inputs)?;
        for (path, vector) in names.into_iter().zip(&vectors) {
            out.write(&path.display(), &ImageLine { path, vector: vector.as_slice() }, vector.as_slice())?;
        }
    }
    Ok(if failed { Outcome::SomeFailed } else { Outcome::Done })
}

fn prepare(clip: &Clip, path: &Path) -> Result<ImageInput> {
    let photo = photo::decode(path)?;
    Ok(clip.prepare_image(&photo)?)
}

/// Where results go: JSON lines, or one short line per input for people.
struct Lines<W> {
    out: W,
    json: bool,
}

impl<W: Write> Lines<W> {
    fn write(&mut self, name: &dyn std::fmt::Display, line: &impl Serialize, vector: &[f32]) -> Result<()> {
        if self.json {
            serde_json::to_writer(&mut self.out, line)?;
            writeln!(self.out)?;
        } else {
            let head: Vec<String> = vector.iter().take(4).map(|x| format!("{x:+.4}")).collect();
            writeln!(self.out, "{name}\t{} dims [{}, …]", vector.len(), head.join(", "))?;
        }
        Ok(())
    }
}
