//! Near pairs among many vectors without comparing them all: random-hyperplane
//! LSH proposes candidate pairs, the exact cosine confirms each, and the
//! confirmed pairs make star-shaped groups (see [`super::stars`]).
//!
//! A hyperplane through the origin puts two vectors at angle θ on the same
//! side with probability 1 − θ/π. A table's key is the sides of [`BITS`]
//! hyperplanes: a pair at cosine 0.95 shares it with p ≈ 0.35, and shares a
//! key in at least one of [`TABLES`] tables with p ≈ 0.999 (0.98 at cosine
//! 0.9). The hyperplanes come from a fixed seed, so a library always groups
//! the same way.
//!
//! Vectors are hashed centred (the set's mean direction subtracted): photo
//! vectors share a large common component, and hyperplanes through the
//! origin would split them unevenly. Centring lowers a near pair's cosine
//! (the cosines above are the centred ones) but a random pair's more, so
//! fewer pairs are checked for the same chance of finding a near one.
//!
//! A bucket of more than [`CAP`] vectors is split by more of its table's
//! hyperplanes, up to [`MAX_BITS`] (a dense region costs some recall there,
//! not time); one still larger (identical or near-identical vectors) is
//! chained: each member is compared with the bucket's first [`LEADERS`]
//! only, which joins a pile of copies in one group at a linear cost. So one
//! table checks at most n × (CAP − 1) / 2 pairs. On 100,000 clustered 512-d
//! vectors that is 17.4M checks in all, ~2.2 s on 2 cores, and 99.9 % of
//! copies planted at cosine 0.96–0.99 are found (1M vectors: 129M checks,
//! ~27 s, 95 %).
//!
//! Up to [`EXACT_UP_TO`] vectors every pair is compared instead: as quick,
//! and exact.

use super::PhotoId;
use super::stars::stars;

/// Hash tables (independent chances for a near pair to meet).
pub const TABLES: usize = 16;
/// Hyperplanes in a table's key.
pub const BITS: u32 = 10;
/// Hyperplanes a table has for splitting a crowded bucket further.
pub const MAX_BITS: u32 = 16;
/// Buckets up to this size have every pair compared.
pub const CAP: usize = 32;
/// Members a crowded bucket's others are compared with (see the module docs).
pub const LEADERS: usize = 4;
/// Sets up to this size are compared pair by pair, without LSH.
pub const EXACT_UP_TO: usize = 1_000;
/// The hyperplanes' seed.
const SEED: u64 = 0x0d0b_1e5e_ed5e_ed00;
/// Identical vectors are at cosine 1 even when rounding says 0.9999999.
const ROUNDING: f32 = 1e-6;

/// Groups and what finding them cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    /// Photos whose vectors are near one centre photo's at the threshold,
    /// two or more per group, each by id, groups by their first id.
    pub groups: Vec<Vec<PhotoId>>,
    /// Each group's centre: the photo every other of the group is near.
    pub centres: Vec<PhotoId>,
    /// Pairs whose exact cosine was computed.
    pub checks: u64,
}

/// The groups of photos whose vectors are near: a pair is near at cosine ≥
/// `threshold`, and a group is a centre photo with the photos near it.
pub fn group_vectors(vectors: &[(PhotoId, Vec<f32>)], threshold: f32) -> Vec<Vec<PhotoId>> {
    grouping(vectors, threshold).groups
}

/// [`group_vectors`], with the number of pairs it checked.
pub fn grouping(vectors: &[(PhotoId, Vec<f32>)], threshold: f32) -> Grouping {
    let set = Set::new(vectors, threshold);
    let found = if vectors.len() <= EXACT_UP_TO { set.every_pair() } else { set.hashed_pairs() };
    let (groups, centres) = components(vectors, &found.pairs);
    Grouping { groups, centres, checks: found.checks }
}

/// The vectors with their inverse norms, and the threshold.
struct Set<'a> {
    vectors: &'a [(PhotoId, Vec<f32>)],
    scale: Vec<f32>,
    threshold: f32,
}

/// Near pairs (by index) and the checks that found them.
#[derive(Default)]
struct Found {
    pairs: Vec<(u32, u32)>,
    checks: u64,
}

