//! The texts of the inbox, its e-mail settings and the header's unread badge, `(key, French, English)`, sorted
//! like [`super::i18n`]'s tables (a table of their own, beside the others).

pub const INBOX_TEXTS: &[(&str, &str, &str)] = &[
    ("inbox.all", "Toutes", "All"),
    (
        "inbox.category.alert",
        "Alertes de recherches enregistrées",
        "Saved search alerts",
    ),
    ("inbox.category.daily", "Résumé quotidien", "Daily digest"),
    ("inbox.category.message", "Messages", "Messages"),
    (
        "inbox.category.moderation",
        "Décisions des animateurs sur vos annonces",
        "Facilitators' decisions on your listings",
    ),
    ("inbox.category.reminder", "Rappels", "Reminders"),
    (
        "inbox.category.reservation",
        "Réservations et échanges",
        "Reservations and exchanges",
    ),
    (
        "inbox.category.synergy",
        "Synergies et offres qui répondent à vos demandes",
        "Synergies and offers that meet your requests",
    ),
    (
        "inbox.category.weekly",
        "Résumé hebdomadaire",
        "Weekly digest",
    ),
    ("inbox.filter", "Afficher", "Show"),
    ("inbox.frequency.daily", "Résumé quotidien", "Daily digest"),
    ("inbox.frequency.immediate", "Tout de suite", "Immediately"),
    ("inbox.frequency.none", "Pas d'e-mail", "No e-mail"),
    (
        "inbox.frequency.weekly",
        "Résumé hebdomadaire",
        "Weekly digest",
    ),
    ("inbox.from", "De la part de", "From"),
    (
        "inbox.mark_all",
        "Tout marquer comme lu",
        "Mark all as read",
    ),
    ("inbox.new", "Nouveau", "New"),
    ("inbox.open", "Ouvrir", "Open"),
    ("inbox.saved_search_delete", "Supprimer", "Delete"),
    (
        "inbox.saved_search_delete_confirm",
        "Supprimer cette recherche enregistrée ?",
        "Delete this saved search?",
    ),
    (
        "inbox.saved_searches",
        "Recherches enregistrées",
        "Saved searches",
    ),
    (
        "inbox.saved_searches_lead",
        "Une nouvelle annonce qui répond à l'une d'elles vous est signalée, par e-mail au rythme choisi pour les alertes.",
        "A new listing that fits one of them is signalled to you, by e-mail at the rhythm chosen for alerts.",
    ),
    (
        "inbox.saved_searches_none",
        "Aucune recherche enregistrée : enregistrez-en une depuis la page Annonces.",
        "No saved search: save one from the Listings page.",
    ),
    ("inbox.settings", "Réglages des e-mails", "E-mail settings"),
    (
        "inbox.settings_lead",
        "Choisissez quand recevoir un e-mail pour chaque type de notification. Elles restent toutes ici, quel que soit votre choix.",
        "Choose when to receive an e-mail for each type of notification. They all stay here, whatever you choose.",
    ),
    ("inbox.settings_save", "Enregistrer", "Save"),
    (
        "inbox.undeliverable_confirm",
        "Mon adresse est correcte : reprendre les envois",
        "My address is right: resume sending",
    ),
    (
        "inbox.undeliverable_hint",
        "Si l'adresse est juste (une boîte pleine depuis vidée, un filtre depuis corrigé), confirmez-la : les e-mails en attente repartiront.",
        "If the address is right (a mailbox since emptied, a filter since fixed), confirm it: the waiting e-mails will go out again.",
    ),
    (
        "inbox.undeliverable_lead",
        "Le serveur de messagerie a refusé plusieurs fois nos e-mails ; nous avons cessé d'écrire à cette adresse :",
        "The mail server refused our e-mails several times; we have stopped writing to this address:",
    ),
    (
        "inbox.undeliverable_title",
        "Nos e-mails ne vous parviennent pas",
        "Our e-mails do not reach you",
    ),
    ("inbox.unread", "non lues", "unread"),
    ("inbox.unread_only", "Non lues", "Unread"),
    ("inbox.unsubscribe", "Me désabonner", "Unsubscribe"),
    (
        "inbox.unsubscribe_confirm",
        "Ne plus recevoir d'e-mails pour :",
        "Stop receiving e-mails for:",
    ),
    (
        "inbox.unsubscribed",
        "Vous ne recevrez plus d'e-mails pour :",
        "You will no longer receive e-mails for:",
    ),
    (
        "notice.delivery_saved",
        "Vos réglages d'e-mails sont enregistrés.",
        "Your e-mail settings are saved.",
    ),
    (
        "notice.email_confirmed",
        "Votre adresse est confirmée ; les e-mails en attente repartent.",
        "Your address is confirmed; the waiting e-mails go out again.",
    ),
    (
        "notice.inbox_read",
        "Toutes les notifications sont marquées comme lues.",
        "All notifications are marked as read.",
    ),
    (
        "notice.search_deleted",
        "La recherche enregistrée est supprimée.",
        "The saved search is deleted.",
    ),
    (
        "notice.search_saved",
        "Recherche enregistrée : les nouvelles annonces qui y répondent vous seront signalées.",
        "Search saved: new listings that fit it will be signalled to you.",
    ),
    (
        "search.save",
        "Enregistrer cette recherche",
        "Save this search",
    ),
    (
        "search.save_hint",
        "Soyez prévenu des nouvelles annonces qui y répondent.",
        "Be told of new listings that fit it.",
    ),
    ("search.saved_kind.offer", "Offres", "Offers"),
    ("search.saved_kind.request", "Demandes", "Requests"),
    (
        "search.saved_sort.nearest",
        "Les plus proches d'abord",
        "Nearest first",
    ),
    (
        "search.saved_sort.newest",
        "Les plus récentes d'abord",
        "Newest first",
    ),
];
