//! Which items a new item is scored against: an inverted index of a territory's open items by
//! what can relate two of them — category, waste code, word, trade word, curated route,
//! documented exchange — so that a new item meets the few hundred items it has something in
//! common with rather than every open item of the territory. Rules in `README.md`
//! ("Candidates").
//!
//! Each item carries weighted keys; a candidate's prior is the sum, over the keys it shares
//! with the new item, of the product of both weights, which follows the evidence the scorer
//! weighs (a shared category, a shared waste entry, the cosine of the words, a route's
//! strength, the support of a documented exchange), times the compatibility of the two resource
//! classes and the nearness part of the score. The best `limit` candidates by prior are then
//! scored in full.

use foldhash::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use super::knowledge::View;
use super::substitution::{PreparedItem, class_compatibility, distance_decay};
use super::text;
use super::{Direction, Knowledge, ResourceClass};

/// A documented exchange is a key of the items that resemble one of its ends at least this
/// much: below, the resemblance is the provider's or receiver's trade alone, which the trade
/// words and routes already stand for.
const EXCHANGE_FLOOR: f64 = 0.1;

/// A key held by more than this share of the items (percent), plus [`BROAD_MINIMUM`], is broad:
/// it only adds to candidates met through narrower keys.
const BROAD_SHARE_PERCENT: usize = 5;
const BROAD_MINIMUM: usize = 500;

/// The generation of a slot whose item was removed.
const DEAD: u32 = u32::MAX;

/// Share of stale postings (left by removed or changed items) beyond which the postings are
/// rebuilt from the live items.
const STALE_SHARE: usize = 2;

/// What two items can have in common.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    /// The first segment of a listing category ("packaging").
    CategoryRoot(Box<str>),
    Category(Box<str>),
    WasteChapter(Box<str>),
    WasteSubChapter(Box<str>),
    Waste(Box<str>),
    /// A term of the label and description (after stemming and synonyms).
    Term(Box<str>),
    /// An output's meaningful term, or a term of an input's trade (its NACE title).
    TradeTerm(Box<str>),
    /// A curated route, by position, started by an output or ended by an input.
    Route(u32),
    /// A documented exchange, by position, resembled by an output or an input.
    Exchange(u32),
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    slot: u32,
    generation: u32,
    weight: f32,
}

/// What a query reads of every candidate it meets, kept apart and small (a query meets tens of
/// thousands of them in a large territory, and reads them in slot order): whose, what class,
/// where. 20 bytes, so that a territory's summaries stay mostly in cache; the id, needed only
/// to break ties, is in its own array.
#[derive(Debug, Clone, Copy)]
struct Summary {
    generation: u32,
    /// The organisation's number in [`CandidateIndex::organisations`].
    organisation: u32,
    /// Latitude and longitude in radians; NaN when the item has no position.
    latitude: f32,
    longitude: f32,
    class: ResourceClass,
}

impl Summary {
    fn position(&self) -> Option<(f32, f32)> {
        (!self.latitude.is_nan()).then_some((self.latitude, self.longitude))
    }
}

/// The postings of one key, and how many of them are of items still held: whether a key is
/// broad depends on the items held alone, not on what was removed before, so that replicas
/// holding the same items answer the same whatever their history.
#[derive(Debug, Default)]
struct PostingList {
    postings: Vec<Posting>,
    live: usize,
}

struct Slot {
    prepared: Arc<PreparedItem<'static>>,
    keys: Vec<(Key, f32)>,
}

