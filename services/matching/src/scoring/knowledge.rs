//! What the scorer knows about which outputs feed which inputs: documented exchanges (learned
//! from MAESTRI, compared case by case) and curated routes from the literature, plus the synonym
//! file and the correspondence between listing categories and waste codes.

use std::collections::BTreeMap;

use super::codes::{WasteCode, nace_closeness, nace_codes};
use super::text::{self, Synonyms, TermSet, term_set};
use super::{Item, KnownExchange, ResourceClass};

const ROUTES: &str = include_str!("../../data/routes.tsv");
const CATEGORIES: &str = include_str!("../../data/categories.tsv");
/// The MAESTRI exchanges, shipped with the code.
pub const MAESTRI: &str = include_str!("../../data/maestri-exchanges.csv");

/// The summed support of documented exchanges that makes the learned part of the activity
/// factor about 0.63 (one exchange matching at both ends).
const LEARNED_SCALE: f64 = 1.0;
/// How much the documented exchanges other than the best one add to the support.
const OTHER_SUPPORTS: f64 = 0.3;

/// What the scorer knows about which activities' outputs feed which activities' inputs.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    pub(crate) synonyms: Synonyms,
    exchanges: Vec<LearnedExchange>,
    /// The positions of `exchanges`, the exchanges of each study together.
    by_case: Vec<usize>,
    routes: Vec<Route>,
    /// Category code → (waste codes, concept).
    categories: BTreeMap<String, (Vec<WasteCode>, Option<String>)>,
    /// NACE code (digits) → the terms of its title and of what it includes.
    activities: BTreeMap<String, std::sync::Arc<TermSet>>,
}

/// A documented exchange as compared with a pair of items.
#[derive(Debug, Clone)]
pub(crate) struct LearnedExchange {
    provider: Vec<String>,
    receiver: Vec<String>,
    waste: Option<WasteCode>,
    material: TermSet,
    final_use: TermSet,
    pub(crate) material_label: String,
    pub(crate) final_use_label: String,
    /// Index of the study that documents it (see [`KnownExchange::case`]).
    case: usize,
}

/// A curated output → input route.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    from: Vec<Condition>,
    to: Vec<Condition>,
    pub(crate) strength: f64,
    pub(crate) why_fr: String,
    pub(crate) why_en: String,
    pub(crate) source: String,
}

#[derive(Debug, Clone)]
enum Condition {
    Ewc(String),
    Nace(String),
    Category(String),
    Class(ResourceClass),
    Term(String),
}

/// An item as the knowledge compares it: codes parsed and text normalised once.
#[derive(Debug, Clone)]
pub(crate) struct View<'a> {
    /// Borrowed when an item is scored once; owned when a prepared item is kept (candidates
    /// scored against many new items).
    pub(crate) item: std::borrow::Cow<'a, Item>,
    pub(crate) nace: Vec<String>,
    pub(crate) waste: Option<WasteCode>,
    pub(crate) terms: TermSet,
    /// The weighted norm of `terms` (see [`text::norm`]).
    pub(crate) terms_norm: f64,
    /// Waste codes that the item's listing category stands for.
    pub(crate) category_wastes: Vec<WasteCode>,
    /// The words of the organisation's activity (NACE title and what it includes).
    pub(crate) activity_terms: std::sync::Arc<TermSet>,
    /// The documented exchanges the item looks like at all: how much it looks like their
    /// provider's output (an output's view) or their receiver's input (an input's view). Only
    /// the exchanges it resembles, in the order of `Knowledge::by_case`: a pair is compared on
    /// the few exchanges both resemble, not on every exchange.
    profile: Vec<Resemblance>,
    /// The curated routes that hold for the item, by position in `Knowledge::routes`: those
    /// it can start (an output's view) or end (an input's view).
    routes: Vec<RouteEnd>,
}

/// How much an item looks like one end of a documented exchange.
#[derive(Debug, Clone, Copy)]
struct Resemblance {
    /// Position of the exchange in `Knowledge::by_case`.
    order: u32,
    /// Index of the exchange in `Knowledge::exchanges`.
    exchange: u32,
    value: f64,
}

