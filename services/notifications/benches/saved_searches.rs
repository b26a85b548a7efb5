//! What a publication costs against a territory's saved searches: 10 000 searches of 2 000
//! members (words from a vocabulary of 2 000, kinds, categories and families), each
//! publication checked through the in-memory index the alerts consumer keeps. Also times
//! building the index (done once per change of the territory's searches) and, for comparison,
//! checking every search in turn. Prints percentiles.
//!
//! `cargo bench -p synergies-notifications --bench saved_searches`

use std::time::{Duration, Instant};

use synergies_notifications::alert_index::AlertIndex;
use synergies_notifications::saved_search::{Published, SavedSearch};
use synergies_proto::events::v1 as ev;
use uuid::Uuid;

const SEARCHES: usize = 10_000;
const MEMBERS: usize = 2_000;
const PUBLICATIONS: usize = 2_000;
const VOCABULARY: usize = 2_000;

const CATEGORIES: &[&str] = &[
    "packaging/pallets",
    "packaging/cardboard",
    "packaging/film",
    "furniture/office",
    "it-electronics/screens",
    "it-electronics/computers",
    "lighting/fluorescent-tubes",
    "wood/offcuts",
    "metals/ferrous",
    "plastics",
    "textiles",
    "hygiene-safety/ppe",
    "building-materials",
    "machines-equipment",
];
const WORDS: &[&str] = &[
    "palettes",
    "cartons",
    "film",
    "bureaux",
    "écrans",
    "ordinateurs",
    "tubes",
    "chêne",
    "ferraille",
    "bidons",
    "tissu",
    "gants",
    "parpaings",
    "compresseur",
    "Europe",
    "usagés",
    "neufs",
    "lot",
    "atelier",
    "bois",
    "métal",
    "plastique",
    "chaises",
    "armoires",
    "câbles",
    "étagères",
    "caisses",
    "fûts",
    "sacs",
    "bâches",
    "isolant",
    "tuiles",
    "briques",
    "vis",
    "moteurs",
    "pompes",
    "tables",
    "lampes",
    "claviers",
    "serveurs",
];

/// A small deterministic generator (no dependency): xorshift.
struct Draw(u64);

impl Draw {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }
}

/// The vocabulary searches and listings draw from: the platform's words, then made-up ones
/// (material references, brands, places) so that a listing fits as few searches as in life.
fn vocabulary() -> Vec<String> {
    WORDS
        .iter()
        .map(|&word| word.to_owned())
        .chain((0..VOCABULARY - WORDS.len()).map(|n| format!("ref{n}q")))
        .collect()
}

fn searches(draw: &mut Draw, words: &[String]) -> Vec<SavedSearch> {
    let members: Vec<(Uuid, Uuid)> = (0..MEMBERS)
        .map(|_| (Uuid::now_v7(), Uuid::now_v7()))
        .collect();
    let word = |draw: &mut Draw| words[draw.next(words.len())].clone();
    (0..SEARCHES)
        .map(|_| {
            let (user_id, organisation_id) = members[draw.next(MEMBERS)];
            // Half name one word, some two, some a word in a category, a few a category or a
            // family alone, one in a hundred a kind alone.
            let shape = draw.next(100);
            let text = match shape {
                0..=49 | 80..=89 => word(draw),
                50..=79 => format!("{} {}", word(draw), word(draw)),
                _ => String::new(),
            };
            let category = CATEGORIES[draw.next(CATEGORIES.len())];
            let category = match shape {
                80..=96 => category.to_owned(),
                97..=98 => category.split('/').next().unwrap_or_default().to_owned(),
                _ => String::new(),
            };
            let kind = match (shape, draw.next(3)) {
                (99, 0) => "request",
                (99, _) | (_, 0) => "offer",
                _ => "",
            };
            SavedSearch {
                id: Uuid::now_v7(),
                tenant: "dijon".into(),
                user_id,
                organisation_id,
                text,
                kind: kind.into(),
                category,
                created_at: synergies_platform::time::now(),
                exchange_mode: String::new(),
                insee_code: String::new(),
                free_only: false,
                sort: String::new(),
            }
        })
        .collect()
}

/// A listing of a title of 4 words and a description of 25.
fn publication(draw: &mut Draw, words: &[String]) -> Published {
    let mut pick = |count: usize| {
        (0..count)
            .map(|_| words[draw.next(words.len())].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let title = pick(4);
    let description = pick(25);
    let event = ev::ListingPublished {
        listing_id: Uuid::now_v7().to_string(),
        organisation_id: Uuid::now_v7().to_string(),
        kind: if draw.next(4) == 0 {
            ev::ListingKind::Request.into()
        } else {
            ev::ListingKind::Offer.into()
        },
        category: CATEGORIES[draw.next(CATEGORIES.len())].into(),
        title,
        description,
        exchange_mode: "give".into(),
        ..Default::default()
    };
    Published::of(&event)
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "| {name} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
        samples.len(),
        ms(at(0.50)),
        ms(at(0.90)),
        ms(at(0.99)),
        ms(*samples.last().unwrap())
    );
}

fn main() {
    let mut draw = Draw(0x5eed_1234_abcd_0042);
    let words = vocabulary();
    let all = searches(&mut draw, &words);
    let publications: Vec<Published> = (0..PUBLICATIONS)
        .map(|_| publication(&mut draw, &words))
        .collect();

    let mut builds = Vec::new();
    let mut index = AlertIndex::default();
    for _ in 0..20 {
        let started = Instant::now();
        index = AlertIndex::new(all.clone());
        builds.push(started.elapsed());
    }
    assert_eq!(index.len(), SEARCHES);

    let mut matched = 0;
    let mut indexed = Vec::with_capacity(PUBLICATIONS);
    for published in &publications {
        let started = Instant::now();
        let found = index.matching(published);
        indexed.push(started.elapsed());
        matched += found.len();
    }

    // The same answers by checking every search (what evaluation did before the index).
    let mut scanned = Vec::with_capacity(PUBLICATIONS / 10);
    for published in publications.iter().take(PUBLICATIONS / 10) {
        let started = Instant::now();
        let found = all.iter().filter(|s| s.fits(published)).count();
        scanned.push(started.elapsed());
        assert_eq!(found, index.matching(published).len());
    }

    println!("{SEARCHES} saved searches of {MEMBERS} members, {PUBLICATIONS} publications");
    println!("| measurement | samples | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    report("one publication, indexed", indexed);
    report("one publication, every search checked", scanned);
    report("building the index of 10 000 searches", builds);
    println!(
        "searches fitted per publication: {:.1}",
        matched as f64 / PUBLICATIONS as f64
    );
}
