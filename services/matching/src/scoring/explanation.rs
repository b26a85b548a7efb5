//! The words of a proposal, in French and English: who lets what go and who needs it, how far,
//! why the two fit (a documented route and its source, a documented exchange, a shared
//! category or words), and what the law asks when the output is a waste.

use synergies_platform::i18n::Text;

use super::knowledge::Evidence;
use super::substitution::{Assessment, waste_status};
use super::{Item, ItemKind, Quantity, ResourceClass};

/// The explanation of a substitution proposal.
pub(crate) fn substitution(output: &Item, input: &Item, assessment: &Assessment) -> Text {
    let mut fr = Vec::new();
    let mut en = Vec::new();

    let (verb_fr, verb_en) = match output.resource_class {
        ResourceClass::Energy | ResourceClass::Water => ("rejette", "releases"),
        ResourceClass::Waste | ResourceClass::ByProduct => ("produit", "produces"),
        _ => ("propose", "offers"),
    };
    let distance = assessment.distance_km.map(|km| {
        (
            format!(", à {}", kilometres(km, Language::Fr)),
            format!(", {} away,", kilometres(km, Language::En)),
        )
    });
    let (far_fr, far_en) = distance.unwrap_or_default();
    let (output_fr, output_en) = who(output, ("Une organisation", "An organisation"));
    let (input_fr, input_en) = who(input, ("une autre organisation", "another organisation"));
    fr.push(format!(
        "{output_fr} {verb_fr} « {} »{} ; {input_fr}{far_fr}, recherche « {} »{}.",
        output.label,
        quantity(output, Language::Fr),
        input.label,
        quantity(input, Language::Fr),
    ));
    en.push(format!(
        "{output_en} {verb_en} \"{}\"{}; {input_en}{far_en} is looking for \"{}\"{}.",
        output.label,
        quantity(output, Language::En),
        input.label,
        quantity(input, Language::En),
    ));

    match &assessment.evidence {
        Some(Evidence::Route(route)) => {
            fr.push(format!("{} (source : {}).", route.why_fr, route.source));
            en.push(format!("{} (source: {}).", route.why_en, route.source));
        }
        Some(Evidence::Exchange(exchange)) => {
            fr.push(format!(
                "Un échange de ce type est documenté ailleurs : « {} » utilisé comme « {} » (base MAESTRI).",
                exchange.material_label, exchange.final_use_label
            ));
            en.push(format!(
                "An exchange of this kind is documented elsewhere: \"{}\" used as \"{}\" (MAESTRI database).",
                exchange.material_label, exchange.final_use_label
            ));
        }
        None => {}
    }
    if assessment.same_category {
        fr.push("Même catégorie de ressource.".to_owned());
        en.push("Same resource category.".to_owned());
    } else if assessment.evidence.is_none()
        && assessment
            .shared_terms
            .iter()
            .any(|term| super::text::weight(term) >= 1.0)
    {
        fr.push("Les deux libellés désignent la même ressource.".to_owned());
        en.push("Both labels name the same resource.".to_owned());
    }

    let (waste, hazardous) = waste_status(output);
    let code = output
        .ewc_code
        .as_deref()
        .and_then(super::codes::WasteCode::parse)
        .map(|c| c.display());
    let code_fr = code
        .as_ref()
        .map(|c| format!(" (code déchet {c})"))
        .unwrap_or_default();
    let code_en = code
        .as_ref()
        .map(|c| format!(" (waste code {c})"))
        .unwrap_or_default();
    if hazardous {
        fr.push(format!(
            "Déchet dangereux{code_fr} : le receveur doit être autorisé à le recevoir (installation classée), et chaque envoi suivi par bordereau (Trackdéchets)."
        ));
        en.push(format!(
            "Hazardous waste{code_en}: the receiver must be authorised to take it (permitted installation), and every shipment tracked with a waste consignment note."
        ));
    } else if waste {
        fr.push(format!(
            "C'est un déchet{code_fr} : le receveur doit être autorisé à le recevoir, sauf sortie du statut de déchet."
        ));
        en.push(format!(
            "This is a waste{code_en}: the receiver must be authorised to take it, unless it has reached end-of-waste status."
        ));
    } else if output.resource_class == ResourceClass::ByProduct {
        fr.push("Sous-produit : il n'a pas le statut de déchet tant que son usage est certain et sans transformation autre que la pratique industrielle normale.".to_owned());
        en.push("By-product: it is not a waste as long as its use is certain and needs no processing beyond normal industrial practice.".to_owned());
    }
    Text::new(en.join(" "), fr.join(" "))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    Fr,
    En,
}

/// " (3 000 MWh/an)" for a flow's yearly figure, " (40 pièces)" for a listing; "" when unknown.
fn quantity(item: &Item, language: Language) -> String {
    let Some(Quantity { amount, unit }) = &item.yearly_quantity else {
        return String::new();
    };
    let per_year = match (item.kind, language) {
        (ItemKind::Flow, Language::Fr) => "/an",
        (ItemKind::Flow, Language::En) => "/year",
        (ItemKind::Listing, _) => "",
    };
    let unit = match (unit.as_str(), language) {
        ("piece", Language::Fr) => "pièces",
        ("piece", Language::En) => "pieces",
        ("day", Language::Fr) => "jours",
        ("day", Language::En) => "days",
        (other, _) => other,
    };
    format!(" ({} {unit}{per_year})", number(*amount, language))
}

fn kilometres(km: f64, language: Language) -> String {
    if km < 1.0 {
        match language {
            Language::Fr => "moins d'1 km".to_owned(),
            Language::En => "less than 1 km".to_owned(),
        }
    } else {
        format!("{} km", number(km.round(), language))
    }
}

/// A number as people write it: "3 000" or "2,5" in French, "3,000" or "2.5" in English.
pub(crate) fn number(value: f64, language: Language) -> String {
    let rounded = if value.abs() >= 100.0 {
        value.round()
    } else {
        (value * 10.0).round() / 10.0
    };
    let whole = rounded.trunc().abs() as u64;
    let fraction = ((rounded.abs() - rounded.abs().trunc()) * 10.0).round() as u64;
    let digits = whole.to_string();
    let (group, decimal) = match language {
        Language::Fr => (' ', ','),
        Language::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    if fraction > 0 {
        grouped.push(decimal);
        grouped.push_str(&fraction.to_string());
    }
    if rounded < 0.0 {
        grouped.insert(0, '-');
    }
    grouped
}

/// The organisation's name, or words for it while its name is not known yet (an organisation
/// whose name matching has not learned from identity or from its events).
fn who<'a>(item: &'a Item, unnamed: (&'a str, &'a str)) -> (&'a str, &'a str) {
    let name = item.organisation_name.trim();
    if name.is_empty() {
        unnamed
    } else {
        (name, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_way_each_language_does() {
        assert_eq!(number(3000.0, Language::Fr), "3 000");
        assert_eq!(number(3000.0, Language::En), "3,000");
        assert_eq!(number(2.5, Language::Fr), "2,5");
        assert_eq!(number(1_234_567.0, Language::En), "1,234,567");
        assert_eq!(number(12.0, Language::Fr), "12");
    }
}
