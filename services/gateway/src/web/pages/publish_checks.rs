//! The publishing form's mistakes, each shown next to its field: what the page can check itself
//! is checked all at once before the listings service is asked; the service's refusal then
//! lands next to the field it names, in words of the interface for the fields offered as lists
//! (the service's own rule would name codes such as `packaging/pallets`).

use super::FieldErrors;
use super::listings::ListingForm;
use crate::error::ApiError;
use crate::web::page::Page;

/// The field of the form a service's field name is shown next to.
fn form_field(service_field: &str) -> &str {
    match service_field {
        "insee_code" | "site_id" => "location",
        "price_cents" => "price",
        other => other,
    }
}

/// Whether `value` reads as an amount of euros ("12,50", "12.50 €").
pub fn is_amount(value: &str) -> bool {
    let value = value.trim().replace(',', ".").replace('€', "");
    let value = value.trim();
    value.is_empty()
        || value
            .parse::<f64>()
            .is_ok_and(|v| v.is_finite() && v >= 0.0)
}

/// Whether `value` reads as a quantity ("2", "0,5").
fn is_quantity(value: &str) -> bool {
    let value = value.trim().replace(',', ".");
    value.is_empty() || value.parse::<f64>().is_ok_and(|v| v.is_finite() && v > 0.0)
}

/// Every mistake the page can see by itself.
pub fn check(page: &Page, form: &ListingForm) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if form.category.trim().is_empty() {
        errors.add(page, "category", "publish.error.category");
    }
    if form.title.trim().is_empty() {
        errors.add(page, "title", "publish.error.title");
    }
    let priced = !form.price.trim().is_empty();
    if !is_amount(&form.price) {
        errors.add(page, "price", "publish.error.price");
    } else if matches!(form.exchange_mode.as_str(), "sell" | "rent") && !priced {
        errors.add(page, "price", "publish.error.price_required");
    } else if matches!(form.exchange_mode.as_str(), "give" | "lend") && priced {
        errors.add(page, "price", "publish.error.price_free");
    }
    if !is_quantity(&form.quantity) {
        errors.add(page, "quantity", "publish.error.quantity");
    }
    errors
}

/// The listings service's refusal, next to its field.
pub fn from_service(page: &Page, error: &ApiError) -> FieldErrors {
    let mut errors = FieldErrors::from_service(page, error, |field| match field {
        "category" | "exchange_mode" | "price_per" | "unit" | "recurrence" | "condition"
        | "kind" | "insee_code" | "site_id" => Some(page.t("publish.error.choose").to_owned()),
        "price_cents" => Some(page.t("publish.error.price").to_owned()),
        _ => None,
    });
    for (field, _) in &mut errors.errors {
        *field = form_field(field).to_owned();
    }
    errors
}
