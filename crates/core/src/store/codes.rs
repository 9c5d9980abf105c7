//! Every searchable vector again, quantised to one signed byte per value,
//! so a query can look at the whole library: exact search by a scan.
//!
//! arroy's trees find the nearest photos quickly when the library has
//! structure, but on vectors with little of it (uniformly spread, or a
//! query far from everything) they miss most of the true top 10 (see
//! docs/PERFORMANCE.md). A scan of these codes reads a quarter of the f32
//! vectors' bytes, ranks every photo, and the best few are scored again
//! exactly with their f32 vectors.
//!
//! A code is the vector divided by its largest magnitude, times 127,
//! rounded. Codes live in blocks of [`SLOTS`] consecutive photo ids, one
//! LMDB value per block under `[model index: u16 BE][id / SLOTS: u32 BE]`:
//! `[present: u64 LE][SLOTS × scale: f32 LE][SLOTS × dims × i8]`. A block
//! is one run of contiguous pages, so a scan streams memory at full speed
//! instead of hopping between small LMDB nodes (10× slower here).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use heed::types::Bytes;
use heed::{RoTxn, RwTxn, WithoutTls};
use roaring::RoaringBitmap;

use super::{PhotoId, Result};

pub(crate) type CodeDb = heed::Database<'static, Bytes, Bytes>;

/// Photos per block.
const SLOTS: usize = 64;
/// Bytes of a block before its scales.
const PRESENT: usize = 8;
/// Bytes of a block before its values.
const HEADER: usize = PRESENT + 4 * SLOTS;

/// The key of the block holding `id`'s code in index `index`.
fn block_key(index: u16, id: PhotoId) -> [u8; 6] {
    let mut key = [0u8; 6];
    key[..2].copy_from_slice(&index.to_be_bytes());
    key[2..].copy_from_slice(&(id / SLOTS as PhotoId).to_be_bytes());
    key
}

/// One block, read in place.
struct Block<'a> {
    bytes: &'a [u8],
    dims: usize,
}

impl<'a> Block<'a> {
    /// `bytes` as a block of `dims`-value codes; `None` when its size says
    /// it holds another length.
    fn new(bytes: &'a [u8], dims: usize) -> Option<Self> {
        (bytes.len() == HEADER + SLOTS * dims).then_some(Self { bytes, dims })
    }

    fn present(&self) -> u64 {
        present(self.bytes)
    }

    fn scale(&self, slot: usize) -> f32 {
        let at = PRESENT + 4 * slot;
        f32::from_le_bytes(self.bytes[at..at + 4].try_into().unwrap_or_default())
    }

    fn values(&self, slot: usize) -> &'a [u8] {
        let at = HEADER + slot * self.dims;
        &self.bytes[at..at + self.dims]
    }
}

/// The bitmap of the slots a block's `bytes` fill.
fn present(bytes: &[u8]) -> u64 {
    bytes.get(..PRESENT).and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes)
}

fn slot_of(id: PhotoId) -> usize {
    id as usize % SLOTS
}

/// `vector` as `scale × values`, values in -127..=127.
fn quantise(vector: &[f32]) -> (f32, Vec<i8>) {
    let max = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if !(max > 0.0 && max.is_finite()) {
        return (0.0, vec![0; vector.len()]);
    }
    let scale = max / 127.0;
    let values = vector.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8).collect();
    (scale, values)
}

/// Stores `vector` as `id`'s code in index `index`.
pub(crate) fn put(db: CodeDb, wtxn: &mut RwTxn, index: u16, id: PhotoId, vector: &[f32]) -> Result<()> {
    let key = block_key(index, id);
    let dims = vector.len();
    let mut block = match db.get(wtxn, &key)? {
        Some(bytes) if Block::new(bytes, dims).is_some() => bytes.to_vec(),
        _ => vec![0; HEADER + SLOTS * dims],
    };
    let slot = slot_of(id);
    let (scale, values) = quantise(vector);
    let present = present(&block) | 1 << slot;
    block[..PRESENT].copy_from_slice(&present.to_le_bytes());
    block[PRESENT + 4 * slot..PRESENT + 4 * slot + 4].copy_from_slice(&scale.to_le_bytes());
    let at = HEADER + slot * dims;
    for (byte, value) in block[at..at + dims].iter_mut().zip(values) {
        *byte = value as u8;
    }
    db.put(wtxn, &key, &block)?;
    Ok(())
}

