//! The texts of the inbox and of the header's unread badge, `(key, French, English)`, sorted
//! like [`super::i18n`]'s tables (a table of their own, beside the others).

pub const INBOX_TEXTS: &[(&str, &str, &str)] = &[
    ("inbox.all", "Toutes", "All"),
    ("inbox.filter", "Afficher", "Show"),
    ("inbox.from", "De la part de", "From"),
    (
        "inbox.mark_all",
        "Tout marquer comme lu",
        "Mark all as read",
    ),
    ("inbox.new", "Nouveau", "New"),
    ("inbox.open", "Ouvrir", "Open"),
    ("inbox.unread", "non lues", "unread"),
    ("inbox.unread_only", "Non lues", "Unread"),
    (
        "notice.inbox_read",
        "Toutes les notifications sont marquées comme lues.",
        "All notifications are marked as read.",
    ),
];
