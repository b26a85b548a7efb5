//! The category tree shipped with the code (`services/codes/data/listing-taxonomy.tsv`), parsed once. Codes are
//! stable paths (`packaging/pallets`); a category's parent is the path before its last `/`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use synergies_platform::error::FieldError;
use synergies_platform::i18n::Language;

use crate::domain::ResourceType;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub code: String,
    pub resource_type: ResourceType,
    pub label_fr: String,
    pub label_en: String,
}

impl Category {
    pub fn label(&self, language: Language) -> &str {
        match language {
            Language::Fr => &self.label_fr,
            Language::En => &self.label_en,
        }
    }

    /// The code of the parent category, if any.
    pub fn parent(&self) -> Option<&str> {
        self.code.rsplit_once('/').map(|(parent, _)| parent)
    }
}

/// The top-level category a code belongs to (`packaging/pallets` → `packaging`).
pub fn root(code: &str) -> &str {
    code.split('/').next().unwrap_or(code)
}

/// Every category, by code (sorted, so parents come before their children).
pub struct Taxonomy {
    categories: BTreeMap<String, Category>,
}

static TAXONOMY: LazyLock<Taxonomy> = LazyLock::new(|| {
    Taxonomy::parse(synergies_codes::LISTING_TAXONOMY)
        .expect("the taxonomy shipped with the code is well-formed (checked by a unit test)")
});

pub fn taxonomy() -> &'static Taxonomy {
    &TAXONOMY
}

impl Taxonomy {
    fn parse(text: &str) -> Result<Self, String> {
        let mut categories = BTreeMap::new();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [code, resource_type, label_fr, label_en] = fields[..] else {
                return Err(format!(
                    "line {}: expected 4 tab-separated fields",
                    number + 1
                ));
            };
            let resource_type = ResourceType::parse(resource_type)
                .ok_or_else(|| format!("line {}: unknown resource type", number + 1))?;
            let category = Category {
                code: code.to_owned(),
                resource_type,
                label_fr: label_fr.to_owned(),
                label_en: label_en.to_owned(),
            };
            if let Some(parent) = category.parent()
                && !categories.contains_key(parent)
            {
                return Err(format!(
                    "line {}: parent {parent} is not defined before",
                    number + 1
                ));
            }
            categories.insert(code.to_owned(), category);
        }
        Ok(Self { categories })
    }

    pub fn get(&self, code: &str) -> Option<&Category> {
        self.categories.get(code)
    }

    pub fn all(&self) -> impl Iterator<Item = &Category> {
        self.categories.values()
    }

    /// A known category code, or the field error naming the rule.
    pub fn validate(&self, field: &'static str, code: &str) -> Result<&Category, FieldError> {
        self.get(code.trim()).ok_or_else(|| {
            FieldError::new(
                field,
                "must be a category code of the taxonomy (GET /api/v1/categories), such as packaging/pallets",
                "doit être un code de catégorie de la nomenclature (GET /api/v1/categories), tel que packaging/pallets",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_taxonomy_covers_the_territory_needs() {
        let taxonomy = taxonomy();
        for code in [
            "packaging/cardboard",
            "packaging/kraft-paper",
            "packaging/pallets",
            "packaging/pallet-boxes",
            "packaging/film",
            "packaging/crates",
            "furniture",
            "office-supplies",
            "it-electronics/weee",
            "lighting/fluorescent-tubes",
            "hygiene-safety/hydroalcoholic-gel",
            "hygiene-safety/ppe",
            "building-materials",
            "wood",
            "metals",
            "plastics",
            "textiles",
            "paper",
            "chemicals",
            "organic-food",
            "machines-equipment",
            "vehicles-handling",
            "energy/heat",
            "energy/steam",
            "water",
            "spaces/office",
            "spaces/storage",
            "spaces/workshop",
            "spaces/parking",
            "spaces/land",
            "spaces/event-room",
        ] {
            assert!(taxonomy.get(code).is_some(), "{code}");
        }
        assert_eq!(
            taxonomy.get("skills/logistics").unwrap().resource_type,
            ResourceType::Skill
        );
        assert_eq!(
            taxonomy
                .get("packaging/pallets")
                .unwrap()
                .label(Language::Fr),
            "Palettes"
        );
        assert_eq!(root("packaging/pallets"), "packaging");
    }

    #[test]
    fn children_share_their_parent_resource_type() {
        let taxonomy = taxonomy();
        for category in taxonomy.all() {
            if let Some(parent) = category.parent() {
                assert_eq!(
                    taxonomy.get(parent).unwrap().resource_type,
                    category.resource_type,
                    "{}",
                    category.code
                );
            }
        }
    }

    #[test]
    fn unknown_codes_are_refused_with_the_field_named() {
        assert_eq!(
            taxonomy().validate("category", "Bois !").unwrap_err().field,
            "category"
        );
        assert!(Taxonomy::parse("a/b\tgoods\tx\ty\n").is_err());
    }
}
