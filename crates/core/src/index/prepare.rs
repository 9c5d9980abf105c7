//! The workers' stage: read a file once (a regular file, within the size
//! limit, within the decode-memory budget the workers share), hash it,
//! and decode and prepare it for the model only when its content has no
//! vector yet; then the model's stage, which embeds batches.

use crossbeam_channel::{Receiver, Sender};

use super::{Msg, Target};
use crate::photo::{self, DecodeBudget};
use crate::scan::Found;
use crate::store::{Change, Embedded, Failure, ModelKey};
use crate::{Embedder, ImageInput};

/// A photo prepared for the model.
pub(super) struct Prepared {
    found: Found,
    hash: [u8; 32],
    dimensions: (u32, u32),
    format: String,
    captured: Option<String>,
    input: ImageInput,
}

/// What the workers share besides the channels.
#[derive(Clone, Copy)]
pub(super) struct Reading<'a> {
    pub target: Target<'a>,
    pub embedder: &'a dyn Embedder,
    /// Files above this many bytes are not read.
    pub max_file_bytes: u64,
    pub budget: &'a DecodeBudget,
}

pub(super) fn prepare_photos(
    reading: Reading<'_>,
    halted: &dyn Fn() -> bool,
    work: Receiver<Found>,
    prep: Sender<Prepared>,
    msgs: Sender<Msg>,
) {
    for found in work {
        if halted() {
            continue; // drain, so the scanner never blocks
        }
        let sent = match prepare(reading, found) {
            Ok(Ready::Prepared(p)) => prep.send(*p).is_ok(),
            Ok(Ready::Change(change)) => msgs.send(Msg::Change(change)).is_ok(),
            Err(err) => msgs.send(Msg::Change(Change::Failed(*err))).is_ok(),
        };
        if !sent {
            return;
        }
    }
}

enum Ready {
    Prepared(Box<Prepared>),
    Change(Change),
}

/// Reads a file once: hashes it, and decodes and prepares it only when its
/// content has no vector yet.
fn prepare(reading: Reading<'_>, found: Found) -> Result<Ready, Box<Failure>> {
    let fail = |reason: String| {
        Box::new(Failure {
            path: found.path.clone(),
            size: Some(found.size),
            modified: Some(found.modified),
            reason,
        })
    };
    // The file's bytes count against the budget while they are read and
    // hashed; the decode then reserves what its pixels will take.
    let reserved = reading.budget.reserve(found.size.min(reading.max_file_bytes));
    let bytes = photo::read(&found.path, reading.max_file_bytes).map_err(|e| fail(e.reason()))?;
    let hash = photo::content_hash(&bytes);
    let Target { store, model } = reading.target;
    let known = store.id_of(&hash).and_then(|id| id.map_or(Ok(false), |id| store.has_vector(model, id)));
    if known.map_err(|e| fail(e.to_string()))? {
        let Found { path, size, modified } = found;
        return Ok(Ready::Change(Change::Known { hash, path, size, modified }));
    }
    drop(reserved);
    let embedder = reading.embedder;
    let peak = photo::decode_peak(&bytes, embedder.input_short_side());
    let _decoding = reading.budget.reserve(bytes.len() as u64 + peak);
    let decoded = photo::decode_for_model(&found.path, &bytes, embedder.input_short_side())
        .map_err(|e| fail(e.reason()))?;
    let input = embedder.prepare_image(&decoded.image).map_err(|e| fail(e.to_string()))?;
    let format = photo::format_name(&bytes).unwrap_or("unknown").to_owned();
    Ok(Ready::Prepared(Box::new(Prepared {
        dimensions: decoded.dimensions,
        captured: photo::capture_time(&bytes),
        format,
        hash,
        input,
        found,
    })))
}

pub(super) fn embed_batches(
    embedder: &dyn Embedder,
    batch_size: usize,
    halted: &dyn Fn() -> bool,
    prep: Receiver<Prepared>,
    msgs: Sender<Msg>,
) {
    while let Ok(first) = prep.recv() {
        if halted() {
            continue;
        }
        let mut batch = vec![first];
        while batch.len() < batch_size {
            match prep.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        if !send_embedded(embedder, batch, &msgs) {
            return;
        }
    }
}

/// Embeds one batch and hands the photos to the writer; false when the
/// writer is gone.
fn send_embedded(embedder: &dyn Embedder, batch: Vec<Prepared>, msgs: &Sender<Msg>) -> bool {
    let inputs: Vec<ImageInput> = batch.iter().map(|p| p.input.clone()).collect();
    let vectors = match embedder.embed_images(&inputs) {
        Ok(vectors) => vectors,
        Err(err) => {
            let _ = msgs.send(Msg::Fatal(err));
            return false;
        }
    };
    for (p, vector) in batch.into_iter().zip(vectors) {
        let embedded = Embedded {
            hash: p.hash,
            path: p.found.path,
            size: p.found.size,
            modified: p.found.modified,
            dimensions: p.dimensions,
            format: p.format,
            captured: p.captured,
            model: ModelKey::of(embedder),
            vector: vector.into_vec(),
        };
        if msgs.send(Msg::Change(Change::Embedded(embedded))).is_err() {
            return false;
        }
    }
    true
}
