//! `photofind roots add|remove|list`.

use std::path::PathBuf;

use anyhow::Result;

use crate::{Common, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Add folders (indexed by the next `photofind index`).
    Add {
        /// Folders to add.
        #[arg(required = true)]
        folders: Vec<PathBuf>,
    },
    /// Remove folders and the photos only they hold.
    Remove {
        /// Folders to remove.
        #[arg(required = true)]
        folders: Vec<PathBuf>,
    },
    /// List the roots, one a line (a JSON array with --json).
    List {
        /// Print a JSON array of paths.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args) -> Result<Outcome> {
    let library = match args.action {
        Action::List { .. } => args.common.reading_library()?,
        _ => args.common.library()?,
    };
    match args.action {
        Action::Add { folders } => {
            for folder in folders {
                let (root, new) = library.add_root(&folder)?;
                let what = if new { "added" } else { "already a root" };
                eprintln!("{}: {what}", root.display());
            }
        }
        Action::Remove { folders } => {
            for folder in folders {
                let removed = library.remove_root(&folder)?;
                eprintln!("{}: removed, with {removed} files from the index", folder.display());
            }
        }
        Action::List { json } => {
            let roots = library.roots()?;
            if json {
                let roots: Vec<_> = roots.into_iter().map(photofind_core::paths::JsonPath).collect();
                println!("{}", serde_json::to_string(&roots)?);
            } else {
                roots.iter().for_each(|r| println!("{}", r.display()));
            }
        }
    }
    Ok(Outcome::Done)
}
