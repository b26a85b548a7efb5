//! One pass over the matches of a search: the filters the terms cannot express (availability
//! on a day, distance), the facet counts of every match, and the best page after the cursor
//! in the query's order — all from the index's columns, without reading a stored document.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};
use uuid::Uuid;

use super::engine::Found;
use super::tantivy_engine::day_number;
use super::{Cursor, Facets, Near, SearchQuery, Sort};

/// The text score as the cursor carries it: BM25 in millionths, so pages compare exactly.
fn integer_score(score: Score) -> i64 {
    (f64::from(score) * 1_000_000.0).round() as i64
}

/// How hits are ordered; `Ordering::Less` means "comes first".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Relevance,
    Newest,
    Nearest,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    order: Order,
    score: i64,
    distance_squared: Option<f64>,
    id: u128,
}

impl Candidate {
    fn rank(&self, other: &Self) -> Ordering {
        let by_id = other.id.cmp(&self.id);
        match self.order {
            Order::Relevance => other.score.cmp(&self.score).then(by_id),
            Order::Newest => by_id,
            Order::Nearest => {
                let (a, b) = (
                    self.distance_squared.unwrap_or(f64::INFINITY),
                    other.distance_squared.unwrap_or(f64::INFINITY),
                );
                a.total_cmp(&b).then(by_id)
            }
        }
    }

