//! What scoring a new item against its candidates costs, without the database, in a territory
//! of `held` open items (100 000 by default, half outputs, half inputs):
//! `cargo run --release -p synergies-matching --example score_bench [-- <held> <new items>
//! <candidates scored>]`.
//!
//! The items are made from the MAESTRI file (each documented exchange gives an output — the
//! provider's material and EWC code — and an input — the receiver's final use) and, for two
//! in five, from listings of a dozen categories with the words members use, spread over a
//! territory of 30 km. Prints, per new item, the time to find its candidates in the index and
//! score them in full (p50/p90/p99), the index's build time and size, and — against scoring
//! every held item of the other direction — the share of the proposals the index finds.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use synergies_matching::engine::{Candidates, IndexedCandidates, PROPOSALS_PER_ITEM};
use synergies_matching::scoring::{
    Direction, Item, ItemKind, Knowledge, MAESTRI, MaestriRecord, Position, ResourceClass,
    maestri_records, score_prepared,
};

/// A deterministic pseudo-random sequence (no dependency, the same run every time).
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[(self.next() % from.len() as u64) as usize]
    }
}

/// Listings as members write them: category, offer's and request's words.
const LISTINGS: &[(&str, &str, &str)] = &[
    (
        "packaging/pallets",
        "Palettes Europe 80x120 à donner",
        "Cherche palettes bois",
    ),
    (
        "packaging/cardboard",
        "Cartons de déménagement",
        "Besoin de cartons d'expédition",
    ),
    (
        "packaging/film",
        "Film étirable en rouleaux",
        "Recherche film plastique",
    ),
    (
        "packaging/pallet-boxes",
        "Palox en bois",
        "Cherche caisses-palettes",
    ),
    (
        "furniture/office",
        "Chaises de bureau",
        "Bureaux et chaises pour nos locaux",
    ),
    (
        "it-electronics/computers",
        "Ordinateurs portables reconditionnés",
        "Besoin de PC portables",
    ),
    (
        "wood/offcuts",
        "Chutes de chêne",
        "Bois de chauffage pour chaudière",
    ),
    (
        "metals/ferrous",
        "Ferraille et chutes d'acier",
        "Achat de ferraille",
    ),
    (
        "plastics",
        "Bidons plastique PEHD",
        "Cherche fûts et bidons",
    ),
    (
        "textiles",
        "Chutes de tissu coton",
        "Textiles pour chiffons d'essuyage",
    ),
    (
        "organic-food/food",
        "Invendus de boulangerie",
        "Alimentation animale, drêches et pain",
    ),
    (
        "energy/heat",
        "Chaleur fatale à 90 °C",
        "Besoin de chaleur pour serre",
    ),
];

fn flow(
    record: &MaestriRecord,
    direction: Direction,
) -> (String, String, Option<String>, ResourceClass) {
    match direction {
        Direction::Out => (
            record.provider_nace.clone(),
            record.material.clone(),
            Some(record.ewc_code.clone()),
            ResourceClass::Waste,
        ),
        Direction::In => (
            record.receiver_nace.clone(),
            record.final_use.clone(),
            None,
            ResourceClass::Material,
        ),
    }
}