/// A curated route an item can start, or end through what it states (`by_content`) or only
/// through its organisation's trade (`by_trade`).
#[derive(Debug, Clone, Copy)]
struct RouteEnd {
    route: u32,
    by_content: bool,
    by_trade: bool,
}

/// How much the trade of the receiving organisation counts, alone, for an input that states
/// what it needs (see [`Knowledge::activity`]).
const TRADE_ONLY_WEIGHT: f64 = 0.3;

impl View<'_> {
    /// The same view, owning its item: to be kept beyond the item it was made from.
    pub(crate) fn into_owned(self) -> View<'static> {
        View {
            item: std::borrow::Cow::Owned(self.item.into_owned()),
            nace: self.nace,
            waste: self.waste,
            terms: self.terms,
            terms_norm: self.terms_norm,
            category_wastes: self.category_wastes,
            activity_terms: self.activity_terms,
            profile: self.profile,
            routes: self.routes,
        }
    }

    /// How much the trade of an input's organisation counts alone (see [`Knowledge::activity`]).
    pub(crate) fn trade_weight(&self) -> f64 {
        if self.states_its_need() {
            TRADE_ONLY_WEIGHT
        } else {
            1.0
        }
    }

    /// The documented exchanges the item resembles (index in the knowledge, resemblance).
    pub(crate) fn resemblances(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.profile.iter().map(|r| (r.exchange, r.value))
    }

    /// The curated routes the item starts or ends (index, by what it states, by its trade).
    pub(crate) fn route_ends(&self) -> impl Iterator<Item = (u32, bool, bool)> + '_ {
        self.routes
            .iter()
            .map(|end| (end.route, end.by_content, end.by_trade))
    }

    /// The input says what it needs beyond its organisation's trade: a listing category, a
    /// waste code, or a description.
    fn states_its_need(&self) -> bool {
        self.item.category.is_some()
            || self.waste.is_some()
            || !self.item.description.trim().is_empty()
    }

    /// Forgets the documented exchanges at the given positions (the evaluation scores a
    /// distractor without the exchanges of its own case).
    pub(crate) fn forget_exchanges(&mut self, forget: impl Fn(usize) -> bool) {
        self.profile
            .retain(|resemblance| !forget(resemblance.exchange as usize));
    }
}

/// Which end of an exchange an item is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Output,
    Input,
    /// Neither: only the codes and words are needed (mutualisation).
    Neither,
}