    fn found(&self) -> Found {
        Found {
            id: Uuid::from_u128(self.id),
            score: self.score,
            distance_squared: self.distance_squared,
        }
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.rank(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    /// The heap keeps the worst kept candidate on top.
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank(other)
    }
}

pub struct SearchCollector {
    order: Order,
    text: bool,
    near: Option<Near>,
    available_on: Option<i64>,
    /// The cursor as a candidate: only what ranks after it is kept.
    after: Option<Candidate>,
    limit: usize,
    with_facets: bool,
}

impl SearchCollector {
    pub fn new(query: &SearchQuery, with_facets: bool) -> Self {
        let order = match query.sort {
            Sort::Relevance if query.has_text() => Order::Relevance,
            Sort::Nearest => Order::Nearest,
            _ => Order::Newest,
        };
        let after = query.after.map(|cursor| match cursor {
            Cursor::Relevance { score, id } => Candidate {
                order,
                score,
                distance_squared: None,
                id: id.as_u128(),
            },
            Cursor::Newest { id } => Candidate {
                order,
                score: 0,
                distance_squared: None,
                id: id.as_u128(),
            },
            Cursor::Nearest {
                distance_squared,
                id,
            } => Candidate {
                order,
                score: 0,
                distance_squared: Some(distance_squared),
                id: id.as_u128(),
            },
        });
        Self {
            order,
            text: query.has_text(),
            near: query.near,
            available_on: query.available_on.map(day_number),
            after,
            limit: query.limit as usize,
            with_facets,
        }
    }
}

/// What a search collected: the page and the facet counts.
#[derive(Debug, Default)]
pub struct Collected {
    pub found: Vec<Found>,
    pub facets: Facets,
}

pub struct SegmentSearch {
    settings: SearchCollectorSettings,
    id_high: Column<u64>,
    id_low: Column<u64>,
    available_from: Column<i64>,
    available_until: Column<i64>,
    latitude: Column<f64>,
    longitude: Column<f64>,
    category_root: Option<StrColumn>,
    exchange_mode: Option<StrColumn>,
    /// The segment's ordinals of each facet column (a document without a value counts under
    /// one past the last ordinal).
    category_ords: Option<Column<u64>>,
    mode_ords: Option<Column<u64>>,
    /// Matches counted by category root ordinal, and by exchange mode ordinal: a flat array
    /// indexed by ordinal, since a segment holds a handful of each.
    category_counts: Vec<i64>,
    mode_counts: Vec<i64>,
    best: BinaryHeap<Candidate>,
}

#[derive(Debug, Clone, Copy)]
struct SearchCollectorSettings {
    order: Order,
    text: bool,
    near: Option<Near>,
    available_on: Option<i64>,
    after: Option<Candidate>,
    limit: usize,
    with_facets: bool,
}

/// One segment's fruit: its best candidates and its facet counts by name.
pub struct SegmentFruit {
    best: Vec<Candidate>,
    categories: BTreeMap<String, i64>,
    modes: BTreeMap<String, i64>,
}

impl Collector for SearchCollector {
    type Fruit = Collected;
    type Child = SegmentSearch;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentSearch> {
        let columns = reader.fast_fields();
        let category_root = columns.str("category_root")?;
        let exchange_mode = columns.str("exchange_mode")?;
        // One slot per term, and one for documents without a value.
        let slots = |column: &Option<StrColumn>| {
            column.as_ref().map_or(0, |c| c.dictionary().num_terms()) + 1
        };
        Ok(SegmentSearch {
            settings: SearchCollectorSettings {
                order: self.order,
                text: self.text,
                near: self.near,
                available_on: self.available_on,
                after: self.after,
                limit: self.limit,
                with_facets: self.with_facets,
            },
            id_high: columns.u64("id_high")?,
            id_low: columns.u64("id_low")?,
            available_from: columns.i64("available_from")?,
            available_until: columns.i64("available_until")?,
            latitude: columns.f64("latitude")?,
            longitude: columns.f64("longitude")?,
            category_counts: vec![0; slots(&category_root)],
            mode_counts: vec![0; slots(&exchange_mode)],
            category_ords: category_root.as_ref().map(|c| c.ords().clone()),
            mode_ords: exchange_mode.as_ref().map(|c| c.ords().clone()),
            category_root,
            exchange_mode,
            best: BinaryHeap::with_capacity(self.limit + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.text
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<Collected> {
        let mut best = Vec::new();
        let mut categories = BTreeMap::<String, i64>::new();
        let mut modes = BTreeMap::<String, i64>::new();
        for fruit in fruits {
            best.extend(fruit.best);
            for (name, n) in fruit.categories {
                *categories.entry(name).or_default() += n;
            }
            for (name, n) in fruit.modes {
                *modes.entry(name).or_default() += n;
            }
        }
        best.sort_by(Candidate::rank);
        best.truncate(self.limit);
        Ok(Collected {
            found: best.iter().map(Candidate::found).collect(),
            facets: Facets {
                categories: categories.into_iter().collect(),
                exchange_modes: modes.into_iter().collect(),
            },
        })
    }
}

impl SegmentCollector for SegmentSearch {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        let s = self.settings;
        if let Some(day) = s.available_on {
            let started = self
                .available_from
                .first(doc)
                .is_none_or(|from| from <= day);
            let not_ended = self
                .available_until
                .first(doc)
                .is_none_or(|until| until >= day);
            if !(started && not_ended) {
                return;
            }
        }
        let distance_squared = match &s.near {
            None => None,
            Some(near) => {
                let (Some(latitude), Some(longitude)) =
                    (self.latitude.first(doc), self.longitude.first(doc))
                else {
                    return;
                };
                // The same box and the same arithmetic as the SQL reference, so that both
                // keep and order the very same listings.
                let (min_lat, max_lat, min_lon, max_lon) = near.bounding_box();
                if !(min_lat..=max_lat).contains(&latitude)
                    || !(min_lon..=max_lon).contains(&longitude)
                {
                    return;
                }
                let d2 = near.distance_squared(latitude, longitude);
                if d2 > near.radius_km * near.radius_km {
                    return;
                }
                Some(d2)
            }
        };
        if s.with_facets {
            let count = |ords: &Option<Column<u64>>, counts: &mut [i64]| {
                let missing = counts.len() - 1;
                let slot = ords
                    .as_ref()
                    .and_then(|c| c.first(doc))
                    .map_or(missing, |ord| (ord as usize).min(missing));
                counts[slot] += 1;
            };
            count(&self.category_ords, &mut self.category_counts);
            count(&self.mode_ords, &mut self.mode_counts);
        }
        // Cheap rejections first, before the id is read in full: the index is sorted newest
        // first, so once the page is full nearly every later match is older than its worst.
        if self.best.len() >= s.limit
            && let Some(worst) = self.best.peek()
        {
            match s.order {
                Order::Newest => {
                    let high = self.id_high.first(doc).unwrap_or_default();
                    if u128::from(high) < worst.id >> 64 {
                        return;
                    }
                }
                Order::Nearest => {
                    let d2 = distance_squared.unwrap_or(f64::INFINITY);
                    if d2 > worst.distance_squared.unwrap_or(f64::INFINITY) {
                        return;
                    }
                }
                Order::Relevance => {}
            }
        }
        let high = self.id_high.first(doc).unwrap_or_default();
        let low = self.id_low.first(doc).unwrap_or_default();
        let candidate = Candidate {
            order: s.order,
            score: if s.text { integer_score(score) } else { 0 },
            distance_squared,
            id: (u128::from(high) << 64) | u128::from(low),
        };
        if let Some(after) = &s.after
            && candidate.rank(after) != Ordering::Greater
        {
            return;
        }
        if self.best.len() < s.limit {
            self.best.push(candidate);
        } else if let Some(worst) = self.best.peek()
            && candidate.rank(worst) == Ordering::Less
        {
            self.best.pop();
            self.best.push(candidate);
        }
    }

    fn harvest(self) -> SegmentFruit {
        let mut categories = BTreeMap::new();
        let mut modes = BTreeMap::new();
        let name = |column: &Option<StrColumn>, ordinal: usize| {
            let mut text = String::new();
            if let Some(column) = column {
                let _ = column.ord_to_str(ordinal as u64, &mut text);
            }
            text
        };
        for (ordinal, &n) in self.category_counts.iter().enumerate() {
            if n > 0 {
                *categories
                    .entry(name(&self.category_root, ordinal))
                    .or_default() += n;
            }
        }
        for (ordinal, &n) in self.mode_counts.iter().enumerate() {
            if n > 0 {
                *modes.entry(name(&self.exchange_mode, ordinal)).or_default() += n;
            }
        }
        SegmentFruit {
            best: self.best.into_vec(),
            categories,
            modes,
        }
    }
}