/// Deletes `id`'s code in index `index`.
pub(crate) fn delete(db: CodeDb, wtxn: &mut RwTxn, index: u16, id: PhotoId) -> Result<()> {
    let key = block_key(index, id);
    let Some(bytes) = db.get(wtxn, &key)? else { return Ok(()) };
    let mut block = bytes.to_vec();
    let present = present(&block) & !(1 << slot_of(id));
    if present == 0 || block.len() < PRESENT {
        db.delete(wtxn, &key)?;
    } else {
        block[..PRESENT].copy_from_slice(&present.to_le_bytes());
        db.put(wtxn, &key, &block)?;
    }
    Ok(())
}

/// Deletes every code of index `index`.
pub(crate) fn clear(db: CodeDb, wtxn: &mut RwTxn, index: u16) -> Result<()> {
    let mut keys = Vec::new();
    for entry in db.prefix_iter(wtxn, &index.to_be_bytes())? {
        keys.push(entry?.0.to_vec());
    }
    for key in keys {
        db.delete(wtxn, &key)?;
    }
    Ok(())
}

/// How many codes index `index` holds.
pub(crate) fn count(db: CodeDb, rtxn: &RoTxn<WithoutTls>, index: u16) -> Result<u64> {
    let mut n = 0;
    for entry in db.prefix_iter(rtxn, &index.to_be_bytes())? {
        n += u64::from(present(entry?.1).count_ones());
    }
    Ok(n)
}

/// Whether `id` has a code in index `index`.
pub(crate) fn contains(db: CodeDb, rtxn: &RoTxn<WithoutTls>, index: u16, id: PhotoId) -> Result<bool> {
    let block = db.get(rtxn, &block_key(index, id))?;
    Ok(block.is_some_and(|bytes| present(bytes) & 1 << slot_of(id) != 0))
}

/// What a scan found: the best codes, and the approximate scores of a
/// sample of every photo it scored (for the background a search judges
/// its hits against, without reading those photos' vectors again).
pub(crate) struct Scanned {
    /// The `n` best, best first, with their approximate cosine.
    pub best: Vec<(PhotoId, f32)>,
    /// The approximate cosine of every photo whose id is a multiple of the
    /// sampling stride, in no order.
    pub sample: Vec<f32>,
}

/// The `n` photos of index `index` whose codes score highest against
/// `query` (among `candidates` when given), best first, with their
/// approximate cosine; and about `sample` photos' scores, spread over the
/// ids scanned (none when 0).
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan(
    db: CodeDb,
    rtxn: &RoTxn<WithoutTls>,
    index: u16,
    query: &[f32],
    n: usize,
    sample: usize,
    candidates: Option<&RoaringBitmap>,
    total: u64,
) -> Result<Scanned> {
    let blocks = blocks(db, rtxn, index, candidates, total)?;
    let (q_scale, q) = quantise(query);
    let keep = |id| candidates.is_none_or(|c| c.contains(id));
    let scanned = candidates.map_or(total, RoaringBitmap::len);
    // 0: no sample.
    let stride = match sample {
        0 => 0,
        _ => PhotoId::try_from(scanned / sample as u64).unwrap_or(PhotoId::MAX).max(1),
    };
    let score = |part: &[(PhotoId, &[u8])]| {
        let mut best = Best::new(n);
        for &(first, bytes) in part {
            let Some(block) = Block::new(bytes, q.len()) else { continue };
            let mut present = block.present();
            while present != 0 {
                let slot = present.trailing_zeros() as usize;
                present &= present - 1;
                let id = first + slot as PhotoId;
                if keep(id) {
                    let cosine = q_scale * block.scale(slot) * dot(block.values(slot), &q) as f32;
                    best.offer(id, cosine);
                    if stride != 0 && id.is_multiple_of(stride) {
                        best.sample.push(cosine);
                    }
                }
            }
        }
        best
    };
    let threads = threads_for(blocks.len());
    let mut best = if threads == 1 {
        score(&blocks)
    } else {
        std::thread::scope(|scope| {
            let parts: Vec<_> = blocks
                .chunks(blocks.len().div_ceil(threads))
                .map(|part| scope.spawn(|| score(part)))
                .collect();
            let mut all = Best::new(n);
            for part in parts {
                // A scoring thread cannot panic short of a bug; lose its part then.
                all.merge(part.join().unwrap_or_else(|_| Best::new(n)));
            }
            all
        })
    };
    let sample = std::mem::take(&mut best.sample);
    Ok(Scanned { best: best.into_sorted(), sample })
}

