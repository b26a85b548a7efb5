//! Leave-one-case-out replay of the MAESTRI exchanges: how often the scorer puts the documented
//! receiver of an output among its first proposals, when it has never seen the case.
//!
//! For each case, the knowledge is learned from the other cases only (and the curated routes).
//! For each documented exchange of the case, the provider's output is scored against every input
//! of the case and against distractors, the inputs of other cases. What each side shows:
//! - the output: the provider's NACE code, the material's name and its waste code, class
//!   `waste`; nothing of the receiver;
//! - an input: the receiver's NACE code and the final use ("Raw material", "Fuel",
//!   "Animal feeding"…) as its label, class `energy` when the final use speaks of fuel or heat,
//!   `material` otherwise; never the material exchanged.
//!
//! Ties count as a random draw among the tied candidates (the expected recall is reported), so
//! identical-looking candidates neither help nor flatter the figure.

use std::collections::{BTreeMap, BTreeSet};

use super::knowledge::{Side, View};
use super::substitution::assess_views;
use super::text::term_set;
use super::{Direction, Item, ItemKind, Knowledge, MaestriRecord, ResourceClass, SCORE_THRESHOLD};

/// How the replay is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Inputs from other cases added to each case's candidates.
    pub distractors: usize,
    /// Whether the curated routes are part of the knowledge.
    pub curated_routes: bool,
    /// Whether the other documented receivers of the same output (same provider, same
    /// material) are left out of its ranking, as in filtered link-prediction ranking: they are
    /// right answers too, not mistakes.
    pub filtered: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            distractors: 30,
            curated_routes: true,
            filtered: false,
        }
    }
}

/// The figures of one replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub queries: usize,
    pub recall_at_1: f64,
    pub recall_at_3: f64,
    pub recall_at_10: f64,
    /// Mean number of candidates ranked per query.
    pub mean_candidates: f64,
    /// Share of true pairs whose score passes the proposal threshold.
    pub above_threshold: f64,
    /// Share of the distractors (inputs of other cases) whose score passes the threshold.
    pub distractors_above_threshold: f64,
    /// The queries whose true receiver was not in the first three, for the failure analysis.
    pub misses: Vec<Miss>,
}

/// A query whose true receiver ranked below third.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    pub case: String,
    pub exchange_id: String,
    pub output: String,
    pub receiver: String,
    pub expected_rank: f64,
    pub ranked_first: String,
}

/// A receiver's input as the scorer sees it, and who it really is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct InputKey {
    case: String,
    receiver_nace: String,
    receiver_industry: String,
    receiver_company: String,
    final_use: String,
}

impl InputKey {
    fn of(record: &MaestriRecord) -> Self {
        Self {
            case: record.case.clone(),
            receiver_nace: record.receiver_nace.clone(),
            receiver_industry: record.receiver_industry.clone(),
            receiver_company: record.receiver_company.clone(),
            final_use: record.final_use.clone(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} ({}) as {}",
            self.receiver_industry, self.receiver_nace, self.final_use
        )
    }
}

