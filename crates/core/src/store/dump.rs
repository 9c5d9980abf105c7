//! A readable dump of the whole store, for snapshot tests (arroy's style).

use std::fmt;

use arroy::Reader;
use arroy::distances::Cosine;

use super::{META_KEY, Store};

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rtxn = self.env.read_txn().map_err(|_| fmt::Error)?;
        let meta = self.meta.get(&rtxn, META_KEY).map_err(|_| fmt::Error)?.ok_or(fmt::Error)?;
        writeln!(f, "schema {}, next id {}", meta.schema, meta.next_id)?;
        for (model, (index, dims)) in &meta.models {
            writeln!(f, "model {model:?}: index {index}, {dims} dims")?;
        }
        for entry in self.photos.iter(&rtxn).map_err(|_| fmt::Error)? {
            let (id, photo) = entry.map_err(|_| fmt::Error)?;
            let (w, h) = photo.dimensions;
            writeln!(f, "photo {id}: {}… {} bytes {w}x{h} {:?}", &photo.hash[..12], photo.size, photo.paths)?;
        }
        for entry in self.paths.iter(&rtxn).map_err(|_| fmt::Error)? {
            let (path, e) = entry.map_err(|_| fmt::Error)?;
            let modified = e.modified.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            writeln!(
                f,
                "path {:?} -> {} ({} bytes, mtime {modified})",
                String::from_utf8_lossy(path),
                e.id,
                e.size
            )?;
        }
        match Reader::<Cosine>::open(&rtxn, self.index, self.vectors) {
            Ok(reader) => {
                writeln!(f, "vectors (index {}): {} items", self.index, reader.n_items())?;
                for id in reader.item_ids() {
                    let vector = reader.item_vector(&rtxn, id).map_err(|_| fmt::Error)?.ok_or(fmt::Error)?;
                    let shown: Vec<String> = vector.iter().map(|v| format!("{v:.4}")).collect();
                    writeln!(f, "  {id}: [{}]", shown.join(", "))?;
                }
            }
            Err(_) => writeln!(f, "vectors (index {}): not built", self.index)?,
        }
        Ok(())
    }
}
