//! The facilitators' territory dashboard of flows: how much of the territory is diagnosed,
//! yearly tonnage and energy by resource class and by EWC chapter, and a diagram of what
//! activity sections let out and take in, drawn by the server as SVG (no JavaScript).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use synergies_proto::flows::v1 as pb;

use super::flows::{
    RESOURCE_CLASSES, all_flows, is_facilitator, number, territory_organisations, worded,
};
use crate::state::GatewayState;
use crate::web::page::{Page, render};

/// The NACE section letter of a NAF/NACE code ("24.10Z" → "C"); `None` when unreadable.
pub fn nace_section(code: &str) -> Option<char> {
    let division: u32 = code.get(..2)?.parse().ok()?;
    let section = match division {
        1..=3 => 'A',
        5..=9 => 'B',
        10..=33 => 'C',
        35 => 'D',
        36..=39 => 'E',
        41..=43 => 'F',
        45..=47 => 'G',
        49..=53 => 'H',
        55..=56 => 'I',
        58..=63 => 'J',
        64..=66 => 'K',
        68 => 'L',
        69..=75 => 'M',
        77..=82 => 'N',
        84 => 'O',
        85 => 'P',
        86..=88 => 'Q',
        90..=93 => 'R',
        94..=96 => 'S',
        97..=98 => 'T',
        99 => 'U',
        _ => return None,
    };
    Some(section)
}

/// A flow's yearly figure in tonnes (mass units) and in MWh (energy units).
fn tonnes_and_mwh(flow: &pb::Flow) -> (f64, f64) {
    let yearly: f64 = flow.yearly_quantity.parse().unwrap_or(0.0);
    match flow.unit.as_str() {
        "t" => (yearly, 0.0),
        "kg" => (yearly / 1000.0, 0.0),
        "MWh" => (0.0, yearly),
        "kWh" => (0.0, yearly / 1000.0),
        _ => (0.0, 0.0),
    }
}

/// One line of a table of totals.
pub struct TotalRow {
    pub label: String,
    pub flows: usize,
    pub tonnes: String,
    pub mwh: String,
}

#[derive(Default)]
struct Sum {
    flows: usize,
    tonnes: f64,
    mwh: f64,
}