/// Where the activity factor comes from, for the explanation.
#[derive(Debug, Clone)]
pub(crate) enum Evidence<'k> {
    Route(&'k Route),
    Exchange(&'k LearnedExchange),
}

static BUNDLED: std::sync::LazyLock<Knowledge> = std::sync::LazyLock::new(Knowledge::bundled);

impl Knowledge {
    /// The bundled knowledge, read once per process (reading it takes milliseconds: keep one).
    pub fn global() -> &'static Knowledge {
        &BUNDLED
    }

    /// The knowledge shipped with the code: the MAESTRI exchanges and the curated routes.
    pub fn bundled() -> Knowledge {
        let exchanges: Vec<KnownExchange> = maestri_records(MAESTRI)
            .iter()
            .map(MaestriRecord::known_exchange)
            .collect();
        Self::learned_from(&exchanges, ROUTES)
    }

    /// Knowledge from the given exchanges and curated routes (`routes.tsv` format). Lines of the
    /// curated text that do not parse are skipped (a unit test keeps the shipped file clean).
    pub fn learned_from(exchanges: &[KnownExchange], curated: &str) -> Knowledge {
        let synonyms = Synonyms::bundled();
        let mut cases: BTreeMap<&str, usize> = BTreeMap::new();
        for exchange in exchanges {
            let next = cases.len();
            cases.entry(exchange.case.as_str()).or_insert(next);
        }
        let exchanges = exchanges
            .iter()
            .map(|exchange| LearnedExchange {
                case: cases[exchange.case.as_str()],
                provider: nace_codes(&exchange.provider_nace),
                receiver: nace_codes(&exchange.receiver_nace),
                waste: WasteCode::parse(&exchange.ewc_code),
                material: term_set(synonyms.terms(&exchange.material)),
                final_use: term_set(synonyms.terms(&exchange.final_use)),
                material_label: exchange.material.clone(),
                final_use_label: exchange.final_use.clone(),
            })
            .collect::<Vec<_>>();
        let mut by_case: Vec<usize> = (0..exchanges.len()).collect();
        by_case.sort_by_key(|&index| exchanges[index].case);
        let routes = parse_routes(curated, &synonyms)
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        let categories = CATEGORIES
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .map(|line| {
                let mut fields = line.split('\t');
                let code = fields.next().unwrap_or_default().to_owned();
                let wastes = fields
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(WasteCode::parse)
                    .collect();
                let concept = fields
                    .next()
                    .and_then(|c| synonyms.terms(c).into_iter().next());
                (code, (wastes, concept))
            })
            .collect();
        let activities = synergies_codes::nace::ACTIVITIES
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let code = fields.next()?.to_owned();
                let title = fields.next().unwrap_or_default();
                let includes = fields.next().unwrap_or_default();
                Some((
                    code,
                    std::sync::Arc::new(term_set(synonyms.terms(&format!("{title} {includes}")))),
                ))
            })
            .collect();
        Knowledge {
            synonyms,
            exchanges,
            by_case,
            routes,
            categories,
            activities,
        }
    }

    /// The strength of the curated route at `index` (see [`View::route_ends`]).
    pub(crate) fn route_strength(&self, index: u32) -> f64 {
        self.routes
            .get(index as usize)
            .map_or(0.0, |route| route.strength)
    }

    /// The item with its codes parsed and its text normalised.
    pub(crate) fn view<'a>(&self, item: &'a Item, side: Side) -> View<'a> {
        let mut terms = term_set(
            self.synonyms
                .terms(&format!("{} {}", item.label, item.description)),
        );
        let mut category_wastes = Vec::new();
        if let Some(category) = &item.category
            && let Some((wastes, concept)) = self.category(category)
        {
            category_wastes.clone_from(wastes);
            if let Some(concept) = concept {
                terms.insert(concept.clone());
            }
        }
        let nace = nace_codes(&item.nace);
        // Shared with the knowledge when the organisation has one activity (most do): a
        // territory's items held prepared would otherwise each copy their trade's words.
        let activities: Vec<&std::sync::Arc<TermSet>> = nace
            .iter()
            .filter_map(|code| self.activities.get(code))
            .collect();
        let activity_terms = match activities.as_slice() {
            [one] => std::sync::Arc::clone(one),
            several => {
                std::sync::Arc::new(several.iter().flat_map(|set| set.iter()).cloned().collect())
            }
        };
        let mut view = View {
            item: std::borrow::Cow::Borrowed(item),
            activity_terms,
            nace,
            waste: item.ewc_code.as_deref().and_then(WasteCode::parse),
            terms_norm: text::norm(&terms),
            terms,
            category_wastes,
            profile: Vec::new(),
            routes: Vec::new(),
        };
        let resemblance = |exchange: &LearnedExchange| match side {
            Side::Output => exchange.giver(&view),
            Side::Input => exchange.taker(&view),
            Side::Neither => 0.0,
        };
        view.profile = self
            .by_case
            .iter()
            .enumerate()
            .filter_map(|(order, &index)| {
                let value = resemblance(&self.exchanges[index]);
                (value > 0.0).then_some(Resemblance {
                    order: order as u32,
                    exchange: index as u32,
                    value,
                })
            })
            .collect();
        view.routes = self
            .routes
            .iter()
            .enumerate()
            .filter_map(|(index, route)| {
                let end = match side {
                    Side::Output => RouteEnd {
                        route: index as u32,
                        by_content: route.from.iter().any(|c| c.holds(&view)),
                        by_trade: false,
                    },
                    Side::Input => RouteEnd {
                        route: index as u32,
                        by_content: route
                            .to
                            .iter()
                            .any(|c| !matches!(c, Condition::Nace(_)) && c.holds(&view)),
                        by_trade: route
                            .to
                            .iter()
                            .any(|c| matches!(c, Condition::Nace(_)) && c.holds(&view)),
                    },
                    Side::Neither => return None,
                };
                (end.by_content || end.by_trade).then_some(end)
            })
            .collect();
        view
    }

    /// A category's waste codes and concept, or its nearest ancestor's.
    fn category(&self, code: &str) -> Option<&(Vec<WasteCode>, Option<String>)> {
        let mut code = code;
        loop {
            if let Some(found) = self.categories.get(code) {
                return Some(found);
            }
            code = code.rsplit_once('/')?.0;
        }
    }

    /// The most specific listing category that stands for the waste `ewc_code` ("150103"),
    /// so that a diagnosed flow can be weighed with the categories' impact factors.
    pub fn category_of_waste(&self, ewc_code: &str) -> Option<&str> {
        let waste = WasteCode::parse(ewc_code)?;
        self.categories
            .iter()
            .filter(|(_, (wastes, _))| wastes.iter().any(|w| w.code == waste.code))
            .max_by_key(|(code, _)| (code.matches('/').count(), std::cmp::Reverse(*code)))
            .map(|(code, _)| code.as_str())
    }

    /// How strongly what is known says that `output` feeds `input`, in [0, 1], and the best
    /// piece of evidence for it.
    pub(crate) fn activity(&self, output: &View, input: &View) -> (f64, Option<Evidence<'_>>) {
        // An input that says what it needs is matched on what it says: that its organisation's
        // trade takes such outputs elsewhere (a recycler takes used oil) is weak evidence when
        // it asks here for office furniture. An input that says nothing more than its trade
        // (the documented exchanges' "raw material") keeps the trade's full weight.
        let trade_weight = input.trade_weight();
        let mut best_route: Option<(f64, &Route)> = None;
        // Both lists are in route order: the routes the output starts that the input ends.
        let mut ends = input.routes.iter().peekable();
        for start in &output.routes {
            while ends.next_if(|end| end.route < start.route).is_some() {}
            let Some(end) = ends.peek().filter(|end| end.route == start.route) else {
                continue;
            };
            let route = &self.routes[start.route as usize];
            let strength = if end.by_content {
                route.strength
            } else {
                route.strength * trade_weight
            };
            if best_route.is_none_or(|(best, _)| strength > best) {
                best_route = Some((strength, route));
            }
        }
        // An exchange supports the pair as much as both ends look alike. A study testifies
        // once, with its best exchange: a park that lists ten receivers of its slag is one
        // testimony that slag goes there, not ten. The best study counts fully, the others a
        // little: a universal sink (cement kilns take a bit of everything) should not win every
        // ranking on its numbers alone. Exchanges that one side does not resemble support
        // nothing: only those both resemble are visited (both lists are in study order).
        let (mut top, mut total, mut study, mut study_best) = (0.0_f64, 0.0, None, 0.0_f64);
        let mut best: Option<(f64, &LearnedExchange)> = None;
        let mut takers = input.profile.iter().peekable();
        for giver in &output.profile {
            while takers.next_if(|taker| taker.order < giver.order).is_some() {}
            let Some(taker) = takers.peek().filter(|taker| taker.order == giver.order) else {
                continue;
            };
            let exchange = &self.exchanges[giver.exchange as usize];
            if study != Some(exchange.case) {
                (top, total) = (top.max(study_best), total + study_best);
                (study, study_best) = (Some(exchange.case), 0.0);
            }
            let support = giver.value * taker.value;
            study_best = study_best.max(support);
            if support > 0.0 && best.is_none_or(|(value, _)| support > value) {
                best = Some((support, exchange));
            }
        }
        (top, total) = (top.max(study_best), total + study_best);
        let affinity = top + OTHER_SUPPORTS * (total - top);
        // Documented exchanges are known by the receiver's trade and its final use, so they
        // weigh as trade evidence.
        let learned = (1.0 - (-affinity / LEARNED_SCALE).exp()) * trade_weight;
        let routed = best_route.map_or(0.0, |(strength, _)| strength);
        let best_route = best_route.map(|(_, route)| route);
        let combined = 1.0 - (1.0 - learned) * (1.0 - routed);
        let evidence = match (best_route, best) {
            (Some(route), Some((value, exchange))) => Some(if route.strength >= value {
                Evidence::Route(route)
            } else {
                Evidence::Exchange(exchange)
            }),
            (Some(route), None) => Some(Evidence::Route(route)),
            (None, Some((_, exchange))) => Some(Evidence::Exchange(exchange)),
            (None, None) => None,
        };
        (combined, evidence)
    }
}

