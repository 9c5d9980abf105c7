//! `photofind index`: add roots and index them, with a progress bar (or
//! JSON event lines with --json). Ctrl-C stops after committing what was
//! embedded; the next run goes on from there.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use photofind_clip::Clip;
use photofind_core::index::{Event, Options, Progress, Summary};
use photofind_core::live::Live;

use crate::{Common, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Print one JSON object per event on stdout (progress, failed,
    /// committed, removed, root_missing), then a summary object.
    #[arg(long)]
    json: bool,
    /// Photos per commit: fewer means less lost work on a crash, more
    /// means faster indexing.
    #[arg(long, default_value_t = Options::default().commit_every, value_name = "N")]
    commit_every: usize,
    #[command(flatten)]
    reading: crate::Reading,
    /// Folders to add as roots before indexing; with none, every root is indexed.
    folders: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<Outcome> {
    let writable = args.common.writable_library("index", &args.folders)?;
    let live = writable.live();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)).context("cannot catch Ctrl-C")?;
    let options =
        args.reading.apply(Options { commit_every: args.commit_every.max(1), ..Options::default() });
    let mut view = View::new(args.json);
    let summary = live.index(&writable.clip, &options, &cancel, &mut |event| view.show(&event))?;
    view.finish(&summary)?;
    if !summary.cancelled {
        switch(&live, &options, &cancel, args.json)?;
    }
    Ok(if summary.progress.failed > 0 { Outcome::SomeFailed } else { Outcome::Done })
}

/// A model switch under way: the library is embedded with the next model
/// too, which becomes the one in use once it covers the library.
fn switch(live: &Live<'_, Clip>, options: &Options, cancel: &AtomicBool, json: bool) -> Result<()> {
    let view = std::cell::RefCell::new(View::new(json));
    let mut starting = |id: &str| {
        let line = format!("switching to {id}: embedding the library with it too");
        view.borrow().note("switching", id, &line);
    };
    let mut show = |event: Event| view.borrow_mut().show(&event);
    let Some(done) = live.switch(options, cancel, &mut starting, &mut show)? else { return Ok(()) };
    let events = view.into_inner();
    events.finish(&done.summary)?;
    let id = &done.model;
    if done.finished {
        events.note("switched", id, &format!("search now uses {id}"));
    } else {
        let line = format!(
            "{id} covers {} of {} photos; search keeps using the current model until it covers all \
             (run `photofind index` again, or `photofind model use {id} --now`)",
            done.coverage.vectors, done.coverage.photos
        );
        events.note("switching", id, &line);
    }
    Ok(())
}

/// Draws events for a person (a bar on stderr) or a program (JSON lines).
pub struct View {
    json: bool,
    bar: ProgressBar,
}

impl View {
    pub fn new(json: bool) -> Self {
        let bar = if json { ProgressBar::hidden() } else { ProgressBar::new(0) };
        bar.set_draw_target(if json { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() });
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} photos  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { json, bar }
    }

    pub fn show(&mut self, event: &Event) {
        if self.json {
            if let Ok(line) = serde_json::to_string(event) {
                // A closed stdout (a pipe to `head`) must not stop the run.
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}").and_then(|()| out.flush());
            }
            return;
        }
        match event {
            Event::Progress(p) => self.progress(p),
            Event::Failed(f) => self.say(format!("skipped {}: {}", f.path.display(), f.reason)),
            Event::RootMissing { root } => self.say(format!(
                "{} is not there (unplugged?): its photos stay in the index as they were",
                root.display()
            )),
            Event::Committed { .. } | Event::Removed { .. } => {}
        }
    }

    /// A line for a person, or a JSON `{"event": event, "model": model}` line.
    pub fn note(&self, event: &str, model: &str, line: &str) {
        if self.json {
            let _ = writeln!(std::io::stdout(), "{}", serde_json::json!({ "event": event, "model": model }));
        } else {
            self.say(line.to_owned());
        }
    }

    /// A line above the bar; plain stderr when the bar is not drawn (not a terminal).
    pub fn say(&self, line: String) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    fn progress(&self, p: &Progress) {
        self.bar.set_length(p.total);
        self.bar.set_position(p.done);
        let eta = p.eta_seconds.map_or_else(|| "scanning…".to_owned(), |s| format!("ETA {}", duration(s)));
        let name = p.current.as_ref().and_then(|c| c.file_name()).map(|n| n.to_string_lossy().into_owned());
        self.bar.set_message(format!("{:.1}/s  {eta}  {}", p.per_second, name.unwrap_or_default()));
    }

    fn finish(&self, summary: &Summary) -> Result<()> {
        self.bar.finish_and_clear();
        if self.json {
            let line = serde_json::json!({ "event": "summary", "summary": summary });
            let _ = writeln!(std::io::stdout(), "{line}");
            return Ok(());
        }
        let p = &summary.progress;
        eprintln!(
            "{} embedded, {} reused (moved or copied), {} unchanged, {} failed, {} removed in {}{}",
            p.embedded,
            p.reused,
            p.unchanged,
            p.failed,
            summary.removed,
            duration(summary.seconds),
            if summary.cancelled { " (cancelled: run again to go on)" } else { "" }
        );
        if p.failed > 0 {
            eprintln!("see `photofind status --errors` for the files that failed");
        }
        Ok(())
    }
}

fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}
