//! The library's near-duplicate groups kept in memory, so search results and
//! the timeline can stack each group into one tile. Built once over every
//! vector (see [`super::grouping`]), then kept up to date as photos come and
//! go: a new photo joins the group whose centre it is near (found by a
//! nearest-neighbour search, not a new grouping), a removed one leaves its
//! group, and a group left with one photo is no group.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use roaring::RoaringBitmap;

use super::{grouping, keeper_id};
use crate::search::Hit;
use crate::store::{Error, ModelKey, PhotoId, Store};
use crate::timeline::PhotoCard;

/// Neighbours a new photo is compared with to find its group.
const NEIGHBOURS: usize = 8;

/// One group: its centre (every member is near it) and its suggested keeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// The photos, by id, ascending.
    pub members: Vec<PhotoId>,
    /// The photo every other is near.
    pub centre: PhotoId,
    /// The one to keep and to show for the stack (see [`super::Group`]).
    pub keeper: PhotoId,
}

/// The groups of one model's vectors at one store generation.
#[derive(Debug, Clone)]
pub struct Stacks {
    /// The model whose vectors were grouped.
    pub model: ModelKey,
    /// The cosine the groups were made at.
    pub threshold: f32,
    /// The store generation they are up to date with.
    pub generation: usize,
    built: Instant,
    /// The photos with vectors then.
    seen: RoaringBitmap,
    stacks: Vec<Stack>,
    /// Photo → index in `stacks`.
    of: HashMap<PhotoId, usize>,
}

impl Stacks {
    /// Groups every vector of `model` anew.
    pub fn build(store: &Store, model: &ModelKey, threshold: f32) -> Result<Self, Error> {
        let generation = store.generation();
        let vectors = store.vectors_of(model, None)?;
        let seen = vectors.iter().map(|(id, _)| *id).collect();
        let found = grouping(&vectors, threshold);
        drop(vectors);
        let mut stacks = Vec::with_capacity(found.groups.len());
        for (members, centre) in found.groups.into_iter().zip(found.centres) {
            stacks.push(Stack { keeper: keeper_id(store, &members)?, members, centre });
        }
        Ok(Self::with(model.clone(), threshold, generation, seen, stacks))
    }

    fn with(
        model: ModelKey,
        threshold: f32,
        generation: usize,
        seen: RoaringBitmap,
        stacks: Vec<Stack>,
    ) -> Self {
        let of = index(&stacks);
        Self { model, threshold, generation, built: Instant::now(), seen, stacks, of }
    }

    /// These groups brought up to date with `store`: removed photos leave,
    /// new ones join (or start) groups. Grouped anew instead when more than a
    /// quarter of the photos are new (a first indexing), which is then faster.
    pub fn refreshed(&self, store: &Store) -> Result<Self, Error> {
        let generation = store.generation();
        let now = store.vector_ids(&self.model)?;
        let new = &now - &self.seen;
        if new.len() > 1_000 && new.len() * 4 > now.len() {
            return Self::build(store, &self.model, self.threshold);
        }
        let gone = &self.seen - &now;
        let mut stacks = self.stacks.clone();
        let mut touched = vec![false; stacks.len()];
        for (i, stack) in stacks.iter_mut().enumerate() {
            if stack.members.iter().any(|id| gone.contains(*id)) {
                stack.members.retain(|id| !gone.contains(*id));
                touched[i] = true;
            }
        }
        let mut of = index(&stacks);
        for id in &new {
            let Some(vector) = store.vector(&self.model, id)? else { continue };
            match self.home(store, &stacks, &of, id, &vector)? {
                Home::Join(i) => {
                    stacks[i].members.push(id);
                    of.insert(id, i);
                    touched[i] = true;
                }
                Home::Pair(other) => {
                    of.insert(id, stacks.len());
                    of.insert(other, stacks.len());
                    stacks.push(Stack { members: vec![other, id], centre: other, keeper: other });
                    touched.push(true);
                }
                Home::Alone => {}
            }
        }
        let mut kept = Vec::with_capacity(stacks.len());
        for (mut stack, touched) in stacks.into_iter().zip(touched) {
            if touched {
                stack.members.sort_unstable();
                if stack.members.len() < 2 {
                    continue;
                }
                if !stack.members.contains(&stack.centre) {
                    stack.centre = centre_of(store, &self.model, &stack.members)?;
                }
                stack.keeper = keeper_id(store, &stack.members)?;
            }
            kept.push(stack);
        }
        Ok(Self::with(self.model.clone(), self.threshold, generation, now, kept))
    }

