//! A readable dump of the whole store, for snapshot tests (arroy's style).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{META_KEY, Store, codes};

fn secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn no<E>(_: E) -> fmt::Error {
    fmt::Error
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rtxn = self.read_txn().map_err(no)?;
        let meta = self.meta.get(&rtxn, META_KEY).map_err(no)?.ok_or(fmt::Error)?;
        writeln!(f, "schema {}, next id {}, {} embeddings", meta.schema, meta.next_id, meta.embeddings)?;
        for entry in self.roots.iter(&rtxn).map_err(no)? {
            writeln!(f, "root {:?}", entry.map_err(no)?.1.path)?;
        }
        for entry in self.photos.iter(&rtxn).map_err(no)? {
            let (id, p) = entry.map_err(no)?;
            let (w, h) = p.dimensions;
            let captured = p.captured.as_deref().unwrap_or("-");
            writeln!(
                f,
                "photo {id}: {}… {} {w}x{h} {} bytes, captured {captured}, mtime {} {:?}",
                &p.hash[..12],
                p.format,
                p.size,
                secs(p.modified),
                p.paths
            )?;
        }
        for entry in self.paths.iter(&rtxn).map_err(no)? {
            let (key, p) = entry.map_err(no)?;
            let name = p
                .long
                .as_ref()
                .map_or_else(|| String::from_utf8_lossy(key).into_owned(), |long| long.display().to_string());
            writeln!(f, "path {name:?} -> {} ({} bytes, mtime {})", p.id, p.size, secs(p.modified))?;
        }
        for entry in self.errors.iter(&rtxn).map_err(no)? {
            let (_, failure) = entry.map_err(no)?;
            writeln!(f, "error {:?}: {}", failure.path, failure.reason)?;
        }
        for entry in self.orphans.iter(&rtxn).map_err(no)? {
            let (id, orphan) = entry.map_err(no)?;
            let kept: Vec<u16> = orphan.vectors.iter().map(|(index, _)| *index).collect();
            writeln!(f, "orphan {id}: vectors kept for indexes {kept:?}")?;
        }
        for (model, &(index, dims)) in &meta.models {
            write!(f, "model {model:?}: index {index}, {dims} dims, ")?;
            match self.reader(&rtxn, index).map_err(no)? {
                None => writeln!(f, "not built")?,
                Some(reader) => {
                    let codes = codes::count(self.codes, &rtxn, index).map_err(no)?;
                    writeln!(f, "{} vectors, {codes} codes", reader.n_items())?;
                    for id in reader.item_ids() {
                        let vector = reader.item_vector(&rtxn, id).map_err(no)?.ok_or(fmt::Error)?;
                        let shown: Vec<String> = vector.iter().map(|v| format!("{v:.4}")).collect();
                        let coded = codes::contains(self.codes, &rtxn, index, id).map_err(no)?;
                        writeln!(
                            f,
                            "  {id}: [{}]{}",
                            shown.join(", "),
                            if coded { "" } else { " (no code)" }
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}
