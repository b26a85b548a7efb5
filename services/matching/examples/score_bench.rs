//! What scoring a new item against its candidates costs, without the database:
//! `cargo run --release -p synergies-matching --example score_bench [-- <candidates> <new items>]`.
//!
//! The items are made from the MAESTRI file (each documented exchange gives an output — the
//! provider's material and EWC code — and an input — the receiver's final use), spread over a
//! territory of 30 km; a new item is scored against `candidates` items of the other direction
//! (2 000 by default, what the store fetches for one item). Prints the time per new item,
//! p50/p90/p99, preparing both items of each pair, and as the store scores (the new item
//! prepared once, the candidates kept prepared by the scorer).

use std::time::{Duration, Instant};

use synergies_matching::engine::{BundledScorer, Scorer};
use synergies_matching::scoring::{
    Direction, Item, ItemKind, Knowledge, MAESTRI, Position, ResourceClass, maestri_records,
    score_substitution,
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
}

fn items(count: usize, direction: Direction, sequence: &mut Sequence) -> Vec<Item> {
    let records = maestri_records(MAESTRI);
    (0..count)
        .map(|_| {
            let record = &records[(sequence.next() % records.len() as u64) as usize];
            let (nace, label, ewc, class) = match direction {
                Direction::Out => (
                    &record.provider_nace,
                    &record.material,
                    Some(record.ewc_code.clone()),
                    ResourceClass::Waste,
                ),
                Direction::In => (
                    &record.receiver_nace,
                    &record.final_use,
                    None,
                    ResourceClass::Material,
                ),
            };
            Item {
                id: uuid::Uuid::from_u64_pair(sequence.next(), sequence.next()),
                kind: ItemKind::Flow,
                tenant: "dijon".into(),
                organisation_id: uuid::Uuid::from_u64_pair(sequence.next() % 5_000, 0),
                organisation_name: String::new(),
                nace: nace.clone(),
                direction,
                resource_class: class,
                category: None,
                ewc_code: ewc,
                label: label.clone(),
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

fn report(what: &str, mut times: Vec<Duration>, proposed: usize) {
    times.sort_unstable();
    println!(
        "{what}: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms per new item ({} new items, {proposed} pairs proposed)",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times.len()
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let candidates: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let new_items: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let knowledge = Knowledge::global();
    let mut sequence = Sequence(0x5eed_cafe);
    let inputs = items(candidates, Direction::In, &mut sequence);
    let outputs = items(new_items, Direction::Out, &mut sequence);

    let (mut times, mut proposed) = (Vec::new(), 0);
    for output in &outputs {
        let started = Instant::now();
        proposed += inputs
            .iter()
            .filter(|input| score_substitution(output, input, knowledge).is_some())
            .count();
        times.push(started.elapsed());
    }
    report(
        &format!("{candidates} candidates, each prepared at every scoring"),
        times,
        proposed,
    );

    // What the store calls: the new item prepared once, the candidates kept prepared by the
    // scorer from one new item to the next (the first new item prepares them).
    let scorer = BundledScorer::default();
    let candidates: Vec<&Item> = inputs.iter().collect();
    scorer.substitutions(&outputs[0], &candidates);
    let (mut times, mut proposed) = (Vec::new(), 0);
    for output in &outputs {
        let started = Instant::now();
        proposed += scorer
            .substitutions(output, &candidates)
            .iter()
            .filter(|s| s.is_some())
            .count();
        times.push(started.elapsed());
    }
    report(
        &format!(
            "{} candidates kept prepared by the scorer",
            candidates.len()
        ),
        times,
        proposed,
    );
}