/// The open items of one territory, by what they can share with a new item. Pure: it holds
/// what it is given and answers from it.
pub struct CandidateIndex {
    knowledge: &'static Knowledge,
    summaries: Vec<Summary>,
    /// The id of each slot's item (of its last item once removed).
    ids: Vec<Uuid>,
    /// A number for each organisation met, so that a summary holds 4 bytes rather than 16.
    /// Never shrinks: a territory has thousands of organisations, not millions.
    organisations: HashMap<Uuid, u32>,
    /// The generation of each slot's item while it is held, [`DEAD`] once removed: what the
    /// postings are checked against, apart from the summaries so that it stays in cache.
    live: Vec<u32>,
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    by_id: HashMap<Uuid, u32>,
    /// Postings of the outputs (`[0]`) and of the inputs (`[1]`).
    postings: [HashMap<Key, PostingList>; 2],
    live_postings: usize,
    stale_postings: usize,
    /// The prior of each slot during a query (kept to avoid allocating it for each one).
    scratch: Vec<f32>,
}

fn side(direction: Direction) -> usize {
    match direction {
        Direction::Out => 0,
        Direction::In => 1,
    }
}

impl CandidateIndex {
    pub fn new(knowledge: &'static Knowledge) -> Self {
        Self {
            knowledge,
            summaries: Vec::new(),
            ids: Vec::new(),
            organisations: HashMap::default(),
            live: Vec::new(),
            slots: Vec::new(),
            free: Vec::new(),
            by_id: HashMap::default(),
            postings: [HashMap::default(), HashMap::default()],
            live_postings: 0,
            stale_postings: 0,
            scratch: Vec::new(),
        }
    }

    /// Open items held.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Holds `prepared` (an open item of this index's territory), replacing what was held
    /// under its id.
    pub fn insert(&mut self, prepared: Arc<PreparedItem<'static>>) {
        let item = prepared.item();
        self.remove(item.id);
        let keys = keys_of(&prepared.0, self.knowledge);
        let next_organisation = self.organisations.len() as u32;
        let organisation = *self
            .organisations
            .entry(item.organisation_id)
            .or_insert(next_organisation);
        let (latitude, longitude) = item.position.map_or((f32::NAN, f32::NAN), |p| {
            (
                p.latitude.to_radians() as f32,
                p.longitude.to_radians() as f32,
            )
        });
        let summary = Summary {
            generation: 0,
            organisation,
            latitude,
            longitude,
            class: item.resource_class,
        };
        let slot = if let Some(slot) = self.free.pop() {
            // A generation never equals DEAD: postings of the slot's earlier items never match.
            let generation = match self.summaries[slot as usize].generation.wrapping_add(1) {
                DEAD => 0,
                next => next,
            };
            self.summaries[slot as usize] = Summary {
                generation,
                ..summary
            };
            self.ids[slot as usize] = item.id;
            slot
        } else {
            self.summaries.push(summary);
            self.ids.push(item.id);
            self.live.push(DEAD);
            self.slots.push(None);
            (self.summaries.len() - 1) as u32
        };
        let generation = self.summaries[slot as usize].generation;
        self.live[slot as usize] = generation;
        let postings = &mut self.postings[side(item.direction)];
        for (key, weight) in &keys {
            let list = postings.entry(key.clone()).or_default();
            list.postings.push(Posting {
                slot,
                generation,
                weight: *weight,
            });
            list.live += 1;
        }
        self.live_postings += keys.len();
        self.by_id.insert(item.id, slot);
        self.slots[slot as usize] = Some(Slot { prepared, keys });
    }

    /// Forgets the item (closed, held, gone): its postings are skipped from now on.
    pub fn remove(&mut self, id: Uuid) {
        let Some(slot) = self.by_id.remove(&id) else {
            return;
        };
        self.live[slot as usize] = DEAD;
        let Some(held) = self.slots[slot as usize].take() else {
            return;
        };
        let postings = &mut self.postings[side(held.prepared.item().direction)];
        for (key, _) in &held.keys {
            if let Some(list) = postings.get_mut(key) {
                list.live -= 1;
            }
        }
        let keys = held.keys;
        self.live_postings -= keys.len();
        self.stale_postings += keys.len();
        self.free.push(slot);
        if self.stale_postings > STALE_SHARE * self.live_postings + 10_000 {
            self.rebuild_postings();
        }
    }

