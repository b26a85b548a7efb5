//! The engine query of a text over two analysed fields (a title weighted above a body): every
//! query group required, each word exact (BM25) or, in longer words, with one typo scored
//! below any exact match; plus the filters' building blocks, which add nothing to the score.

use tantivy::Term;
use tantivy::query::TermQuery;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query};
use tantivy::schema::{Field, IndexRecordOption};

use crate::analysis::QueryGroup;

/// A title word weighs this many body words.
pub const TITLE_BOOST: f32 = 3.0;
/// What a word matched only with a typo adds to the score (times the field's weight): less
/// than any exact match.
pub const TYPO_SCORE: f32 = 0.001;

/// Documents whose `field` holds exactly `value` (a raw, untokenized field).
pub fn term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// A required clause that does not add to the text score.
pub fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

/// The two analysed fields a text is searched in.
#[derive(Debug, Clone, Copy)]
pub struct TextFields {
    /// Weighted [`TITLE_BOOST`] times the body.
    pub title: Field,
    pub body: Field,
}

impl TextFields {
    /// A word in the title (weighted) or the body.
    pub fn word(&self, word: &str, typo_allowed: bool) -> Box<dyn Query> {
        let mut either: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in [(self.title, TITLE_BOOST), (self.body, 1.0)] {
            let exact = TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            );
            either.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(exact), boost)),
            ));
            if typo_allowed {
                let typo = FuzzyTermQuery::new(Term::from_field_text(field, word), 1, true);
                either.push((
                    Occur::Should,
                    Box::new(ConstScoreQuery::new(Box::new(typo), TYPO_SCORE * boost)),
                ));
            }
        }
        Box::new(BooleanQuery::new(either))
    }

    /// A query group: all its stems, or its synonym concept.
    pub fn group(&self, group: &QueryGroup) -> Box<dyn Query> {
        let stems: Vec<Box<dyn Query>> = group
            .stems
            .iter()
            .map(|s| self.word(&s.stem, s.typo_allowed))
            .collect();
        let own: Box<dyn Query> = if stems.len() == 1 {
            stems.into_iter().next().expect("one stem")
        } else {
            Box::new(BooleanQuery::intersection(stems))
        };
        match &group.concept {
            None => own,
            Some(concept) => Box::new(BooleanQuery::union(vec![own, self.word(concept, false)])),
        }
    }

    /// One required clause per group: the clauses of a text query.
    pub fn clauses(&self, groups: &[QueryGroup]) -> Vec<(Occur, Box<dyn Query>)> {
        groups
            .iter()
            .map(|group| (Occur::Must, self.group(group)))
            .collect()
    }
}