fn rows(page: &Page, sums: Vec<(String, Sum)>) -> Vec<TotalRow> {
    sums.into_iter()
        .map(|(label, sum)| TotalRow {
            label,
            flows: sum.flows,
            tonnes: number(&format!("{:.1}", sum.tonnes), page.lang),
            mwh: number(&format!("{:.1}", sum.mwh), page.lang),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard_flows.html")]
struct Dashboard {
    page: Page,
    diagnosed: usize,
    members: usize,
    coverage_percent: u32,
    total_flows: usize,
    by_class: Vec<TotalRow>,
    by_chapter: Vec<TotalRow>,
    links: Vec<(String, String, String, usize)>,
    diagram: String,
    campaigns: Vec<super::campaigns::CampaignView>,
}

/// The section's name ("C — Industrie manufacturière").
fn section_name(page: &Page, section: Option<char>) -> String {
    match section {
        Some(letter) => format!(
            "{letter} — {}",
            crate::web::i18n::lookup(&format!("nace.{letter}"), page.lang).unwrap_or("")
        ),
        None => page.t("nace.unknown").to_owned(),
    }
}

pub async fn show(page: Page, State(state): State<GatewayState>) -> Response {
    let caller = match page.caller() {
        Ok(caller) => caller.clone(),
        Err(to_sign_in) => return to_sign_in,
    };
    if !is_facilitator(&page) {
        return page.error(&crate::error::ApiError::new(
            synergies_platform::error::ErrorCode::PermissionDenied,
            synergies_platform::i18n::Text::new(
                "this page is for the territory's facilitators",
                "cette page est réservée aux animateurs du territoire",
            ),
        ));
    }
    let flows = match all_flows(&state, &caller, "").await {
        Ok(flows) => flows,
        Err(error) => return page.error(&error),
    };
    let organisations = territory_organisations(&page, &state, &caller, &flows).await;
    let campaigns = state
        .flows
        .campaigns(
            &caller,
            synergies_proto::flows::v1::ListCampaignsRequest {
                page_size: 100,
                page_token: String::new(),
            },
        )
        .await
        .map(|answer| {
            answer
                .campaigns
                .iter()
                .map(|c| super::campaigns::view(&page, c))
                .collect()
        })
        .unwrap_or_default();
    let diagnosed: BTreeSet<&str> = flows.iter().map(|f| f.organisation_id.as_str()).collect();
    let members = organisations.len();

    let mut by_class: BTreeMap<usize, Sum> = BTreeMap::new();
    let mut by_chapter: BTreeMap<String, Sum> = BTreeMap::new();
    // (out-section, class) and (class, in-section) → number of flows.
    let mut outgoing: BTreeMap<(Option<char>, usize), usize> = BTreeMap::new();
    let mut incoming: BTreeMap<(usize, Option<char>), usize> = BTreeMap::new();
    for flow in &flows {
        let (tonnes, mwh) = tonnes_and_mwh(flow);
        let class = RESOURCE_CLASSES
            .iter()
            .position(|c| *c == flow.resource_class)
            .unwrap_or(RESOURCE_CLASSES.len());
        let sum = by_class.entry(class).or_default();
        sum.flows += 1;
        sum.tonnes += tonnes;
        sum.mwh += mwh;
        let digits: String = flow.ewc_code.chars().filter(char::is_ascii_digit).collect();
        if let Some(chapter) = digits.get(..2) {
            let sum = by_chapter.entry(chapter.to_owned()).or_default();
            sum.flows += 1;
            sum.tonnes += tonnes;
            sum.mwh += mwh;
        }
        let section = nace_section(&flow.nace);
        if flow.direction == "out" {
            *outgoing.entry((section, class)).or_default() += 1;
        } else {
            *incoming.entry((class, section)).or_default() += 1;
        }
    }
    let class_name = |class: usize| {
        RESOURCE_CLASSES
            .get(class)
            .map_or("—", |code| worded(&page, "class", code))
            .to_owned()
    };
    let by_class_rows = rows(
        &page,
        by_class
            .into_iter()
            .map(|(class, sum)| (class_name(class), sum))
            .collect(),
    );
    let by_chapter_rows = rows(
        &page,
        by_chapter
            .into_iter()
            .map(|(chapter, sum)| {
                let name = crate::web::i18n::lookup(&format!("ewc.chapter.{chapter}"), page.lang)
                    .unwrap_or("");
                (format!("{chapter} — {name}"), sum)
            })
            .collect(),
    );
    let mut links = Vec::new();
    for ((section, class), count) in &outgoing {
        links.push((
            section_name(&page, *section),
            class_name(*class),
            page.t("flow.direction.out").to_owned(),
            *count,
        ));
    }
    for ((class, section), count) in &incoming {
        links.push((
            section_name(&page, *section),
            class_name(*class),
            page.t("flow.direction.in").to_owned(),
            *count,
        ));
    }
    let diagram = diagram(&page, &outgoing, &incoming, &class_name);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let coverage_percent = if members == 0 {
        0
    } else {
        ((diagnosed.len() as f64 / members as f64) * 100.0).round() as u32
    };
    render(&Dashboard {
        diagnosed: diagnosed.len(),
        members,
        coverage_percent: coverage_percent.min(100),
        total_flows: flows.len(),
        by_class: by_class_rows,
        by_chapter: by_chapter_rows,
        links,
        diagram,
        campaigns,
        page,
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: f64 = 900.0;
const NODE_WIDTH: f64 = 240.0;
const NODE_HEIGHT: f64 = 34.0;
const GAP: f64 = 14.0;
const TOP: f64 = 40.0;

/// Three columns: the activity sections that let resources out, the resource classes, the
/// sections that take them in; a band per pair, as thick as the number of flows. Written as
/// an SVG document (attributes only: the CSP forbids inline styles).
fn diagram(
    page: &Page,
    outgoing: &BTreeMap<(Option<char>, usize), usize>,
    incoming: &BTreeMap<(usize, Option<char>), usize>,
    class_name: &dyn Fn(usize) -> String,
) -> String {
    let out_sections: BTreeSet<Option<char>> = outgoing.keys().map(|(s, _)| *s).collect();
    let in_sections: BTreeSet<Option<char>> = incoming.keys().map(|(_, s)| *s).collect();
    let classes: BTreeSet<usize> = outgoing
        .keys()
        .map(|(_, c)| *c)
        .chain(incoming.keys().map(|(c, _)| *c))
        .collect();
    let rows = out_sections.len().max(in_sections.len()).max(classes.len());
    #[allow(clippy::cast_precision_loss)]
    let height = TOP + rows as f64 * (NODE_HEIGHT + GAP) + 10.0;
    let x = [10.0, (WIDTH - NODE_WIDTH) / 2.0, WIDTH - NODE_WIDTH - 10.0];
    #[allow(clippy::cast_precision_loss)]
    let y = |index: usize| TOP + index as f64 * (NODE_HEIGHT + GAP);
    let position = |set: &BTreeSet<Option<char>>, s: Option<char>| {
        set.iter().position(|v| *v == s).unwrap_or(0)
    };
    let class_position = |c: usize| classes.iter().position(|v| *v == c).unwrap_or(0);
    let most = outgoing
        .values()
        .chain(incoming.values())
        .copied()
        .max()
        .unwrap_or(1);
    #[allow(clippy::cast_precision_loss)]
    let thickness = |count: usize| 3.0 + (count as f64 / most as f64) * (NODE_HEIGHT - 6.0);

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="flow-diagram" role="img" aria-labelledby="diagram-title diagram-desc"><title id="diagram-title">{}</title><desc id="diagram-desc">{}</desc>"#,
        escape(page.t("dashboard.diagram")),
        escape(page.t("dashboard.diagram_desc")),
    );
    for (index, heading) in [
        "dashboard.column_out",
        "dashboard.column_class",
        "dashboard.column_in",
    ]
    .into_iter()
    .enumerate()
    {
        let _ = write!(
            svg,
            r##"<text x="{}" y="22" font-size="15" font-weight="700" fill="#1f2933">{}</text>"##,
            x[index] + 4.0,
            escape(page.t(heading))
        );
    }
    let band = |svg: &mut String, from: (f64, f64), to: (f64, f64), count: usize, colour: &str| {
        let middle = f64::midpoint(from.0, to.0);
        let _ = write!(
            svg,
            r#"<path d="M{:.1} {:.1} C{middle:.1} {:.1} {middle:.1} {:.1} {:.1} {:.1}" fill="none" stroke="{colour}" stroke-opacity="0.45" stroke-width="{:.1}"><title>{count}</title></path>"#,
            from.0,
            from.1,
            from.1,
            to.1,
            to.0,
            to.1,
            thickness(count)
        );
    };
    let middle_of = |index: usize| y(index) + NODE_HEIGHT / 2.0;
    for ((section, class), count) in outgoing {
        band(
            &mut svg,
            (
                x[0] + NODE_WIDTH,
                middle_of(position(&out_sections, *section)),
            ),
            (x[1], middle_of(class_position(*class))),
            *count,
            "#b7791f",
        );
    }
    for ((class, section), count) in incoming {
        band(
            &mut svg,
            (x[1] + NODE_WIDTH, middle_of(class_position(*class))),
            (x[2], middle_of(position(&in_sections, *section))),
            *count,
            "#2b6cb0",
        );
    }
    let node = |svg: &mut String, column: usize, index: usize, label: &str, count: usize| {
        let label = if label.chars().count() > 30 {
            format!("{}…", label.chars().take(29).collect::<String>())
        } else {
            label.to_owned()
        };
        let _ = write!(
            svg,
            r##"<g><rect x="{:.1}" y="{:.1}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6" fill="#ffffff" stroke="#52606d"/><text x="{:.1}" y="{:.1}" font-size="13" fill="#1f2933">{} ({count})</text></g>"##,
            x[column],
            y(index),
            x[column] + 8.0,
            y(index) + NODE_HEIGHT / 2.0 + 4.5,
            escape(&label)
        );
    };
    for (index, section) in out_sections.iter().enumerate() {
        let count = outgoing
            .iter()
            .filter(|((s, _), _)| s == section)
            .map(|(_, n)| n)
            .sum();
        node(&mut svg, 0, index, &section_name(page, *section), count);
    }
    for (index, class) in classes.iter().enumerate() {
        let count = outgoing
            .iter()
            .filter(|((_, c), _)| c == class)
            .map(|(_, n)| n)
            .chain(
                incoming
                    .iter()
                    .filter(|((c, _), _)| c == class)
                    .map(|(_, n)| n),
            )
            .sum();
        node(&mut svg, 1, index, &class_name(*class), count);
    }
    for (index, section) in in_sections.iter().enumerate() {
        let count = incoming
            .iter()
            .filter(|((_, s), _)| s == section)
            .map(|(_, n)| n)
            .sum();
        node(&mut svg, 2, index, &section_name(page, *section), count);
    }
    svg.push_str("</svg>");
    svg
}