impl LearnedExchange {
    /// How much an output looks like what was given: the same waste entry or material words
    /// above all, a sub-chapter or chapter less so; the provider's activity sharpens it.
    fn giver(&self, output: &View) -> f64 {
        let waste: f64 = match (&output.waste, &self.waste) {
            (Some(a), Some(b)) if a.code == b.code => 1.0,
            // Entries that share a sub-chapter grouped by collection channel (packaging,
            // separately collected fractions) are hardly alike: kitchen waste is not paper.
            (Some(a), Some(b)) if a.sub_chapter() == b.sub_chapter() && a.closeness(b) < 0.5 => {
                0.15
            }
            (Some(a), Some(b)) if a.sub_chapter() == b.sub_chapter() => 0.5,
            (Some(a), Some(b)) if a.chapter() == b.chapter() => 0.15,
            _ => 0.0,
        };
        let material = text::similarity(&output.terms, &self.material);
        let provider = nace_closeness(&output.nace, &self.provider);
        let resource = waste.max(material);
        resource * (0.6 + 0.4 * provider) + 0.15 * provider * (1.0 - resource)
    }

    /// How much an input looks like where it went: the receiver's activity (the same class
    /// above all), helped by the final use.
    fn taker(&self, input: &View) -> f64 {
        let receiver = match nace_closeness(&input.nace, &self.receiver) {
            c if c >= 1.0 => 1.0,
            c if c >= 0.8 => 0.6,
            c if c >= 0.6 => 0.35,
            _ => 0.0,
        };
        let use_similarity = text::similarity(&input.terms, &self.final_use);
        receiver * (0.7 + 0.3 * use_similarity) + 0.3 * use_similarity * (1.0 - receiver)
    }
}

