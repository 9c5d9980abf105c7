//! `photofind watch`: index every root, then keep the index in step with the
//! folders until Ctrl-C (which stops after the current batch commits).
//! Progress goes to stderr (or JSON event lines on stdout with --json).

use std::io::Write;
use std::path::PathBuf;

use std::sync::Arc;

use anyhow::{Context, Result};
use photofind_core::index;
use photofind_core::live::Live;
use photofind_core::service::RootState;
use photofind_core::watch::{self, Event};

use crate::index::View;
use crate::library::{Writable, load};
use crate::{Common, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Print one JSON object per event on stdout: the index events
    /// (progress, failed, committed, removed, root_missing) plus root
    /// (a root's state: watching, scanning, offline, polling), idle and
    /// warning.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    reading: crate::Reading,
    /// Folders to add as roots first; every root of the library is watched.
    folders: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<Outcome> {
    let writable = args.common.writable_library("watch", &args.folders)?;
    let (control, commands) = watch::control();
    ctrlc::set_handler(move || control.stop()).context("cannot catch Ctrl-C")?;
    let mut view = WatchView { json: args.json, index: View::new(args.json) };
    let defaults = watch::Options::default();
    let options = watch::Options { index: args.reading.apply(defaults.index.clone()), ..defaults };
    let Writable { library, writer, choice, clip } = writable;
    let live = Live { library: &library, writer: &writer, choice: &choice, load: &load };
    live.watch(Arc::new(clip), &options, &commands, &mut |event| view.show(event), &mut |_| {})?;
    view.index.say("stopped; everything seen so far is in the index".into());
    Ok(Outcome::Done)
}

struct WatchView {
    json: bool,
    index: View,
}

impl WatchView {
    fn show(&mut self, event: Event) {
        if self.json {
            if let Ok(line) = serde_json::to_string(&event) {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}").and_then(|()| out.flush());
            }
            return;
        }
        match event {
            Event::Index(event) => {
                match &event {
                    index::Event::Committed { paths } => {
                        self.index.say(format!("indexed {} file(s)", paths.len()))
                    }
                    index::Event::Removed { paths } => {
                        self.index.say(format!("{} file(s) gone, left the index", paths.len()))
                    }
                    _ => {}
                }
                self.index.show(&event);
            }
            Event::Root(root) => {
                let what = match root.state {
                    RootState::Watching => "watching",
                    RootState::Scanning => "scanning",
                    RootState::Offline => "not there (unplugged?): its photos stay in the index",
                    RootState::Polling => "cannot be watched: rescanned periodically",
                    RootState::Idle => "idle",
                };
                self.index.say(format!("{}: {what}", root.path.display()));
            }
            Event::Idle { photos } => {
                self.index.say(format!("up to date · {photos} photos; watching for changes (Ctrl-C to stop)"))
            }
            Event::Switched { model } => self.index.note(
                "switched",
                &model,
                &format!("{model} covers the library: search now uses it"),
            ),
            Event::Warning { message } => self.index.say(format!("warning: {message}")),
            Event::Switching { model, vectors, photos } => {
                self.index.say(format!("switching to {model}: {vectors} of {photos} photos embedded"))
            }
        }
    }
}