impl Set<'_> {
    fn new(vectors: &[(PhotoId, Vec<f32>)], threshold: f32) -> Set<'_> {
        let scale = vectors
            .iter()
            .map(|(_, v)| {
                let norm = dot(v, v).sqrt();
                if norm > 0.0 { 1.0 / norm } else { 0.0 }
            })
            .collect();
        Set { vectors, scale, threshold: threshold - ROUNDING }
    }

    fn check(&self, a: u32, b: u32, found: &mut Found) {
        let (i, j) = (a as usize, b as usize);
        found.checks += 1;
        let cosine = dot(&self.vectors[i].1, &self.vectors[j].1) * self.scale[i] * self.scale[j];
        if cosine >= self.threshold {
            found.pairs.push((a, b));
        }
    }

    fn every_pair(&self) -> Found {
        let mut found = Found::default();
        let n = self.vectors.len() as u32;
        for a in 0..n {
            for b in a + 1..n {
                self.check(a, b, &mut found);
            }
        }
        found
    }

    fn hashed_pairs(&self) -> Found {
        let planes = Planes::new(self);
        let keys = planes.keys(self);
        let tables = in_parallel(TABLES, |t| Table { set: self, keys: &keys, table: t }.pairs());
        let mut all = Found::default();
        for found in tables {
            all.pairs.extend(found.pairs);
            all.checks += found.checks;
        }
        all
    }

    /// The mean of the unit vectors.
    fn mean(&self) -> Vec<f32> {
        let dims = self.vectors.first().map_or(0, |(_, v)| v.len());
        let mut mean = vec![0f32; dims];
        for ((_, v), s) in self.vectors.iter().zip(&self.scale) {
            mean.iter_mut().zip(v).for_each(|(m, x)| *m += x * s);
        }
        let n = self.vectors.len().max(1) as f32;
        mean.iter_mut().for_each(|m| *m /= n);
        mean
    }
}

/// Every table's hyperplanes, as normals and their offsets from the mean.
struct Planes {
    normals: Vec<Vec<f32>>,
    /// normal · mean: a vector's side of the centred plane is
    /// normal · v / |v| > offset.
    offsets: Vec<f32>,
}

impl Planes {
    fn new(set: &Set) -> Self {
        let mean = set.mean();
        let mut rng = Gaussian(SEED);
        let normals: Vec<Vec<f32>> =
            (0..TABLES * MAX_BITS as usize).map(|_| (0..mean.len()).map(|_| rng.next()).collect()).collect();
        let offsets = normals.iter().map(|n| dot(n, &mean)).collect();
        Self { normals, offsets }
    }

    /// Each vector's key in each table, the first hyperplane the highest bit.
    fn keys(&self, set: &Set) -> Vec<[u16; TABLES]> {
        const CHUNK: usize = 4096;
        let chunks = set.vectors.len().div_ceil(CHUNK);
        let parts = in_parallel(chunks, |c| {
            let range = c * CHUNK..((c + 1) * CHUNK).min(set.vectors.len());
            range.map(|i| self.key(&set.vectors[i].1, set.scale[i])).collect::<Vec<_>>()
        });
        parts.concat()
    }

    fn key(&self, vector: &[f32], scale: f32) -> [u16; TABLES] {
        let mut key = [0u16; TABLES];
        let planes = self.normals.chunks(MAX_BITS as usize).zip(self.offsets.chunks(MAX_BITS as usize));
        for (slot, (normals, offsets)) in key.iter_mut().zip(planes) {
            for (normal, offset) in normals.iter().zip(offsets) {
                *slot = *slot << 1 | u16::from(dot(normal, vector) * scale > *offset);
            }
        }
        key
    }
}

/// One table's buckets.
struct Table<'a> {
    set: &'a Set<'a>,
    keys: &'a [[u16; TABLES]],
    table: usize,
}

