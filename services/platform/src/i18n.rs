//! The two languages the platform speaks to people: French first, English available.
//!
//! Services write every message a person can read in both languages, next to each other, so
//! a missing translation is a compile error rather than a surprise. The English text travels
//! as the gRPC status message (English is the API's language); the French text travels in
//! binary status metadata, and the gateway answers in the caller's language.

/// A language a person can be answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Fr,
    #[default]
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Self::Fr),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The caller's preferred language among ours, from an `Accept-Language` header
    /// (RFC 9110 §12.5.4: highest `q` wins, ties go to the first listed), or `default`.
    pub fn negotiate(accept_language: Option<&str>, default: Self) -> Self {
        let Some(header) = accept_language else {
            return default;
        };
        let mut best: Option<(Self, f32)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            let Some(language) = Self::parse(primary) else {
                continue;
            };
            if quality > 0.0 && best.is_none_or(|(_, q)| quality > q) {
                best = Some((language, quality));
            }
        }
        best.map_or(default, |(language, _)| language)
    }
}

/// A message for a person, in English and French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    pub fr: String,
}

impl Text {
    pub fn new(en: impl Into<String>, fr: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            fr: fr.into(),
        }
    }

    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Fr => &self.fr,
            Language::En => &self.en,
        }
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_language_wins() {
        let negotiate = |h| Language::negotiate(Some(h), Language::En);
        assert_eq!(negotiate("fr-FR,fr;q=0.9,en;q=0.8"), Language::Fr);
        assert_eq!(negotiate("en-GB,fr;q=0.5"), Language::En);
        assert_eq!(negotiate("de-DE,fr;q=0.3"), Language::Fr);
        assert_eq!(negotiate("fr;q=0.4, en;q=0.6"), Language::En);
        assert_eq!(negotiate("fr;q=0"), Language::En);
        assert_eq!(negotiate("*"), Language::En);
        assert_eq!(Language::negotiate(None, Language::Fr), Language::Fr);
    }
}
