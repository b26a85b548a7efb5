//! How each member wants to hear of each kind of notification by e-mail: at once, in a daily
//! or weekly digest, or not at all. The inbox always keeps everything; this only decides
//! e-mails. Members change only what they want: what they never set follows the defaults.

use std::fmt;

/// The kinds of notification a member sets a rhythm for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Matches and synergies found for the member's listings and flows.
    Synergy,
    /// Messages in conversations.
    Message,
    /// Reservations and completed exchanges.
    Reservation,
    /// Facilitators' decisions on the member's listings.
    Moderation,
    /// Saved searches that new listings meet.
    Alert,
    /// Nudges: unanswered conversations, expiring listings, unconfirmed reservations.
    Reminder,
}

/// When e-mails of a category go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    Immediate,
    Daily,
    Weekly,
    Never,
}

impl Category {
    pub const ALL: [Self; 6] = [
        Self::Synergy,
        Self::Message,
        Self::Reservation,
        Self::Moderation,
        Self::Alert,
        Self::Reminder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Synergy => "synergy",
            Self::Message => "message",
            Self::Reservation => "reservation",
            Self::Moderation => "moderation",
            Self::Alert => "alert",
            Self::Reminder => "reminder",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == value)
    }

    /// Messages and reservations are awaited answers: at once. Matches and alerts can wait for
    /// the morning's digest. A facilitator hiding a listing concerns the member now; reminders
    /// are themselves late, a digest is enough.
    pub fn default_frequency(self) -> Frequency {
        match self {
            Self::Message | Self::Reservation | Self::Moderation => Frequency::Immediate,
            Self::Synergy | Self::Alert | Self::Reminder => Frequency::Daily,
        }
    }

    /// The category of an inbox item's kind (its event type); `None` for kinds members cannot
    /// tune.
    pub fn of_kind(kind: &str) -> Option<Self> {
        match kind {
            "match.found" | "synergy.group_proposed" => Some(Self::Synergy),
            "conversation.message_posted" => Some(Self::Message),
            "listing.reserved" | "listing.reservation_cancelled" | "exchange.completed" => {
                Some(Self::Reservation)
            }
            "listing.hidden" => Some(Self::Moderation),
            kind if kind.starts_with("alert.") => Some(Self::Alert),
            kind if kind.starts_with("reminder.") => Some(Self::Reminder),
            _ => None,
        }
    }
}

impl Frequency {
    pub const ALL: [Self; 4] = [Self::Immediate, Self::Daily, Self::Weekly, Self::Never];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Immediate => "immediate",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Never => "none",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == value)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member's rhythm for every category: what they set, else the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences(pub Vec<(Category, Frequency)>);

impl Preferences {
    /// The defaults overridden by what the member set.
    pub fn from_set(set: &[(Category, Frequency)]) -> Self {
        Self(
            Category::ALL
                .into_iter()
                .map(|category| {
                    let chosen = set
                        .iter()
                        .find(|(c, _)| *c == category)
                        .map_or_else(|| category.default_frequency(), |(_, f)| *f);
                    (category, chosen)
                })
                .collect(),
        )
    }

    pub fn frequency(&self, category: Category) -> Frequency {
        self.0
            .iter()
            .find(|(c, _)| *c == category)
            .map_or_else(|| category.default_frequency(), |(_, f)| *f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_tell_messages_and_reservations_at_once_and_matches_daily() {
        let defaults = Preferences::from_set(&[]);
        assert_eq!(defaults.frequency(Category::Message), Frequency::Immediate);
        assert_eq!(
            defaults.frequency(Category::Reservation),
            Frequency::Immediate
        );
        assert_eq!(defaults.frequency(Category::Synergy), Frequency::Daily);
        assert_eq!(defaults.frequency(Category::Alert), Frequency::Daily);
        let set = Preferences::from_set(&[(Category::Message, Frequency::Weekly)]);
        assert_eq!(set.frequency(Category::Message), Frequency::Weekly);
        assert_eq!(set.0.len(), Category::ALL.len());
    }

    #[test]
    fn every_kind_of_item_has_its_category_and_names_round_trip() {
        assert_eq!(
            Category::of_kind("listing.reserved"),
            Some(Category::Reservation)
        );
        assert_eq!(Category::of_kind("match.found"), Some(Category::Synergy));
        assert_eq!(
            Category::of_kind("listing.hidden"),
            Some(Category::Moderation)
        );
        for category in Category::ALL {
            assert_eq!(Category::parse(category.as_str()), Some(category));
        }
        for frequency in Frequency::ALL {
            assert_eq!(Frequency::parse(frequency.as_str()), Some(frequency));
        }
        assert_eq!(Frequency::parse("hourly"), None);
    }
}