    fn rebuild_postings(&mut self) {
        self.postings = [HashMap::default(), HashMap::default()];
        for (slot, held) in self.slots.iter().enumerate() {
            let Some(held) = held else { continue };
            let generation = self.summaries[slot].generation;
            let postings = &mut self.postings[side(held.prepared.item().direction)];
            for (key, weight) in &held.keys {
                let list = postings.entry(key.clone()).or_default();
                list.postings.push(Posting {
                    slot: slot as u32,
                    generation,
                    weight: *weight,
                });
                list.live += 1;
            }
        }
        self.stale_postings = 0;
    }

    /// The held items of the other direction, of other organisations, that `item` shares the
    /// most with: at most `limit`, best prior first (ties by id, so that every replica holding
    /// the same items answers the same).
    pub fn candidates(
        &mut self,
        item: &PreparedItem,
        limit: usize,
    ) -> Vec<Arc<PreparedItem<'static>>> {
        let own = item.item();
        let other = 1 - side(own.direction);
        self.scratch.clear();
        self.scratch.resize(self.summaries.len(), 0.0);
        // Narrow keys first; a key most items have (a waste chapter, a common trade word)
        // says little: it adds to the candidates met through narrower keys, and brings none
        // of its own.
        let broad = BROAD_SHARE_PERCENT * self.by_id.len() / 100 + BROAD_MINIMUM;
        let mut keys: Vec<(&PostingList, f32)> = keys_of(&item.0, self.knowledge)
            .into_iter()
            .filter_map(|(key, weight)| Some((self.postings[other].get(&key)?, weight)))
            .collect();
        keys.sort_by_key(|(list, _)| list.live);
        for (list, weight) in keys {
            let brings = list.live <= broad;
            for posting in &list.postings {
                if self.live[posting.slot as usize] != posting.generation {
                    continue;
                }
                let prior = &mut self.scratch[posting.slot as usize];
                if *prior == 0.0 && !brings {
                    continue;
                }
                *prior += weight * posting.weight;
            }
        }
        let here = own.position.map(|p| {
            (
                p.latitude.to_radians() as f32,
                p.longitude.to_radians() as f32,
            )
        });
        // An organisation never met has no item here.
        let own_organisation = self
            .organisations
            .get(&own.organisation_id)
            .copied()
            .unwrap_or(u32::MAX);
        // The candidates met are read in slot order, not in the order they were met: tens of
        // thousands of random reads of the summaries cost more than the scoring that follows.
        let mut ranked: Vec<(f32, Uuid, u32)> = Vec::new();
        for (slot, (&shared, summary)) in self.scratch.iter().zip(&self.summaries).enumerate() {
            if shared == 0.0 || summary.organisation == own_organisation {
                continue;
            }
            let (output, input) = match own.direction {
                Direction::Out => (own.resource_class, summary.class),
                Direction::In => (summary.class, own.resource_class),
            };
            let compatibility = class_compatibility(output, input) as f32;
            // Among many candidates alike, the nearest first, as the score will have it.
            let nearness = match here.zip(summary.position()) {
                Some((a, b)) => {
                    0.5 + 0.5 * distance_decay(f64::from(approximate_km(a, b)), output) as f32
                }
                None => 0.9,
            };
            let prior = shared * compatibility * nearness;
            if prior > 0.0 {
                ranked.push((prior, self.ids[slot], slot as u32));
            }
        }
        let order =
            |a: &(f32, Uuid, u32), b: &(f32, Uuid, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit, order);
            ranked.truncate(limit);
        }
        ranked.sort_unstable_by(order);
        ranked
            .into_iter()
            .filter_map(|(_, _, slot)| {
                Some(Arc::clone(&self.slots[slot as usize].as_ref()?.prepared))
            })
            .collect()
    }
}

