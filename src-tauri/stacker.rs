//! Keeps the library's near-duplicate groups up to date in the background, so
//! searches and timeline pages stack them without waiting for a grouping: the
//! first grouping a few seconds after launch, then, after the index moves
//! (this app's service or `photofind watch` committing), the photos added
//! and removed since, at most every [`EVERY`] while photos keep coming.

use std::sync::Arc;
use std::time::Duration;

use photofind_core::store::ModelKey;
use tauri::{AppHandle, Emitter};

use crate::backend::Backend;

/// How often the index is looked at (a header read, no transaction).
const LOOK: Duration = Duration::from_secs(2);
/// The longest the groups lag the index while photos keep being committed.
pub const EVERY: Duration = Duration::from_secs(20);
/// The wait before the first grouping, so launch and the first page go first.
const FIRST_AFTER: Duration = Duration::from_secs(3);

/// Runs forever on its own thread.
pub fn run(backend: &Arc<Backend>, app: &AppHandle) {
    if !backend.stacking() {
        return;
    }
    std::thread::sleep(FIRST_AFTER);
    let mut last_look = None;
    loop {
        let generation = backend.library().store().generation();
        // Quiet: nothing committed since the last look.
        let quiet = last_look == Some(generation);
        last_look = Some(generation);
        if let Some(model) = backend.clip().ok().map(|clip| ModelKey::of(clip.as_ref())) {
            let library = backend.library();
            let due = library
                .stacks(&model)
                .is_none_or(|stacks| stacks.generation != generation && (quiet || stacks.age() >= EVERY));
            if due {
                let before = library.stacks(&model).map(|s| s.stacks().to_vec());
                match library.refresh_stacks(&model) {
                    Ok(stacks) if before.as_deref() != Some(stacks.stacks()) => {
                        let _ = app.emit("library-changed", ());
                    }
                    Ok(_) => {}
                    Err(err) => eprintln!("photofind: cannot group near duplicates: {err}"),
                }
            }
        }
        std::thread::sleep(LOOK);
    }
}