    /// Where a new photo goes: the group of its nearest neighbour whose centre
    /// it is near, else a pair with its nearest ungrouped near neighbour.
    fn home(
        &self,
        store: &Store,
        stacks: &[Stack],
        of: &HashMap<PhotoId, usize>,
        id: PhotoId,
        vector: &[f32],
    ) -> Result<Home, Error> {
        let near = store.nearest(&self.model, vector, NEIGHBOURS + 1, None)?;
        let mut pair = None;
        for neighbour in near.iter().filter(|n| n.id != id && n.score >= self.threshold) {
            match of.get(&neighbour.id) {
                Some(&i) => {
                    let centre = stacks[i].centre;
                    let close = centre == neighbour.id
                        || store
                            .vector(&self.model, centre)?
                            .is_some_and(|c| cosine(&c, vector) >= self.threshold);
                    if close {
                        return Ok(Home::Join(i));
                    }
                }
                None => {
                    pair.get_or_insert(neighbour.id);
                }
            }
        }
        Ok(pair.map_or(Home::Alone, Home::Pair))
    }

    /// The groups.
    pub fn stacks(&self) -> &[Stack] {
        &self.stacks
    }

    /// The group `id` is in.
    pub fn stack_of(&self, id: PhotoId) -> Option<&Stack> {
        self.of.get(&id).map(|&i| &self.stacks[i])
    }

    /// Every grouped photo but the keepers: what a stacked timeline leaves out.
    pub fn folded(&self) -> RoaringBitmap {
        let mut folded: RoaringBitmap = self.of.keys().copied().collect();
        for stack in &self.stacks {
            folded.remove(stack.keeper);
        }
        folded
    }

    /// Whether a stacked list leaves `id` out: it is in a group whose keeper
    /// the list shows (`shown` says which photos the list holds).
    pub fn folds(&self, id: PhotoId, shown: impl Fn(PhotoId) -> bool) -> bool {
        self.stack_of(id).is_some_and(|stack| stack.keeper != id && shown(stack.keeper))
    }

    /// The cards of the other photos of `id`'s group (none when it is in none).
    pub fn also(&self, store: &Store, id: PhotoId) -> Result<Vec<PhotoCard>, Error> {
        let Some(stack) = self.stack_of(id) else { return Ok(Vec::new()) };
        let mut cards = Vec::with_capacity(stack.members.len() - 1);
        for &other in stack.members.iter().filter(|&&other| other != id) {
            if let Some(photo) = store.photo(other)?
                && !photo.paths.is_empty()
            {
                cards.push(PhotoCard::of(other, photo));
            }
        }
        Ok(cards)
    }

    /// `hits` with each group in one tile: the best-ranked hit of a group
    /// stays, with the group's other photos as its `also`; its other hits go.
    pub fn stack_hits(&self, store: &Store, hits: Vec<Hit>) -> Result<Vec<Hit>, Error> {
        let mut tiled = std::collections::HashSet::new();
        let mut stacked = Vec::with_capacity(hits.len());
        for mut hit in hits {
            if let Some(stack) = self.stack_of(hit.photo.id) {
                if !tiled.insert(stack.centre) {
                    continue;
                }
                hit.photo.also = self.also(store, hit.photo.id)?;
            }
            stacked.push(hit);
        }
        Ok(stacked)
    }

    /// How long ago they were brought up to date.
    pub fn age(&self) -> Duration {
        self.built.elapsed()
    }
}

enum Home {
    Join(usize),
    Pair(PhotoId),
    Alone,
}

fn index(stacks: &[Stack]) -> HashMap<PhotoId, usize> {
    stacks.iter().enumerate().flat_map(|(i, s)| s.members.iter().map(move |&id| (id, i))).collect()
}

/// The member nearest to the others on the whole (the largest sum of cosines),
/// for a group whose centre was removed; the first of a group too large to
/// compare all pairs of.
fn centre_of(store: &Store, model: &ModelKey, members: &[PhotoId]) -> Result<PhotoId, Error> {
    if members.len() > 64 {
        return Ok(members[0]);
    }
    let mut vectors = Vec::with_capacity(members.len());
    for &id in members {
        if let Some(vector) = store.vector(model, id)? {
            vectors.push((id, vector));
        }
    }
    let sum = |v: &[f32]| vectors.iter().map(|(_, w)| cosine(v, w)).sum::<f32>();
    let best =
        vectors.iter().map(|(id, v)| (*id, sum(v))).max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    Ok(best.map_or(members[0], |(id, _)| id))
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let scale = norm(a) * norm(b);
    if scale > 0.0 { dot / scale } else { 0.0 }
}
