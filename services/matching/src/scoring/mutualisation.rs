//! Mutualisation: three or more organisations close to one another with items of the same nature
//! and direction — the same waste to collect, the same input to buy, the same service or skill
//! needed — proposed as one group. Rules in `README.md`.

use std::collections::{BTreeMap, BTreeSet};

use synergies_platform::i18n::Text;

use super::codes::WasteCode;
use super::substitution::haversine_km;
use super::text;
use super::{Direction, Item, Knowledge, MutualisationGroup, PoolKind, ResourceClass};

/// A group needs at least this many distinct organisations.
pub const MINIMUM_ORGANISATIONS: usize = 3;

/// The groups of at least three organisations within `radius_km` of a member (the group's
/// centre) that could pool something. Items without a position cannot be placed and are left
/// out. The output is the same for the same items in any order; adding an item that fits a
/// group adds it to that group.
pub fn mutualisation_groups(
    items: &[Item],
    radius_km: f64,
    knowledge: &Knowledge,
) -> Vec<MutualisationGroup> {
    // Buckets of items that pool the same thing, in one tenant.
    let mut buckets: BTreeMap<(String, PoolKind, Direction, String), Vec<&Item>> = BTreeMap::new();
    for item in items.iter().filter(|item| item.position.is_some()) {
        if let Some((kind, key)) = pool_of(item, knowledge) {
            buckets
                .entry((item.tenant.clone(), kind, item.direction, key))
                .or_default()
                .push(item);
        }
    }
    let mut groups = Vec::new();
    for ((_, kind, direction, key), mut bucket) in buckets {
        bucket.sort_by_key(|item| item.id);
        bucket.dedup_by_key(|item| item.id);
        while let Some(members) = best_cluster(&bucket, radius_km) {
            let chosen: BTreeSet<uuid::Uuid> = members.iter().map(|item| item.id).collect();
            let resource_class = dominant_class(&members);
            let organisations = members
                .iter()
                .map(|item| item.organisation_id)
                .collect::<BTreeSet<_>>()
                .len();
            groups.push(MutualisationGroup {
                kind,
                direction,
                resource_class,
                explanation: explain(kind, &key, organisations, radius_km, &members),
                key: key.clone(),
                members: chosen.iter().copied().collect(),
            });
            bucket.retain(|item| !chosen.contains(&item.id));
        }
    }
    groups.sort_by(|a, b| {
        (a.kind, &a.key, a.members.first()).cmp(&(b.kind, &b.key, b.members.first()))
    });
    groups
}

/// What an item would pool, and under which key: its waste code, its listing category (through
/// the waste code the category stands for, so that a listing and a flow meet), or the main
/// word of its label.
pub fn pool_of(item: &Item, knowledge: &Knowledge) -> Option<(PoolKind, String)> {
    use ResourceClass::{
        ByProduct, Energy, Equipment, Logistics, Material, Service, Skill, Space, Waste, Water,
    };
    let kind = match (item.direction, item.resource_class) {
        (Direction::Out, Waste | ByProduct | Material | Equipment) => PoolKind::Collection,
        (Direction::In, Service | Skill | Logistics | Space) => PoolKind::SharedService,
        (Direction::In, Material | Waste | ByProduct | Energy | Water | Equipment) => {
            PoolKind::Purchasing
        }
        _ => return None,
    };
    if let Some(code) = item.ewc_code.as_deref().and_then(WasteCode::parse) {
        return Some((kind, format!("ewc:{}", code.code)));
    }
    let view = knowledge.view(item, super::knowledge::Side::Neither);
    if kind == PoolKind::Collection
        && let [code, ..] = view.category_wastes.as_slice()
    {
        return Some((kind, format!("ewc:{}", code.code)));
    }
    if let Some(category) = &item.category {
        return Some((kind, format!("cat:{category}")));
    }
    let main_term = knowledge
        .synonyms
        .terms(&item.label)
        .into_iter()
        .find(|term| text::weight(term) >= 1.0 && !term.chars().all(|c| c.is_ascii_digit()))?;
    Some((kind, format!("term:{main_term}")))
}

/// The largest set of items within `radius_km` of one of them that spans at least three
/// organisations; ties go to the centre with the smallest id, so the answer is deterministic.
fn best_cluster<'a>(bucket: &[&'a Item], radius_km: f64) -> Option<Vec<&'a Item>> {
    let mut best: Option<(usize, usize, Vec<&'a Item>)> = None;
    for centre in bucket {
        let Some(here) = centre.position else {
            continue;
        };
        let members: Vec<&Item> = bucket
            .iter()
            .copied()
            .filter(|item| {
                item.position
                    .is_some_and(|p| haversine_km(here, p) <= radius_km)
            })
            .collect();
        let organisations = members
            .iter()
            .map(|item| item.organisation_id)
            .collect::<BTreeSet<_>>()
            .len();
        let better = best
            .as_ref()
            .is_none_or(|(orgs, count, _)| (organisations, members.len()) > (*orgs, *count));
        if organisations >= MINIMUM_ORGANISATIONS && better {
            best = Some((organisations, members.len(), members));
        }
    }
    best.map(|(_, _, members)| members)
}

fn dominant_class(members: &[&Item]) -> ResourceClass {
    let mut counts: BTreeMap<ResourceClass, usize> = BTreeMap::new();
    for item in members {
        *counts.entry(item.resource_class).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map_or(ResourceClass::Material, |(class, _)| class)
}

fn explain(
    kind: PoolKind,
    key: &str,
    organisations: usize,
    radius_km: f64,
    members: &[&Item],
) -> Text {
    let label = members.first().map_or("", |item| item.label.as_str());
    let (what_fr, what_en) = if let Some(("ewc", code)) = key.split_once(':') {
        let display = WasteCode::parse(code).map_or_else(|| code.to_owned(), |c| c.display());
        (
            format!("« {label} » (code déchet {display})"),
            format!("\"{label}\" (waste code {display})"),
        )
    } else {
        (format!("« {label} »"), format!("\"{label}\""))
    };
    let radius = radius_km.round();
    let (fr, en) = match kind {
        PoolKind::Collection => (
            format!(
                "{organisations} organisations à moins de {radius} km produisent le même déchet ou la même ressource, {what_fr} : une collecte commune réduit le coût de l'enlèvement et peut ouvrir une filière de valorisation."
            ),
            format!(
                "{organisations} organisations within {radius} km let go of the same waste or resource, {what_en}: a pooled collection lowers the cost of removal and can open a recovery outlet."
            ),
        ),
        PoolKind::Purchasing => (
            format!(
                "{organisations} organisations à moins de {radius} km achètent la même ressource, {what_fr} : un achat groupé ou un approvisionnement commun."
            ),
            format!(
                "{organisations} organisations within {radius} km buy the same resource, {what_en}: pooled purchasing or a shared supply."
            ),
        ),
        PoolKind::SharedService => (
            format!(
                "{organisations} organisations à moins de {radius} km ont besoin du même service, {what_fr} : un service partagé, une formation commune ou un prestataire unique."
            ),
            format!(
                "{organisations} organisations within {radius} km need the same service, {what_en}: a shared service, joint training or a single provider."
            ),
        ),
    };
    Text::new(en, fr)
}
