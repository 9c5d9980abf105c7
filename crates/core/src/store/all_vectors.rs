//! Every searchable vector of a model at once, with its photo: for work that
//! looks at the whole library together (near-duplicate groups).

use roaring::RoaringBitmap;

use super::{PhotoId, Result, Store};
use crate::store::ModelKey;

impl Store {
    /// Every photo with a searchable vector under `model` (among
    /// `candidates` when given) and that vector, by photo id, read in one
    /// transaction. Empty when the model has no index yet.
    pub fn vectors_of(
        &self,
        model: &ModelKey,
        candidates: Option<&RoaringBitmap>,
    ) -> Result<Vec<(PhotoId, Vec<f32>)>> {
        let rtxn = self.read_txn()?;
        let Some(reader) = self.model_reader(&rtxn, model)? else { return Ok(Vec::new()) };
        let mut ids = reader.item_ids().clone();
        if let Some(candidates) = candidates {
            ids &= candidates;
        }
        let mut all = Vec::with_capacity(ids.len() as usize);
        for id in &ids {
            if let Some(vector) = reader.item_vector(&rtxn, id)? {
                all.push((id, vector));
            }
        }
        Ok(all)
    }
}

impl Store {
    /// The photos with a searchable vector under `model` (empty when it has
    /// no index yet).
    pub fn vector_ids(&self, model: &ModelKey) -> Result<RoaringBitmap> {
        let rtxn = self.read_txn()?;
        Ok(self.model_reader(&rtxn, model)?.map(|reader| reader.item_ids().clone()).unwrap_or_default())
    }
}