impl Table<'_> {
    fn pairs(&self) -> Found {
        let mut order: Vec<u32> = (0..self.keys.len() as u32).collect();
        order.sort_unstable_by_key(|&i| (self.keys[i as usize][self.table], i));
        let mut found = Found::default();
        self.visit(&order, BITS, &mut found);
        found
    }

    /// The bucket of `i` under the first `bits` hyperplanes.
    fn bucket(&self, i: u32, bits: u32) -> u16 {
        self.keys[i as usize][self.table] >> (MAX_BITS - bits)
    }

    /// Checks the pairs of each bucket among `members` (sorted by key).
    fn visit(&self, members: &[u32], bits: u32, found: &mut Found) {
        for bucket in members.chunk_by(|&a, &b| self.bucket(a, bits) == self.bucket(b, bits)) {
            if bucket.len() <= CAP {
                for (k, &a) in bucket.iter().enumerate() {
                    bucket[k + 1..].iter().for_each(|&b| self.set.check(a, b, found));
                }
            } else if bits < MAX_BITS {
                self.visit(bucket, bits + 1, found);
            } else {
                for (k, &b) in bucket.iter().enumerate().skip(1) {
                    bucket[..k.min(LEADERS)].iter().for_each(|&a| self.set.check(a, b, found));
                }
            }
        }
    }
}

/// The connected components of two or more vectors, by photo id.
/// The star groups of `pairs` by photo id, ordered by their first id, and their centres.
fn components(vectors: &[(PhotoId, Vec<f32>)], pairs: &[(u32, u32)]) -> (Vec<Vec<PhotoId>>, Vec<PhotoId>) {
    let mut groups: Vec<(Vec<PhotoId>, PhotoId)> = stars(vectors.len(), pairs)
        .into_iter()
        .map(|(centre, members)| {
            let mut ids: Vec<PhotoId> = members.into_iter().map(|i| vectors[i].0).collect();
            ids.sort_unstable();
            (ids, vectors[centre].0)
        })
        .collect();
    groups.sort_unstable();
    groups.into_iter().unzip()
}

/// Σ a·b, in eight lanes the compiler turns into SIMD.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let ((a_lanes, a_rest), (b_lanes, b_rest)) = (a.as_chunks::<8>(), b.as_chunks::<8>());
    let mut sums = [0f32; 8];
    for (x, y) in a_lanes.iter().zip(b_lanes) {
        for ((sum, x), y) in sums.iter_mut().zip(x).zip(y) {
            *sum += x * y;
        }
    }
    sums.iter().sum::<f32>() + a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum::<f32>()
}

/// Standard normal numbers from a seed (splitmix64, Box–Muller): the same
/// hyperplanes on every machine, without a dependency's stream to pin.
struct Gaussian(u64);

impl Gaussian {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn next(&mut self) -> f32 {
        let (u, v) = (1.0 - self.uniform(), self.uniform());
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    }
}

