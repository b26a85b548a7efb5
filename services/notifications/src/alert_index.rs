//! A territory's saved searches, prepared and indexed so that a publication is compared only
//! with the searches it could fit (pure: no I/O). A search with words is filed under one of
//! its word stems — every word must be in the listing, so a listing without that stem cannot
//! fit it; the stem chosen is the one with the fewest searches so far, to keep lists short. A
//! search without words is filed under its category (a code or a family), and one with
//! neither (a kind alone) is checked against every publication.
//!
//! A publication then looks up its own stems and its category's family chain, and checks
//! only the searches found there in full. Searches are stemmed once, when the index is built.

use std::collections::{HashMap, HashSet};

use crate::saved_search::{Published, SavedSearch, stems};

/// A saved search with its words stemmed.
#[derive(Debug, Clone)]
struct Prepared {
    search: SavedSearch,
    stems: Vec<String>,
}

impl Prepared {
    /// [`SavedSearch::fits`], with the stems computed once.
    fn fits(&self, listing: &Published) -> bool {
        self.search.filters_fit(listing)
            && self.stems.iter().all(|stem| listing.stems.contains(stem))
    }
}

/// Whether `code` is `category` or one of its family's codes (a family is a whole segment).
pub fn in_category(code: &str, category: &str) -> bool {
    code == category
        || code
            .strip_prefix(category)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The saved searches of one territory, indexed.
#[derive(Debug, Default)]
pub struct AlertIndex {
    searches: Vec<Prepared>,
    by_stem: HashMap<String, Vec<u32>>,
    by_category: HashMap<String, Vec<u32>>,
    unfiled: Vec<u32>,
}

impl AlertIndex {
    pub fn new(searches: Vec<SavedSearch>) -> Self {
        let mut index = Self::default();
        for search in searches {
            let position = u32::try_from(index.searches.len()).unwrap_or(u32::MAX);
            let stems: Vec<String> = {
                let mut seen = HashSet::new();
                stems(&search.text)
                    .into_iter()
                    .filter(|stem| seen.insert(stem.clone()))
                    .collect()
            };
            let rarest = stems
                .iter()
                .min_by_key(|stem| index.by_stem.get(*stem).map_or(0, Vec::len));
            if let Some(stem) = rarest {
                index
                    .by_stem
                    .entry(stem.clone())
                    .or_default()
                    .push(position);
            } else if !search.category.is_empty() {
                index
                    .by_category
                    .entry(search.category.clone())
                    .or_default()
                    .push(position);
            } else {
                index.unfiled.push(position);
            }
            index.searches.push(Prepared { search, stems });
        }
        index
    }

    pub fn len(&self) -> usize {
        self.searches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.searches.is_empty()
    }

    /// The saved searches `listing` fits, each once, in the order they were given.
    pub fn matching<'a>(&'a self, listing: &Published) -> Vec<&'a SavedSearch> {
        let families = std::iter::successors(Some(listing.category.as_str()), |code| {
            code.rfind('/').map(|end| &code[..end])
        })
        .filter(|family| !family.is_empty());
        let mut candidates: Vec<u32> = listing
            .stems
            .iter()
            .filter_map(|stem| self.by_stem.get(stem))
            .chain(families.filter_map(|family| self.by_category.get(family)))
            .flatten()
            .chain(&self.unfiled)
            .copied()
            .collect();
        // The listing's words come as a set: sorting makes the answer not depend on its order.
        candidates.sort_unstable();
        candidates
            .into_iter()
            .map(|position| &self.searches[position as usize])
            .filter(|prepared| prepared.fits(listing))
            .map(|prepared| &prepared.search)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn search(text: &str, kind: &str, category: &str) -> SavedSearch {
        crate::saved_search::saved_search(text, kind, category)
    }

    fn listing(title: &str, category: &str) -> Published {
        Published {
            kind: "offer",
            category: category.into(),
            stems: stems(title).into_iter().collect(),
            organisation_id: Some(Uuid::now_v7()),
            exchange_mode: "give".into(),
            insee_code: "21231".into(),
        }
    }

    /// The index answers exactly what checking every search answers.
    #[test]
    fn the_index_finds_what_checking_every_search_finds() {
        let searches = vec![
            search("palette", "", ""),
            search("Palettes bois", "offer", "packaging"),
            search("palette métal", "", ""),
            search("", "", "packaging/pallets"),
            search("", "", "packaging"),
            search("", "", "pack"),
            search("", "request", ""),
            search("", "offer", ""),
            search("carton", "", "packaging"),
            search("bois", "", "wood"),
            SavedSearch {
                exchange_mode: "give".into(),
                insee_code: "21231".into(),
                ..search("palette", "", "")
            },
            SavedSearch {
                exchange_mode: "sell".into(),
                ..search("palette", "", "")
            },
            SavedSearch {
                insee_code: "21054".into(),
                ..search("", "", "packaging")
            },
            SavedSearch {
                free_only: true,
                ..search("palette", "", "")
            },
        ];
        let index = AlertIndex::new(searches.clone());
        for (title, category) in [
            ("Palettes Europe en bois", "packaging/pallets"),
            ("Cartons de déménagement", "packaging/cardboard"),
            ("Chutes de bois", "wood/offcuts"),
            ("Palettes en métal", "metals"),
        ] {
            let published = listing(title, category);
            let mut expected: Vec<Uuid> = searches
                .iter()
                .filter(|s| s.fits(&published))
                .map(|s| s.id)
                .collect();
            let mut found: Vec<Uuid> = index.matching(&published).iter().map(|s| s.id).collect();
            expected.sort();
            found.sort();
            assert_eq!(found, expected, "{title}");
            assert!(!found.is_empty(), "{title}");
        }
    }
}
