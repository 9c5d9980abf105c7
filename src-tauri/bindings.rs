//! The page's TypeScript types for what crosses IPC, generated from the Rust types (ts-rs, which
//! reads their serde attributes) into `ui/src/bindings/payloads.ts` and `library.ts`: command results and
//! errors, event payloads, and the requests the page sends. `ui/src/ipc.ts` re-exports them.
//!
//! The test below fails when a file is not what the Rust types generate now; to regenerate:
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

/// Where the page reads them, from the repository root: what searching and browsing take
/// and give, and the rest of the library (folders, indexing, models, duplicates).
const FILES: [&str; 2] = ["ui/src/bindings/payloads.ts", "ui/src/bindings/library.ts"];

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

type Decl = fn(&Config) -> String;

/// Each file's declarations, in the order written.
fn groups() -> [Vec<Decl>; 2] {
    [
        vec![
            decl::<AppInfo>,
            decl::<CommandError>,
            decl::<ErrorKind>,
            decl::<SearchRequest>,
            decl::<FilterRequest>,
            decl::<Answer>,
            decl::<ReadBy>,
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
            decl::<PhotoDetails>,
        ],
        vec![
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
            decl::<Settings>,
            decl::<ModelEntry>,
            decl::<TextMode>,
            decl::<DuplicatesPage>,
            decl::<Group>,
            decl::<Member>,
            decl::<Trashed>,
        ],
    ]
}

/// The files' contents as the Rust types generate them now, by [`FILES`]' order.
fn generated() -> Vec<String> {
    // JSON numbers: the page reads a u64 count as a number, not a bigint.
    let cfg = Config::new().with_large_int("number");
    let bodies: Vec<String> = groups()
        .iter()
        .enumerate()
        .map(|(i, decls)| {
            let mut body = if i == 0 { PATH_JSON.to_owned() } else { String::new() };
            for decl in decls {
                body.push('\n');
                body.push_str(&decl(&cfg));
            }
            body
        })
        .collect();
    let names: Vec<Vec<String>> = bodies.iter().map(|body| exported(body)).collect();
    bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut out = HEADER.to_owned();
            for (j, theirs) in names.iter().enumerate().filter(|(j, _)| *j != i) {
                let used: Vec<&str> =
                    theirs.iter().map(String::as_str).filter(|name| mentions(body, name)).collect();
                if !used.is_empty() {
                    let module = Path::new(FILES[j]).file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                    out.push_str(&format!("\nimport type {{ {} }} from \"./{module}\";\n", used.join(", ")));
                }
            }
            out.push_str(body);
            // ts-rs ends a line that opens a type with a space.
            out.lines().map(|line| format!("{}\n", line.trim_end())).collect()
        })
        .collect()
}

/// The type names `body` exports.
fn exported(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|line| line.strip_prefix("export type "))
        .filter_map(|rest| rest.split(|c: char| !c.is_alphanumeric() && c != '_').next())
        .map(str::to_owned)
        .collect()
}

/// Whether `body` uses the type `name` (as a whole word).
fn mentions(body: &str, name: &str) -> bool {
    body.split(|c: char| !c.is_alphanumeric() && c != '_').any(|word| word == name)
}

/// `T`'s declaration, with its doc comment, exported.
fn decl<T: TS>(cfg: &Config) -> String {
    format!("{}export {}\n", T::docs().unwrap_or_default(), T::decl(cfg))
}

#[test]
fn the_pages_bindings_are_what_the_rust_types_generate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, generated) in FILES.iter().zip(generated()) {
        let path = root.join(file);
        if std::env::var_os("PHOTOFIND_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).expect("writes the bindings");
            continue;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        let same = on_disk.lines().zip(generated.lines()).take_while(|(disk, now)| disk == now).count();
        assert!(
            on_disk == generated,
            "{file} is stale from line {}: regenerate it with \
             `PHOTOFIND_WRITE_BINDINGS=1 cargo test -p photofind-desktop bindings`",
            same + 1
        );
    }
}

#[test]
fn each_type_is_declared_once_and_library_ts_imports_what_it_uses() {
    let files = generated();
    let names: Vec<Vec<String>> = files.iter().map(|f| exported(f)).collect();
    let all: Vec<&String> = names.iter().flatten().collect();
    let unique: std::collections::HashSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), unique.len(), "a type is declared in two files");
    assert!(names.iter().all(|n| !n.is_empty()));
    assert!(files[1].contains("import type { PathJson"), "library.ts takes PathJson from payloads.ts");
}