/// Distance in km between two points given in radians, by the equirectangular approximation
/// (within a territory, a fraction of a percent from the great circle).
fn approximate_km(a: (f32, f32), b: (f32, f32)) -> f32 {
    const EARTH_RADIUS_KM: f32 = 6371.0;
    let x = (b.1 - a.1) * f32::midpoint(a.0, b.0).cos();
    let y = b.0 - a.0;
    EARTH_RADIUS_KM * (x * x + y * y).sqrt()
}

/// The keys of an item with their weights. For keys both sides share alike, the weight is the
/// square root of the evidence it stands for, so that the product of the two is that evidence.
fn keys_of(view: &View, knowledge: &Knowledge) -> Vec<(Key, f32)> {
    let mut keys: Vec<(Key, f32)> = Vec::new();
    let mut add = |key: Key, weight: f64| {
        if weight > 0.0 {
            keys.push((key, weight as f32));
        }
    };
    let item = &*view.item;
    if let Some(category) = &item.category {
        let root = category.split('/').next().unwrap_or(category);
        add(Key::CategoryRoot(root.into()), 0.3_f64.sqrt());
        add(Key::Category(category.as_str().into()), 0.65_f64.sqrt());
    }
    let wastes = match &view.waste {
        Some(code) => std::slice::from_ref(code),
        None => view.category_wastes.as_slice(),
    };
    for code in wastes {
        add(Key::WasteChapter(code.chapter().into()), 0.35_f64.sqrt());
        add(
            Key::WasteSubChapter(code.sub_chapter().into()),
            0.3_f64.sqrt(),
        );
        add(Key::Waste(code.code.as_str().into()), 0.25_f64.sqrt());
    }
    // Generic words ("déchet", "matière") weigh little in the words' cosine but are everyone's:
    // they are no keys.
    if view.terms_norm > 0.0 {
        for term in view.terms.iter().filter(|t| text::weight(t) >= 1.0) {
            add(
                Key::Term(term.as_str().into()),
                0.8_f64.sqrt() * text::weight(term) / view.terms_norm,
            );
        }
    }
    match item.direction {
        Direction::Out => {
            let total: f64 = view.terms.iter().map(|t| text::weight(t)).sum();
            for term in view.terms.iter().filter(|t| text::weight(t) >= 1.0) {
                add(Key::TradeTerm(term.as_str().into()), 0.4 / total);
            }
            for (route, _, _) in view.route_ends() {
                add(Key::Route(route), knowledge.route_strength(route));
            }
        }
        Direction::In => {
            for term in view
                .activity_terms
                .iter()
                .filter(|t| text::weight(t) >= 1.0)
            {
                add(Key::TradeTerm(term.as_str().into()), 1.0);
            }
            let trade_weight = view.trade_weight();
            for (route, by_content, _) in view.route_ends() {
                add(
                    Key::Route(route),
                    if by_content { 1.0 } else { trade_weight },
                );
            }
        }
    }
    let trade_weight = match item.direction {
        Direction::Out => 1.0,
        Direction::In => view.trade_weight(),
    };
    for (exchange, value) in view.resemblances() {
        if value >= EXCHANGE_FLOOR {
            add(Key::Exchange(exchange), value * trade_weight);
        }
    }
    // A waste code given twice (a category standing for several codes of one chapter) counts
    // once, with its best weight.
    keys.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    keys.dedup_by(|later, first| later.0 == first.0);
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::{Item, ItemKind, MAESTRI, Position, best_of, maestri_records};

    /// An output and an input per documented exchange, spread over 20 km, each of its own
    /// organisation.
    fn territory() -> Vec<Item> {
        let mut items = Vec::new();
        for (n, record) in maestri_records(MAESTRI).iter().enumerate() {
            for direction in [Direction::Out, Direction::In] {
                let out = direction == Direction::Out;
                let spread = (n * 37 % 100) as f64 / 100.0;
                items.push(Item {
                    id: Uuid::now_v7(),
                    kind: ItemKind::Flow,
                    tenant: "dijon".into(),
                    organisation_id: Uuid::now_v7(),
                    organisation_name: String::new(),
                    nace: if out {
                        &record.provider_nace
                    } else {
                        &record.receiver_nace
                    }
                    .clone(),
                    direction,
                    resource_class: if out {
                        ResourceClass::Waste
                    } else {
                        ResourceClass::Material
                    },
                    category: None,
                    ewc_code: out.then(|| record.ewc_code.clone()),
                    label: if out {
                        &record.material
                    } else {
                        &record.final_use
                    }
                    .clone(),
                    description: String::new(),
                    yearly_quantity: None,
                    position: Some(Position {
                        latitude: 47.25 + spread * 0.18,
                        longitude: 4.95 + (1.0 - spread) * 0.25,
                    }),
                    available_from: None,
                    available_until: None,
                    exchange_mode: None,
                });
            }
        }
        items
    }

    #[test]
    fn in_a_territory_of_hundreds_the_index_proposes_what_scoring_every_item_would() {
        let knowledge = Knowledge::global();
        let items = territory();
        let prepared: Vec<Arc<PreparedItem<'static>>> = items
            .iter()
            .map(|item| Arc::new(knowledge.prepare(item).into_owned()))
            .collect();
        let mut index = CandidateIndex::new(knowledge);
        for item in &prepared {
            index.insert(Arc::clone(item));
        }
        let (mut same, mut compared) = (0, 0);
        for item in &prepared {
            let others: Vec<_> = prepared
                .iter()
                .filter(|other| other.item().direction != item.item().direction)
                .cloned()
                .collect();
            let every = best_of(item, &others, knowledge, 20);
            let indexed = best_of(item, &index.candidates(item, 400), knowledge, 20);
            compared += 1;
            same += usize::from(every == indexed);
        }
        // A pair the index misses shares nothing with the new item that it keys.
        assert!(same * 100 >= compared * 95, "{same} of {compared} the same");
    }

    #[test]
    fn a_removed_or_changed_item_is_no_longer_found_as_it_was() {
        let knowledge = Knowledge::global();
        let items = territory();
        let (output, input) = (&items[0], &items[1]);
        let mut index = CandidateIndex::new(knowledge);
        index.insert(Arc::new(knowledge.prepare(input).into_owned()));
        let query = knowledge.prepare(output);
        assert_eq!(index.candidates(&query, 10).len(), 1);
        index.remove(input.id);
        assert!(index.candidates(&query, 10).is_empty());
        assert!(index.is_empty());
    }

    #[test]
    fn replicas_holding_the_same_items_find_the_same_candidates_whatever_they_held_before() {
        let knowledge = Knowledge::global();
        // Large enough for keys held by more than 5 % of the items plus 500.
        let items: Vec<Item> = (0..8).flat_map(|_| territory()).collect();
        let prepared = |item: &Item| Arc::new(knowledge.prepare(item).into_owned());
        let mut fresh = CandidateIndex::new(knowledge);
        let mut seasoned = CandidateIndex::new(knowledge);
        // The seasoned replica held as many items again, since removed (their postings stale,
        // not yet swept).
        let gone: Vec<Item> = items
            .iter()
            .map(|item| Item {
                id: Uuid::now_v7(),
                ..item.clone()
            })
            .collect();
        for item in &gone {
            seasoned.insert(prepared(item));
        }
        for item in &items {
            fresh.insert(prepared(item));
            seasoned.insert(prepared(item));
        }
        for item in &gone {
            seasoned.remove(item.id);
        }
        for item in items.iter().take(600).step_by(7) {
            let query = knowledge.prepare(item);
            let ids = |found: Vec<Arc<PreparedItem<'static>>>| -> Vec<Uuid> {
                found.iter().map(|c| c.item().id).collect()
            };
            assert_eq!(
                ids(fresh.candidates(&query, 50)),
                ids(seasoned.candidates(&query, 50)),
                "{}",
                item.label
            );
        }
    }
}