/// The blocks a scan reads, in place, with their first photo id: every
/// block of the index, or only those holding a small filter's members.
fn blocks<'t>(
    db: CodeDb,
    rtxn: &'t RoTxn<WithoutTls>,
    index: u16,
    candidates: Option<&RoaringBitmap>,
    total: u64,
) -> Result<Vec<(PhotoId, &'t [u8])>> {
    let mut blocks = Vec::new();
    match candidates {
        Some(ids) if ids.len().saturating_mul(8) < total => {
            let mut last = None;
            for id in ids {
                let key = block_key(index, id);
                if last != Some(key) {
                    last = Some(key);
                    if let Some(bytes) = db.get(rtxn, &key)? {
                        blocks.push((first_of(&key), bytes));
                    }
                }
            }
        }
        _ => {
            for entry in db.prefix_iter(rtxn, &index.to_be_bytes())? {
                let (key, bytes) = entry?;
                blocks.push((first_of(key), bytes));
            }
        }
    }
    Ok(blocks)
}

/// Threads for scanning `blocks` blocks: one per core, each with at
/// least [`BLOCKS_PER_THREAD`] blocks (a thread costs ~50 µs to start).
fn threads_for(blocks: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (blocks / BLOCKS_PER_THREAD).clamp(1, cores.min(8))
}

/// See [`threads_for`]: 256 blocks are ~16k photos, ~1 ms of scanning.
const BLOCKS_PER_THREAD: usize = 256;

/// The first photo id of the block under `key`.
fn first_of(key: &[u8]) -> PhotoId {
    let block = key.get(2..6).and_then(|b| b.try_into().ok()).map_or(0, PhotoId::from_be_bytes);
    block.saturating_mul(SLOTS as PhotoId)
}