/// `work(0..jobs)` on the machine's cores, results in job order.
fn in_parallel<T: Send>(jobs: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(jobs).max(1);
    let work = &work;
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                scope.spawn(move || (w..jobs).step_by(threads).map(|j| (j, work(j))).collect::<Vec<_>>())
            })
            .collect();
        // A worker panics only on a bug: pass the panic on.
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    done.sort_unstable_by_key(|(j, _)| *j);
    done.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` random unit vectors of `dims` values.
    fn random(n: usize, dims: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = Gaussian(seed);
        (0..n).map(|_| unit((0..dims).map(|_| rng.next()).collect())).collect()
    }

    fn unit(v: Vec<f32>) -> Vec<f32> {
        let norm = dot(&v, &v).sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }

    /// A unit vector at `cosine` to unit `v`, towards unit `other`.
    fn at(v: &[f32], other: &[f32], cosine: f32) -> Vec<f32> {
        let along = dot(other, v);
        let across = unit(other.iter().zip(v).map(|(o, x)| o - along * x).collect());
        let sine = (1.0 - cosine * cosine).sqrt();
        v.iter().zip(&across).map(|(x, y)| cosine * x + sine * y).collect()
    }

    fn ids(vectors: Vec<Vec<f32>>) -> Vec<(PhotoId, Vec<f32>)> {
        vectors.into_iter().enumerate().map(|(i, v)| (i as PhotoId, v)).collect()
    }

    /// Grouping through the tables, whatever the set's size.
    fn hashed(vectors: &[(PhotoId, Vec<f32>)], threshold: f32) -> Grouping {
        let found = Set::new(vectors, threshold).hashed_pairs();
        let (groups, centres) = components(vectors, &found.pairs);
        Grouping { groups, centres, checks: found.checks }
    }

    #[test]
    fn the_tables_find_a_pair_at_cosine_097_among_thousands() {
        let mut vectors = random(2_000, 48, 7);
        let twin = at(&vectors[1234], &vectors[0], 0.97);
        vectors.push(twin);
        let found = hashed(&ids(vectors), 0.95);
        assert_eq!(found.groups, vec![vec![1234, 2_000]]);
        assert!(
            found.checks < 2_000 * 2_000 / 2 / 10,
            "{} checks: barely better than every pair",
            found.checks
        );
    }

    #[test]
    fn orthogonal_vectors_never_group() {
        let basis: Vec<Vec<f32>> = (0..300)
            .map(|i| {
                let mut v = vec![0.0; 300];
                v[i] = 1.0;
                v
            })
            .collect();
        let found = hashed(&ids(basis.clone()), 0.5);
        assert!(found.groups.is_empty(), "{:?}", found.groups);
        assert!(group_vectors(&ids(basis[..50].to_vec()), 0.01).is_empty());
    }

    #[test]
    fn a_photo_near_two_others_groups_them_all() {
        // a–b and b–c at cosine 0.966, a–c only at 0.866: b is the centre of all three.
        let angle = |deg: f32| vec![deg.to_radians().cos(), deg.to_radians().sin(), 0.0];
        let vectors = vec![(10, angle(0.0)), (20, angle(15.0)), (30, angle(30.0)), (40, vec![0.0, 0.0, 1.0])];
        assert_eq!(group_vectors(&vectors, 0.94), vec![vec![10, 20, 30]]);
    }

    #[test]
    fn a_long_chain_of_near_pairs_does_not_become_one_group() {
        // 15° apart each: the ends at 75° (cosine 0.26) are not duplicates.
        let angle = |deg: f32| vec![deg.to_radians().cos(), deg.to_radians().sin()];
        let vectors: Vec<_> = (0..6).map(|i| (i, angle(15.0 * i as f32))).collect();
        assert_eq!(group_vectors(&vectors, 0.94), vec![vec![0, 1, 2], vec![3, 4, 5]]);
    }

    #[test]
    fn every_pair_and_the_tables_agree_on_planted_copies() {
        let mut vectors = random(600, 64, 11);
        for (i, cosine) in [(3, 0.99), (300, 0.98), (598, 0.96)] {
            let copy = at(&vectors[i], &vectors[i + 1], cosine);
            vectors.push(copy);
        }
        let vectors = ids(vectors);
        let expected = vec![vec![3, 600], vec![300, 601], vec![598, 602]];
        assert_eq!(Set::new(&vectors, 0.95).every_pair().pairs.len(), 3);
        assert_eq!(hashed(&vectors, 0.95).groups, expected);
        assert_eq!(group_vectors(&vectors, 0.95), expected);
    }

    #[test]
    fn a_bucket_of_ten_thousand_identical_vectors_is_chained_not_paired() {
        let mut vectors = vec![random(1, 16, 3).remove(0); 10_000];
        vectors.extend(random(1_000, 16, 5));
        let found = grouping(&ids(vectors), 0.99);
        assert_eq!(found.groups.len(), 1, "one pile");
        assert_eq!(found.groups[0], (0..10_000).collect::<Vec<PhotoId>>());
        // Every pair would be 50M checks in each table; chained, a table checks
        // each copy against LEADERS of them, and the rest at most CAP pairs each.
        let bound = (TABLES * (10_000 * LEADERS + 1_000 * CAP / 2)) as u64;
        assert!(found.checks <= bound, "{} checks, more than {bound}", found.checks);
    }

    #[test]
    fn the_hyperplanes_are_the_same_every_time() {
        let (mut a, mut b) = (Gaussian(SEED), Gaussian(SEED));
        let first: Vec<f32> = (0..8).map(|_| a.next()).collect();
        assert_eq!(first, (0..8).map(|_| b.next()).collect::<Vec<_>>());
        let mean = first.iter().sum::<f32>() / 8.0;
        assert!(mean.abs() < 1.5 && first.iter().any(|x| *x < 0.0) && first.iter().any(|x| *x > 0.0));
    }
}
