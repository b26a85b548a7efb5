//! Where each French commune is, roughly: the centre of the rectangle that encloses its outline
//! in IGN's ADMIN EXPRESS, as the npm package `@etalab/fr-bounding-boxes` ships the rectangles
//! (data under the Licence Ouverte 2.0, code MIT). Maps place a site that has no coordinates of
//! its own at its commune's centre, without asking any address service over the network.
//!
//! `data/commune-centres.tsv` is derived from that package by
//! `data/refresh-commune-centres.sh` (its header says which version and what was done); it has
//! every commune of [`crate::communes`] but a hundred (overseas collectivities outside ADMIN
//! EXPRESS and mergers undone since 2017). Parsed once, on first use.

use std::collections::HashMap;
use std::sync::LazyLock;

const CENTRES_TSV: &str = include_str!("../data/commune-centres.tsv");

/// A point in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Centre {
    pub latitude: f64,
    pub longitude: f64,
}

static CENTRES: LazyLock<HashMap<&'static str, Centre>> = LazyLock::new(|| {
    CENTRES_TSV
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let insee_code = fields.next()?;
            let latitude = fields.next()?.parse().ok()?;
            let longitude = fields.next()?.parse().ok()?;
            Some((
                insee_code,
                Centre {
                    latitude,
                    longitude,
                },
            ))
        })
        .collect()
});

/// The centre of the current commune with this INSEE code, if the shipped file places it.
pub fn centre(insee_code: &str) -> Option<Centre> {
    CENTRES.get(insee_code.trim()).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_read_and_names_a_current_commune_in_france() {
        let lines = CENTRES_TSV
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .count();
        assert_eq!(CENTRES.len(), lines);
        // All but about a hundred of the 35 000 communes.
        assert!(crate::communes::all().len() - CENTRES.len() < 150);
        for (code, centre) in CENTRES.iter() {
            assert!(crate::communes::commune(code).is_some(), "{code}");
            // From Guadeloupe's longitude to Mayotte's, from La Réunion's latitude to Dunkirk's.
            assert!(
                (-22.0..52.0).contains(&centre.latitude),
                "{code}: {centre:?}"
            );
            assert!(
                (-62.0..56.0).contains(&centre.longitude),
                "{code}: {centre:?}"
            );
        }
    }

    #[test]
    fn a_commune_is_placed_within_its_bounds() {
        // Dijon spans 4.96–5.10 E, 47.29–47.38 N; its town hall is at 47.322 N, 5.041 E.
        let dijon = centre("21231").unwrap();
        assert!((dijon.latitude - 47.322).abs() < 0.02, "{dijon:?}");
        assert!((dijon.longitude - 5.041).abs() < 0.02, "{dijon:?}");
        // Neuilly-Crimolois (2019) takes in Crimolois, which had a rectangle of its own in 2017.
        assert!(centre("21452").is_some());
        assert!(centre("21213").is_none(), "no longer a current commune");
        assert!(centre("").is_none());
    }
}