impl Condition {
    fn holds(&self, view: &View) -> bool {
        match self {
            Self::Ewc(prefix) => {
                view.waste
                    .as_ref()
                    .is_some_and(|w| w.code.starts_with(prefix))
                    || view
                        .category_wastes
                        .iter()
                        .any(|w| w.code.starts_with(prefix))
            }
            Self::Nace(prefix) => view.nace.iter().any(|code| code.starts_with(prefix)),
            Self::Category(prefix) => view.item.category.as_deref().is_some_and(|category| {
                category == prefix || category.starts_with(&format!("{prefix}/"))
            }),
            Self::Class(class) => view.item.resource_class == *class,
            Self::Term(term) => view.terms.contains(term),
        }
    }
}

/// The routes of a `routes.tsv` text, or for each bad line why it is bad.
pub(crate) fn parse_routes(text: &str, synonyms: &Synonyms) -> Vec<Result<Route, String>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(number, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [from, to, strength, why_fr, why_en, source] = fields[..] else {
                return Err(format!("routes line {}: expected 6 fields", number + 1));
            };
            let strength: f64 = strength
                .parse()
                .map_err(|_| format!("routes line {}: bad strength", number + 1))?;
            let conditions = |side: &str| -> Result<Vec<Condition>, String> {
                side.split('|')
                    .map(|c| parse_condition(c, synonyms))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("routes line {}: bad condition in {side}", number + 1))
            };
            if source.trim().is_empty() || !(0.0..=1.0).contains(&strength) {
                return Err(format!(
                    "routes line {}: a source and a strength in [0, 1]",
                    number + 1
                ));
            }
            Ok(Route {
                from: conditions(from)?,
                to: conditions(to)?,
                strength,
                why_fr: why_fr.to_owned(),
                why_en: why_en.to_owned(),
                source: source.to_owned(),
            })
        })
        .collect()
}