fn items(count: usize, direction: Direction, sequence: &mut Sequence) -> Vec<Item> {
    let records = maestri_records(MAESTRI);
    (0..count)
        .map(|_| {
            let listing = sequence.next() % 5 < 2;
            let (kind, nace, label, category, ewc, class) = if listing {
                let (category, offer, request) = *sequence.pick(LISTINGS);
                let label = if direction == Direction::Out {
                    offer
                } else {
                    request
                };
                let class = ResourceClass::of_listing("goods", category);
                (
                    ItemKind::Listing,
                    String::new(),
                    label.to_owned(),
                    Some(category.to_owned()),
                    None,
                    class,
                )
            } else {
                let (nace, label, ewc, class) = flow(sequence.pick(&records), direction);
                (ItemKind::Flow, nace, label, None, ewc, class)
            };
            Item {
                id: uuid::Uuid::from_u64_pair(sequence.next(), sequence.next()),
                kind,
                tenant: "dijon".into(),
                organisation_id: uuid::Uuid::from_u64_pair(sequence.next() % 5_000, 0),
                organisation_name: String::new(),
                nace,
                direction,
                resource_class: class,
                category,
                ewc_code: ewc,
                label,
                description: String::new(),
                yearly_quantity: None,
                position: Some(Position {
                    latitude: 47.2 + sequence.unit() * 0.27,
                    longitude: 4.9 + sequence.unit() * 0.4,
                }),
                available_from: None,
                available_until: None,
                exchange_mode: None,
            }
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// Resident memory of this process, in MB (Linux).
fn resident_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0 / 1_048_576.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let held: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let new_items: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(400);
    let knowledge = Knowledge::global();
    let mut sequence = Sequence(0x5eed_cafe);
    let outputs = items(held / 2, Direction::Out, &mut sequence);
    let inputs = items(held - held / 2, Direction::In, &mut sequence);
    let fresh: Vec<Item> = items(new_items / 2, Direction::Out, &mut sequence)
        .into_iter()
        .chain(items(
            new_items - new_items / 2,
            Direction::In,
            &mut sequence,
        ))
        .collect();

    let before = resident_mb();
    let started = Instant::now();
    let limit: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(synergies_matching::engine::CANDIDATES_SCORED);
    let mut index = IndexedCandidates::with_limit(limit);
    for item in outputs.iter().chain(&inputs) {
        index.insert(item);
    }
    println!(
        "index of {held} open items: built in {:.1} s, {:.0} MB resident",
        started.elapsed().as_secs_f64(),
        resident_mb() - before
    );

    let (mut times, mut proposed) = (Vec::new(), 0);
    for item in &fresh {
        let started = Instant::now();
        proposed += index.substitutions(item).len();
        times.push(started.elapsed());
    }
    times.sort_unstable();
    println!(
        "new item scored against its candidates: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms ({} new items, {:.1} proposed each)",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times.len(),
        proposed as f64 / fresh.len() as f64
    );

    // Against every held item of the other direction, for a sample of the new items.
    let prepared_outputs: Vec<_> = outputs.iter().map(|i| knowledge.prepare(i)).collect();
    let prepared_inputs: Vec<_> = inputs.iter().map(|i| knowledge.prepare(i)).collect();
    let (mut best_all, mut best_found, mut proposals_all) = (0, 0, 0);
    let mut score_sum = (0.0, 0.0);
    let mut brute_times = Vec::new();
    for item in fresh.iter().step_by((fresh.len() / 40).max(1)) {
        let prepared = knowledge.prepare(item);
        let started = Instant::now();
        let mut every: Vec<(f64, uuid::Uuid)> = match item.direction {
            Direction::Out => prepared_inputs
                .iter()
                .filter_map(|c| Some((score_prepared(&prepared, c, knowledge)?.score, c.item().id)))
                .collect(),
            Direction::In => prepared_outputs
                .iter()
                .filter_map(|c| Some((score_prepared(c, &prepared, knowledge)?.score, c.item().id)))
                .collect(),
        };
        brute_times.push(started.elapsed());
        every.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let by_index = index.substitutions(item);
        // The best as the API lists them: a pair tied with the last of the 20 best counts.
        let cut = every
            .get(PROPOSALS_PER_ITEM - 1)
            .map_or(0.0, |(score, _)| *score);
        let best: BTreeSet<uuid::Uuid> = every
            .iter()
            .take_while(|(score, _)| *score >= cut)
            .map(|(_, id)| *id)
            .collect();
        best_all += every.len().min(PROPOSALS_PER_ITEM);
        best_found += by_index.iter().filter(|(id, _)| best.contains(id)).count();
        score_sum.0 += every
            .iter()
            .take(PROPOSALS_PER_ITEM)
            .map(|(s, _)| s)
            .sum::<f64>();
        score_sum.1 += by_index.iter().map(|(_, s)| s.score).sum::<f64>();
        proposals_all += every.len();
    }
    brute_times.sort_unstable();
    println!(
        "every held item of the other direction scored instead: p50 {:.1} ms per new item, {:.0} pairs above the threshold each; of their {PROPOSALS_PER_ITEM} best, the index proposes {:.1} % ({best_found} of {best_all}); mean score of the proposals {:.3} (index) for {:.3} (every item)",
        percentile(&brute_times, 0.5),
        proposals_all as f64 / brute_times.len() as f64,
        100.0 * best_found as f64 / best_all.max(1) as f64,
        score_sum.1 / best_all.max(1) as f64,
        score_sum.0 / best_all.max(1) as f64,
    );
}