/// Σ a·b over signed bytes (`a` stored as u8), with AVX2 where the CPU
/// has it (twice the speed of the baseline SSE2 here).
fn dot(a: &[u8], b: &[i8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `dot_avx2` only needs AVX2, which the CPU was just found
        // to have.
        #[allow(unsafe_code)]
        return unsafe { dot_avx2(a, b) };
    }
    dot_blocks(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_avx2(a: &[u8], b: &[i8]) -> i32 {
    dot_blocks(a, b)
}

/// The dot product in blocks the compiler turns into SIMD multiply-adds
/// (widening to i16 pairs: no overflow for values in -127..=127).
#[inline(always)]
fn dot_blocks(a: &[u8], b: &[i8]) -> i32 {
    const BLOCK: usize = 32;
    let mut sum = 0i32;
    let (a_blocks, b_blocks) = (a.chunks_exact(BLOCK), b.chunks_exact(BLOCK));
    let (a_rest, b_rest) = (a_blocks.remainder(), b_blocks.remainder());
    for (x, y) in a_blocks.zip(b_blocks) {
        let mut block = 0i32;
        for i in 0..BLOCK {
            block += i32::from(x[i] as i8) * i32::from(y[i]);
        }
        sum += block;
    }
    for (&x, &y) in a_rest.iter().zip(b_rest) {
        sum += i32::from(x as i8) * i32::from(y);
    }
    sum
}

/// The `n` best (id, score) pairs offered so far.
struct Best {
    n: usize,
    heap: BinaryHeap<Reverse<(Score, PhotoId)>>,
    /// The sampled photos' scores.
    sample: Vec<f32>,
}

impl Best {
    fn new(n: usize) -> Self {
        Self { n, heap: BinaryHeap::with_capacity(n + 1), sample: Vec::new() }
    }

    fn offer(&mut self, id: PhotoId, score: f32) {
        if self.n == 0 {
            return;
        }
        if self.heap.len() == self.n {
            match self.heap.peek() {
                Some(Reverse((worst, _))) if worst.0 >= score => return,
                _ => {
                    self.heap.pop();
                }
            }
        }
        self.heap.push(Reverse((Score(score), id)));
    }

    fn merge(&mut self, other: Best) {
        self.sample.extend(other.sample);
        for Reverse((score, id)) in other.heap {
            self.offer(id, score.0);
        }
    }

    fn into_sorted(self) -> Vec<(PhotoId, f32)> {
        // `Reverse` sorts ascending as descending scores.
        self.heap.into_sorted_vec().into_iter().map(|Reverse((s, id))| (id, s.0)).collect()
    }
}

/// An f32 with a total order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Score(f32);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Change, Embedded, META_KEY, ModelKey, SCHEMA_VERSION, Store};
    use super::*;

    /// A photo embedded under `model`, named after its hash (distinct hashes, distinct paths).
    fn embedded(model: &ModelKey, hash: [u8; 32], vector: Vec<f32>) -> Change {
        Change::Embedded(Embedded {
            hash,
            path: format!("/p/{}.jpg", hash.iter().map(|b| format!("{b:02x}")).collect::<String>()).into(),
            size: 1,
            modified: std::time::UNIX_EPOCH,
            dimensions: (1, 1),
            format: "jpeg".into(),
            captured: None,
            model: model.clone(),
            vector,
        })
    }

    #[test]
    fn a_scan_samples_the_background_it_scores_spread_over_the_candidates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let model = ModelKey { id: "tiny".into(), dims: 8 };
        // Unit vectors, as embedders give: a code's score is then the cosine.
        let vector = |n: u32| -> Vec<f32> {
            let v: Vec<f32> = (0..8).map(|d| ((n * 7 + d * 13) % 17) as f32 - 8.0 + 0.5).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        };
        let photos: Vec<Change> = (0..3000u32)
            .map(|n| embedded(&model, *blake3::hash(&n.to_le_bytes()).as_bytes(), vector(n)))
            .collect();
        let store = Store::open(dir.path(), Some(&model)).expect("opens");
        store.commit(&photos, 1).expect("commits");
        let query = vector(5);
        let (hits, sample) = store.nearest_with_sample(&model, &query, 3, 300, None).expect("searches");
        let sample = sample.expect("scanned, so sampled");
        assert_eq!(hits.len(), 3);
        assert!((290..=310).contains(&sample.len()), "{} sampled", sample.len());
        // The codes' scores are the cosines, to quantisation.
        let exact = |n: u32| {
            let v = vector(n);
            let dot: f32 = v.iter().zip(&query).map(|(a, b)| a * b).sum();
            dot / (v.iter().map(|x| x * x).sum::<f32>().sqrt()
                * query.iter().map(|x| x * x).sum::<f32>().sqrt())
        };
        let mut sampled = sample.clone();
        sampled.sort_by(f32::total_cmp);
        let mut all: Vec<f32> = (0..3000).map(exact).collect();
        all.sort_by(f32::total_cmp);
        let (median, true_median) = (sampled[sampled.len() / 2], all[all.len() / 2]);
        assert!((median - true_median).abs() < 0.05, "sampled median {median}, all {true_median}");
        let few: RoaringBitmap = (0..100).collect();
        let (_, sample) = store.nearest_with_sample(&model, &query, 3, 300, Some(&few)).expect("searches");
        assert!(sample.expect("scanned").len() <= 100, "only candidates are sampled");
        let (_, none) = store.nearest_with_sample(&model, &query, 3, 0, None).expect("searches");
        assert_eq!(none.expect("scanned"), Vec::<f32>::new());
    }

    #[test]
    fn a_schema_1_store_gains_a_code_for_every_vector_when_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let model = ModelKey { id: "tiny".into(), dims: 4 };
        let photo = |n: u8, vector: [f32; 4]| embedded(&model, [n; 32], vector.to_vec());
        {
            let store = Store::open(dir.path(), Some(&model)).expect("opens");
            store
                .commit(&[photo(1, [1.0, 0.0, 0.0, 0.0]), photo(2, [0.0, 1.0, 0.0, 0.0])], 1)
                .expect("commits");
            // Make it what schema 1 wrote: no codes.
            let mut wtxn = store.env.write_txn().expect("txn");
            clear(store.codes, &mut wtxn, 0).expect("clears");
            let mut meta = store.meta.get(&wtxn, META_KEY).expect("reads").expect("meta");
            meta.schema = 1;
            store.meta.put(&mut wtxn, META_KEY, &meta).expect("writes");
            wtxn.commit().expect("commits");
            assert_eq!(count(store.codes, &store.env.read_txn().expect("txn"), 0).expect("counts"), 0);
        }
        let store = Store::open(dir.path(), None).expect("upgrades");
        let rtxn = store.env.read_txn().expect("txn");
        assert_eq!(count(store.codes, &rtxn, 0).expect("counts"), 2);
        assert_eq!(store.meta.get(&rtxn, META_KEY).expect("reads").expect("meta").schema, SCHEMA_VERSION);
        let hits = store.nearest(&model, &[0.0, 1.0, 0.0, 0.0], 1, None).expect("searches");
        assert_eq!(hits[0].id, 1);
    }

    #[test]
    fn a_code_scores_close_to_the_exact_cosine() {
        let a: Vec<f32> = (0..512).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
        let b: Vec<f32> = (0..512).map(|i| ((i * 53 % 97) as f32 - 48.0) / 48.0).collect();
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let (a, b): (Vec<f32>, Vec<f32>) =
            (a.iter().map(|x| x / norm(&a)).collect(), b.iter().map(|x| x / norm(&b)).collect());
        let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let ((a_scale, a), (b_scale, b)) = (quantise(&a), quantise(&b));
        let a: Vec<u8> = a.iter().map(|&x| x as u8).collect();
        let approx = a_scale * b_scale * dot(&a, &b) as f32;
        assert!((approx - exact).abs() < 2e-3, "{approx} vs {exact}");
    }

    #[test]
    fn extreme_values_survive_quantisation() {
        assert_eq!(quantise(&[0.0, 0.0]), (0.0, vec![0, 0]));
        assert_eq!(quantise(&[f32::NAN, 1.0]).1.len(), 2);
        let (scale, values) = quantise(&[-2.0, 1.0, 0.0]);
        assert_eq!(values, vec![-127, 64, 0]);
        assert!((scale * 127.0 - 2.0).abs() < 1e-6);
    }

    #[test]
    fn dot_matches_the_plain_sum_at_every_length() {
        for len in [0i32, 1, 31, 32, 33, 100, 512] {
            let a: Vec<i8> = (0..len).map(|i| (i * 7 % 255 - 127) as i8).collect();
            let b: Vec<i8> = (0..len).map(|i| (i * 11 % 255 - 127) as i8).collect();
            let plain: i32 = a.iter().zip(&b).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum();
            let a: Vec<u8> = a.iter().map(|&x| x as u8).collect();
            assert_eq!(dot(&a, &b), plain, "length {len}");
        }
    }

    #[test]
    fn best_keeps_the_top_n_in_order() {
        let mut best = Best::new(3);
        for (id, s) in [(1, 0.1), (2, 0.9), (3, -0.5), (4, 0.5), (5, 0.7), (6, 0.2)] {
            best.offer(id, s);
        }
        assert_eq!(best.into_sorted(), vec![(2, 0.9), (5, 0.7), (4, 0.5)]);
        let mut none = Best::new(0);
        none.offer(1, 1.0);
        assert!(none.into_sorted().is_empty());
    }
}
