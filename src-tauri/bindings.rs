//! The page's TypeScript types for what crosses IPC, generated from the Rust types (ts-rs, which
//! reads their serde attributes) into `ui/src/bindings/payloads.ts`: command results and
//! errors, event payloads, and the requests the page sends. `ui/src/ipc.ts` re-exports them.
//!
//! The test below fails when that file is not what the Rust types generate now; to regenerate:
//!
//! ```sh
//! PHOTOFIND_WRITE_BINDINGS=1 cargo test -p photofind-desktop bindings
//! ```

use std::path::Path;

use ts_rs::{Config, TS};

use crate::backend::{ModelInfo, ModelProgress, ModelState, RootInfo, RootState};
use crate::commands::{
    Answer, AppInfo, FailureInfo, FailurePage, FilterRequest, ImageRef, SearchRequest, StagedImage,
    TimelineRequest,
};
use crate::details::PhotoDetails;
use crate::duplicates::DuplicatesPage;
use crate::error::{CommandError, ErrorKind};
use crate::service::{IndexState, IndexStatus, Switching};
use crate::settings::Settings;
use crate::words::ReadBy;
use photofind_core::duplicates::{Group, Member};
use photofind_core::live::models::ModelEntry;
use photofind_core::query::language::TextMode;
use photofind_core::query::{Chip, ChipFilter, Parsed};
use photofind_core::search::{Hit, Results};
use photofind_core::timeline::{MonthCount, PhotoCard, TimelinePage};
use photofind_core::trash::Trashed;

/// Where the page reads them, from the repository root.
const FILE: &str = "ui/src/bindings/payloads.ts";

const HEADER: &str = "\
// Generated from the Rust types by src-tauri/bindings.rs (ts-rs). Do not edit: change the Rust
// types, then run `PHOTOFIND_WRITE_BINDINGS=1 cargo test -p photofind-desktop bindings`.
";

/// The two JSON forms of `photofind_core::paths::serde`, a serializer and not a type, so it is
/// written here; path fields are marked `#[ts(type = \"PathJson\")]`.
const PATH_JSON: &str = "
/**
 * A file's path as Rust sends it: a string when the name is UTF-8, else its exact bytes
 * (standard base64) with a form to show, where the bytes that are not UTF-8 are U+FFFD (Linux
 * names are any bytes: Latin-1 archives, Shift-JIS cameras). Whatever Rust sent is sent back
 * as it came, so the file is found byte for byte. `lib/paths.ts` shows and compares them.
 */
export type PathJson = string | { bytes: string; lossy: string };
";

/// The file's contents as the Rust types generate them now.
fn generated() -> String {
    // JSON numbers: the page reads a u64 count as a number, not a bigint.
    let cfg = Config::new().with_large_int("number");
    let mut out = format!("{HEADER}{PATH_JSON}");
    let decls = [
        decl::<AppInfo>,
        decl::<CommandError>,
        decl::<ErrorKind>,
        decl::<SearchRequest>,
        decl::<FilterRequest>,
        decl::<Answer>,
        decl::<Parsed>,
        decl::<Chip>,
        decl::<ChipFilter>,
        decl::<TimelineRequest>,
        decl::<TimelinePage>,
        decl::<MonthCount>,
        decl::<PhotoCard>,
        decl::<ImageRef>,
        decl::<StagedImage>,
        decl::<Results>,
        decl::<Hit>,
        decl::<RootInfo>,
        decl::<RootState>,
        decl::<IndexStatus>,
        decl::<IndexState>,
        decl::<Switching>,
        decl::<FailurePage>,
        decl::<FailureInfo>,
        decl::<ModelInfo>,
        decl::<ModelState>,
        decl::<ModelProgress>,
        decl::<PhotoDetails>,
        decl::<Settings>,
        decl::<ModelEntry>,
        decl::<DuplicatesPage>,
        decl::<Group>,
        decl::<Member>,
        decl::<Trashed>,
        decl::<ReadBy>,
        decl::<TextMode>,
    ];
    for decl in decls {
        out.push('\n');
        out.push_str(&decl(&cfg));
    }
    // ts-rs ends a line that opens a type with a space.
    out.lines().map(|line| format!("{}\n", line.trim_end())).collect()
}

/// `T`'s declaration, with its doc comment, exported.
fn decl<T: TS>(cfg: &Config) -> String {
    format!("{}export {}\n", T::docs().unwrap_or_default(), T::decl(cfg))
}

#[test]
fn the_pages_bindings_are_what_the_rust_types_generate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
    let generated = generated();
    if std::env::var_os("PHOTOFIND_WRITE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).expect("writes the bindings");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    let same = on_disk.lines().zip(generated.lines()).take_while(|(disk, now)| disk == now).count();
    assert!(
        on_disk == generated,
        "{FILE} is stale from line {}: regenerate it with \
         `PHOTOFIND_WRITE_BINDINGS=1 cargo test -p photofind-desktop bindings`",
        same + 1
    );
}
