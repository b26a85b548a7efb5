//! Values both backends of the store read and write the same way (compiled once).

use crate::domain::IndexedItem;
use crate::scoring::Direction;

pub(super) fn decode(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}

pub(super) fn pool_str(kind: crate::scoring::PoolKind) -> &'static str {
    match kind {
        crate::scoring::PoolKind::Collection => "collection",
        crate::scoring::PoolKind::Purchasing => "purchasing",
        crate::scoring::PoolKind::SharedService => "shared-service",
    }
}

pub(super) fn factors_json(factors: &[(String, f64)]) -> String {
    serde_json::to_string(factors).unwrap_or_else(|_| "[]".to_owned())
}

pub(super) fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// The items a scorer compares: the output first.
pub(super) fn oriented<'a>(
    a: &'a IndexedItem,
    b: &'a IndexedItem,
) -> (&'a IndexedItem, &'a IndexedItem) {
    match a.item.direction {
        Direction::Out => (a, b),
        Direction::In => (b, a),
    }
}
