//! Union-find: which set each index is in, as pairs join them.

/// Union-find over indices, by size with path halving.
pub(super) struct Union {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl Union {
    pub(super) fn new(n: usize) -> Self {
        Self { parent: (0..n).collect(), size: vec![1; n] }
    }

    pub(super) fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    pub(super) fn join(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

#[cfg(test)]
mod tests {
    use super::Union;

    #[test]
    fn joined_sets_chain() {
        let mut union = Union::new(5);
        union.join(0, 1);
        union.join(3, 4);
        union.join(1, 4);
        assert_eq!(union.find(0), union.find(3));
        assert_ne!(union.find(0), union.find(2));
        union.join(2, 2);
        assert_ne!(union.find(2), union.find(4));
    }
}
