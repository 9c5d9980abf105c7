//! Nearest-neighbour search over one model's vectors: an exact scan of
//! the quantised codes (rescored in f32) up to `SCAN_LIMIT`, arroy's trees above.

use arroy::Reader;
use arroy::distances::Cosine;
use heed::{RoTxn, WithoutTls};
use roaring::RoaringBitmap;

use super::{Error, ModelKey, Neighbour, Result, SCAN_LIMIT, Search, Store, codes, search_k};

impl Store {
    /// The `k` photos nearest to `query`, best first, among `candidates`
    /// when given (a filter applied inside the search, not after it).
    /// Exact up to [`SCAN_LIMIT`] vectors, arroy's trees above.
    pub fn nearest(
        &self,
        model: &ModelKey,
        query: &[f32],
        k: usize,
        candidates: Option<&RoaringBitmap>,
    ) -> Result<Vec<Neighbour>> {
        self.nearest_by(Search::Product, model, query, k, candidates)
    }

    /// Like [`Store::nearest`], searching the way `search` says: for
    /// measuring one way against the other.
    pub fn nearest_by(
        &self,
        search: Search,
        model: &ModelKey,
        query: &[f32],
        k: usize,
        candidates: Option<&RoaringBitmap>,
    ) -> Result<Vec<Neighbour>> {
        Ok(self.find(search, model, query, k, 0, candidates)?.0)
    }

    /// [`Store::nearest`], with the query's approximate scores over about
    /// `sample` photos spread over the candidates when the search scanned
    /// them all (the background a search judges its hits against, read in
    /// the same pass); `None` when arroy's trees answered.
    pub fn nearest_with_sample(
        &self,
        model: &ModelKey,
        query: &[f32],
        k: usize,
        sample: usize,
        candidates: Option<&RoaringBitmap>,
    ) -> Result<(Vec<Neighbour>, Option<Vec<f32>>)> {
        self.find(Search::Product, model, query, k, sample, candidates)
    }

    fn find(
        &self,
        search: Search,
        model: &ModelKey,
        query: &[f32],
        k: usize,
        sample: usize,
        candidates: Option<&RoaringBitmap>,
    ) -> Result<(Vec<Neighbour>, Option<Vec<f32>>)> {
        let rtxn = self.read_txn()?;
        let Some((index, reader)) = self.searchable(&rtxn, model, query)? else {
            return Ok((Vec::new(), Some(Vec::new())));
        };
        let search = match search {
            Search::Product if reader.n_items() <= SCAN_LIMIT => Search::Scan,
            Search::Product => Search::Trees(search_k(k)),
            other => other,
        };
        match search {
            Search::Trees(depth) => Ok((Self::trees(&rtxn, &reader, query, k, candidates, depth)?, None)),
            _ => {
                let (hits, scores) = self.scan(&rtxn, index, &reader, query, k, sample, candidates)?;
                Ok((hits, Some(scores)))
            }
        }
    }

    /// `model`'s index number and built index, after checking the query's
    /// length; `None` when it has no vectors yet.
    fn searchable<'t>(
        &self,
        rtxn: &'t RoTxn<WithoutTls>,
        model: &ModelKey,
        query: &[f32],
    ) -> Result<Option<(u16, Reader<'t, Cosine>)>> {
        if query.len() != model.dims {
            return Err(Error::QueryDims { expected: model.dims, received: query.len() });
        }
        let Some(index) = self.index_of(rtxn, model)? else { return Ok(None) };
        Ok(self.reader(rtxn, index)?.map(|reader| (index, reader)))
    }

    fn trees(
        rtxn: &RoTxn<WithoutTls>,
        reader: &Reader<Cosine>,
        query: &[f32],
        k: usize,
        candidates: Option<&RoaringBitmap>,
        search_k: usize,
    ) -> Result<Vec<Neighbour>> {
        let mut search = reader.nns(k);
        search.search_k(std::num::NonZeroUsize::new(search_k).unwrap_or(std::num::NonZeroUsize::MIN));
        if let Some(candidates) = candidates {
            search.candidates(candidates);
        }
        let hits = search.by_vector(rtxn, query)?;
        // arroy's cosine distance is (1 - cos) / 2.
        Ok(hits.into_iter().map(|(id, distance)| Neighbour { id, score: 1.0 - 2.0 * distance }).collect())
    }

    /// Exact search: every code scored, the best `RESCORED(k)` scored again
    /// with their f32 vectors (so quantisation changes no score and, in
    /// practice, no rank).
    #[allow(clippy::too_many_arguments)]
    fn scan(
        &self,
        rtxn: &RoTxn<WithoutTls>,
        index: u16,
        reader: &Reader<Cosine>,
        query: &[f32],
        k: usize,
        sample: usize,
        candidates: Option<&RoaringBitmap>,
    ) -> Result<(Vec<Neighbour>, Vec<f32>)> {
        let scanned =
            codes::scan(self.codes, rtxn, index, query, rescored(k), sample, candidates, reader.n_items())?;
        let shortlist = scanned.best;
        let query_norm = norm(query);
        let mut hits = Vec::with_capacity(shortlist.len());
        for (id, _) in shortlist {
            let Some(vector) = reader.item_vector(rtxn, id)? else { continue };
            let dot: f32 = vector.iter().zip(query).map(|(a, b)| a * b).sum();
            let score = match query_norm * norm(&vector) {
                n if n > 0.0 => dot / n,
                _ => 0.0,
            };
            hits.push(Neighbour { id, score });
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(k);
        Ok((hits, scanned.sample))
    }
}

/// How many of the scan's best codes are rescored exactly for the top `k`:
/// quantisation moves a 512-d cosine by ~0.001, far less than the gap
/// this margin covers.
fn rescored(k: usize) -> usize {
    2 * k + 64
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}