/// Replays every case of `records` (learning from the others) with the curated routes `curated`.
pub fn evaluate(records: &[MaestriRecord], curated: &str, options: Options) -> Report {
    let cases: BTreeSet<&str> = records.iter().map(|r| r.case.as_str()).collect();
    let all_inputs: BTreeSet<InputKey> = records.iter().map(InputKey::of).collect();
    let input_items: BTreeMap<&InputKey, Item> = all_inputs
        .iter()
        .map(|key| (key, input_item(key)))
        .collect();

    let mut hits = [0.0_f64; 3];
    let mut queries = 0_usize;
    let mut candidates_total = 0_usize;
    let mut above = 0_usize;
    let (mut distractor_pairs, mut distractors_above) = (0_usize, 0_usize);
    let mut misses = Vec::new();
    for case in cases {
        let learned_records: Vec<&MaestriRecord> =
            records.iter().filter(|r| r.case != case).collect();
        let learned: Vec<_> = learned_records.iter().map(|r| r.known_exchange()).collect();
        let knowledge =
            Knowledge::learned_from(&learned, if options.curated_routes { curated } else { "" });
        let mut candidates: Vec<&InputKey> = all_inputs.iter().filter(|k| k.case == case).collect();
        let mut others: Vec<&InputKey> = all_inputs.iter().filter(|k| k.case != case).collect();
        others.sort_by_key(|key| fnv(&format!("{case}|{}", key.describe())));
        candidates.extend(others.into_iter().take(options.distractors));
        // A distractor is scored without the exchanges of its own case, as the true receiver
        // is: no candidate is recognised from its own documented exchange.
        let views: Vec<(&InputKey, View)> = candidates
            .iter()
            .map(|key| {
                let mut view = knowledge.view(&input_items[key], Side::Input);
                view.forget_exchanges(|index| learned_records[index].case == key.case);
                (*key, view)
            })
            .collect();

        for record in records.iter().filter(|r| r.case == case) {
            let truth = InputKey::of(record);
            let output = output_item(record);
            let out_view = knowledge.view(&output, Side::Output);
            // Other documented receivers of the same output, for the filtered ranking.
            let also_right: BTreeSet<InputKey> = records
                .iter()
                .filter(|r| {
                    r.case == case
                        && r.provider_company == record.provider_company
                        && r.provider_nace == record.provider_nace
                        && (r.material == record.material || r.ewc_code == record.ewc_code)
                })
                .map(InputKey::of)
                .filter(|key| *key != truth)
                .collect();
            let mut true_score = None;
            let mut others = Vec::new();
            for (key, view) in &views {
                let assessment = assess_views(&out_view, view, &knowledge);
                if **key == truth {
                    true_score = Some(assessment.raw_score);
                    if assessment.score >= SCORE_THRESHOLD {
                        above += 1;
                    }
                } else if !(options.filtered && also_right.contains(key)) {
                    if key.case != case {
                        distractor_pairs += 1;
                        distractors_above += usize::from(assessment.score >= SCORE_THRESHOLD);
                    }
                    others.push((assessment.raw_score, *key));
                }
            }
            let Some(true_score) = true_score else {
                continue;
            };
            queries += 1;
            candidates_total += others.len() + 1;
            let better = others
                .iter()
                .filter(|(s, _)| *s > true_score + 1e-12)
                .count();
            let tied = others
                .iter()
                .filter(|(s, _)| (*s - true_score).abs() <= 1e-12)
                .count();
            for (slot, k) in [1_usize, 3, 10].into_iter().enumerate() {
                hits[slot] += expected_hit(k, better, tied);
            }
            let expected_rank = better as f64 + 1.0 + tied as f64 / 2.0;
            if expected_hit(3, better, tied) < 1.0 {
                let first = others
                    .iter()
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, key)| key.describe())
                    .unwrap_or_default();
                misses.push(Miss {
                    case: case.to_owned(),
                    exchange_id: record.exchange_id.clone(),
                    output: format!(
                        "{} ({}) from {} ({})",
                        record.material,
                        record.ewc_code,
                        record.provider_industry,
                        record.provider_nace
                    ),
                    receiver: truth.describe(),
                    expected_rank,
                    ranked_first: first,
                });
            }
        }
    }
    let share = |count: f64| {
        if queries == 0 {
            0.0
        } else {
            count / queries as f64
        }
    };
    Report {
        queries,
        recall_at_1: share(hits[0]),
        recall_at_3: share(hits[1]),
        recall_at_10: share(hits[2]),
        mean_candidates: share(candidates_total as f64),
        above_threshold: share(above as f64),
        distractors_above_threshold: if distractor_pairs == 0 {
            0.0
        } else {
            distractors_above as f64 / distractor_pairs as f64
        },
        misses,
    }
}

/// The chance that the true candidate is in the first `k` when `better` candidates score above
/// it and `tied` others score the same (ties drawn at random).
fn expected_hit(k: usize, better: usize, tied: usize) -> f64 {
    if k <= better {
        0.0
    } else {
        ((k - better) as f64 / (tied + 1) as f64).min(1.0)
    }
}

/// FNV-1a, a hash that stays the same across platforms and compiler versions.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn uuid_of(text: &str) -> uuid::Uuid {
    uuid::Uuid::from_u64_pair(fnv(text), fnv(&format!("{text}#")))
}

/// The provider's output: its activity, the material's name and waste code.
fn output_item(record: &MaestriRecord) -> Item {
    let organisation = format!(
        "{}|{}|{}",
        record.case, record.provider_industry, record.provider_company
    );
    Item {
        id: uuid_of(&format!("out|{}", record.exchange_id)),
        kind: ItemKind::Flow,
        tenant: "maestri".to_owned(),
        organisation_id: uuid_of(&organisation),
        organisation_name: record.provider_industry.clone(),
        nace: record.provider_nace.clone(),
        direction: Direction::Out,
        resource_class: ResourceClass::Waste,
        category: None,
        ewc_code: Some(record.ewc_code.clone()),
        label: record.material.clone(),
        description: String::new(),
        yearly_quantity: None,
        position: None,
        available_from: None,
        available_until: None,
        exchange_mode: None,
    }
}

/// A receiver's input: its activity and the final use, never the material.
fn input_item(key: &InputKey) -> Item {
    let organisation = format!(
        "{}|{}|{}",
        key.case, key.receiver_industry, key.receiver_company
    );
    let use_terms = term_set(super::text::stems(&key.final_use));
    let energy = ["fuel", "heat", "energy", "steam"]
        .iter()
        .any(|word| use_terms.contains(*word));
    Item {
        id: uuid_of(&format!("in|{}", key.describe())),
        kind: ItemKind::Flow,
        tenant: "maestri".to_owned(),
        organisation_id: uuid_of(&organisation),
        organisation_name: key.receiver_industry.clone(),
        nace: key.receiver_nace.clone(),
        direction: Direction::In,
        resource_class: if energy {
            ResourceClass::Energy
        } else {
            ResourceClass::Material
        },
        category: None,
        ewc_code: None,
        label: key.final_use.clone(),
        description: String::new(),
        yearly_quantity: None,
        position: None,
        available_from: None,
        available_until: None,
        exchange_mode: None,
    }
}
