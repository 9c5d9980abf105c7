//! A model switch's backlog: the next model embeds the library between
//! changes, and yields (after committing) as soon as a change or a command
//! arrives.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::Event;
use crate::Embedder;
use crate::index::{self, Scope};
use crate::store::{ModelKey, Store};

/// How often, at most, a switch's progress is reported between commits.
const REPORT_EVERY: Duration = Duration::from_secs(1);

/// How a fill ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Filled {
    /// Something waited: the rest comes after it.
    Cut,
    /// Every present root is embedded, yet photos (on an offline root) lack
    /// a vector: nothing to do until the library changes.
    Short,
    /// The next model's index covers the library: switch to this id.
    Covered(String),
}

/// Embeds `next`'s backlog over `roots` until done or until `yield_now`
/// says something waits.
pub(super) fn fill(
    store: &Store,
    next: &dyn Embedder,
    roots: &[PathBuf],
    options: &index::Options,
    yield_now: &(dyn Fn() -> bool + Sync),
    on_event: &mut dyn FnMut(Event),
) -> Result<Filled, index::Error> {
    let key = ModelKey::of(next);
    let mut report = |store: &Store| -> Result<bool, index::Error> {
        let coverage = store.coverage(&key)?;
        on_event(Event::Switching {
            model: key.id.clone(),
            vectors: coverage.vectors,
            photos: coverage.photos,
        });
        Ok(coverage.complete())
    };
    let mut last = Instant::now();
    let mut progress = |event: index::Event| {
        if matches!(event, index::Event::Committed { .. }) || last.elapsed() >= REPORT_EVERY {
            last = Instant::now();
            let _ = report(store);
        }
    };
    let summary = index::run_scope(store, next, Scope::Roots(roots), options, yield_now, &mut progress)?;
    let complete = report(store)?;
    Ok(match () {
        _ if summary.cancelled => Filled::Cut,
        _ if complete => Filled::Covered(key.id),
        _ => Filled::Short,
    })
}
