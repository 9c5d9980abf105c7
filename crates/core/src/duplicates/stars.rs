//! Near pairs into groups without chaining: each group is a star, one photo
//! (the one near the most others) and every photo near it.
//!
//! Joining every near pair (single linkage) chains: A near B, B near C, C
//! near D… can put a whole burst, or with a weak model a whole library, in one
//! group whose ends look nothing alike. A star bounds that: every member is
//! near its centre, so two members are at most twice the threshold's angle
//! apart. A photo near only members of stars already taken stays out.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The groups (indices, two or more each) that `pairs` make among `n` items:
/// the centre is, each time, the item near the most items not yet taken (the
/// lowest index on a tie), and it takes them all. Each group is its centre
/// and its members (the centre among them), ascending.
pub(super) fn stars(n: usize, pairs: &[(u32, u32)]) -> Vec<(usize, Vec<usize>)> {
    let mut near: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in pairs {
        near[a as usize].push(b as usize);
        near[b as usize].push(a as usize);
    }
    near.iter_mut().for_each(|list| {
        list.sort_unstable();
        list.dedup();
    });
    let mut taken = vec![false; n];
    let free = |i: usize, taken: &[bool]| near[i].iter().filter(|&&j| !taken[j]).count();
    // Counts only fall, so a stale entry is put back with its count now.
    let mut queue: BinaryHeap<(usize, Reverse<usize>)> =
        (0..n).filter(|&i| !near[i].is_empty()).map(|i| (near[i].len(), Reverse(i))).collect();
    let mut groups = Vec::new();
    while let Some((count, Reverse(centre))) = queue.pop() {
        if taken[centre] {
            continue;
        }
        let now = free(centre, &taken);
        if now != count {
            if now > 0 {
                queue.push((now, Reverse(centre)));
            }
            continue;
        }
        let mut group: Vec<usize> = near[centre].iter().copied().filter(|&j| !taken[j]).collect();
        group.push(centre);
        group.sort_unstable();
        group.iter().for_each(|&j| taken[j] = true);
        groups.push((centre, group));
    }
    groups
}

#[cfg(test)]
mod tests {
    fn stars(n: usize, pairs: &[(u32, u32)]) -> Vec<Vec<usize>> {
        super::stars(n, pairs).into_iter().map(|(_, members)| members).collect()
    }

    #[test]
    fn the_centre_is_near_every_member() {
        let pairs = [(0, 1), (1, 2), (1, 3)];
        assert_eq!(super::stars(4, &pairs), vec![(1, vec![0, 1, 2, 3])]);
    }

    #[test]
    fn a_chain_is_cut_into_stars() {
        // 0–1–2–3–4–5: centre 1 takes 0 and 2; then 4 (near 3 and 5) takes both.
        let chain = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)];
        assert_eq!(stars(7, &chain), vec![vec![0, 1, 2], vec![3, 4, 5]]);
    }

    #[test]
    fn the_photo_near_most_is_the_centre_and_an_orphan_of_taken_members_stays_out() {
        // 5 is near 1, 2, 3 (centre); 4 is near 3 only, which 5 took.
        let mut pairs = vec![(5, 1), (5, 2), (5, 3), (3, 4), (1, 2)];
        assert_eq!(stars(7, &pairs), vec![vec![1, 2, 3, 5]]);
        // Near 6 as well, 4 centres a star of its own.
        pairs.extend([(4, 6), (6, 4)]);
        assert_eq!(stars(7, &pairs), vec![vec![1, 2, 3, 5], vec![4, 6]]);
    }

    #[test]
    fn a_pair_listed_twice_counts_once_in_the_group() {
        assert_eq!(stars(3, &[(0, 2), (2, 0)]), vec![vec![0, 2]]);
        assert!(stars(3, &[]).is_empty());
    }
}