fn parse_condition(text: &str, synonyms: &Synonyms) -> Option<Condition> {
    let (kind, value) = text.trim().split_once(':')?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    Some(match kind {
        "ewc" => Condition::Ewc(value.chars().filter(char::is_ascii_digit).collect()),
        "nace" => Condition::Nace(value.to_owned()),
        "cat" => Condition::Category(value.to_owned()),
        "class" => Condition::Class(ResourceClass::parse(value)?),
        // The concept a word or phrase stands for (its first term: a broader concept follows).
        "term" => Condition::Term(synonyms.terms(value).into_iter().next()?),
        _ => return None,
    })
}

/// One row of the MAESTRI exchange file, with the columns the scorer and its evaluation read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaestriRecord {
    pub exchange_id: String,
    pub case: String,
    pub provider_nace: String,
    pub provider_industry: String,
    pub provider_company: String,
    pub receiver_nace: String,
    pub receiver_industry: String,
    pub receiver_company: String,
    pub material: String,
    pub ewc_code: String,
    pub final_use: String,
}

impl MaestriRecord {
    pub fn known_exchange(&self) -> KnownExchange {
        KnownExchange {
            provider_nace: self.provider_nace.clone(),
            receiver_nace: self.receiver_nace.clone(),
            ewc_code: self.ewc_code.clone(),
            material: self.material.clone(),
            final_use: self.final_use.clone(),
            case: self.case.clone(),
        }
    }
}

/// The rows of the MAESTRI CSV file (header first; quoted fields may hold commas and quotes).
pub fn maestri_records(csv: &str) -> Vec<MaestriRecord> {
    let mut rows = parse_csv(csv).into_iter();
    let Some(header) = rows.next() else {
        return Vec::new();
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let columns = [
        "exchange_id",
        "case",
        "provider_nace",
        "provider_industry",
        "provider_company",
        "receiver_nace",
        "receiver_industry",
        "receiver_company",
        "material",
        "ewc_code",
        "final_use",
    ]
    .map(column);
    rows.filter(|row| row.len() > 1)
        .map(|row| {
            let get = |index: usize| {
                columns[index]
                    .and_then(|c| row.get(c))
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_default()
            };
            MaestriRecord {
                exchange_id: get(0),
                case: get(1),
                provider_nace: get(2),
                provider_industry: get(3),
                provider_company: get(4),
                receiver_nace: get(5),
                receiver_industry: get(6),
                receiver_company: get(7),
                material: get(8),
                ewc_code: get(9),
                final_use: get(10),
            }
        })
        .collect()
}

/// RFC 4180 CSV: fields separated by commas, optionally quoted, `""` for a quote inside quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (_, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_routes_all_parse_and_cite_a_source() {
        let synonyms = Synonyms::bundled();
        let routes = parse_routes(ROUTES, &synonyms);
        assert!(routes.len() >= 30);
        for route in routes {
            let route = route.expect("every route line parses");
            assert!(
                !route.source.is_empty() && !route.why_fr.is_empty() && !route.why_en.is_empty()
            );
        }
    }

    #[test]
    fn the_maestri_file_reads_as_300_exchanges_in_cases() {
        let records = maestri_records(MAESTRI);
        assert_eq!(records.len(), 300);
        assert_eq!(records[0].exchange_id, "1,12,4");
        assert_eq!(records[0].case, "1");
        assert_eq!(records[0].ewc_code, "050799#");
        assert!(
            records
                .iter()
                .all(|r| !r.case.is_empty() && !r.final_use.is_empty())
        );
    }
}
