//! The texts of the web interface's second pass (form errors next to their fields, the other
//! organisation named, the listing's details, the phone menu, branding checks),
//! `(key, French, English)`, sorted like [`super::i18n`]'s tables.

pub const PAGE_TEXTS: &[(&str, &str, &str)] = &[
    ("conversations.with", "Avec", "With"),
    (
        "form.errors_summary",
        "Le formulaire n'a pas été envoyé : corrigez les champs signalés ci-dessous.",
        "The form was not sent: correct the fields marked below.",
    ),
    (
        "home.empty",
        "Aucune annonce n'est encore en ligne sur ce territoire.",
        "No listing is online in this territory yet.",
    ),
    (
        "home.empty_join",
        "Inscrivez votre organisation pour publier la première.",
        "Register your organisation to publish the first one.",
    ),
    (
        "home.empty_publish",
        "Publiez la première : ce que vous donnez, prêtez ou cherchez.",
        "Publish the first one: what you give, lend or look for.",
    ),
    (
        "home.search_label",
        "Rechercher parmi les annonces du territoire",
        "Search the territory's listings",
    ),
    (
        "listing.close_recurring",
        "Clore l'annonce (plus d'échanges)",
        "Close the listing (no more exchanges)",
    ),
    ("listing.condition", "État", "Condition"),
    ("listing.every.month", "par mois", "a month"),
    ("listing.every.week", "par semaine", "a week"),
    ("listing.every.year", "par an", "a year"),
    (
        "listing.exchanges_done",
        "Échanges réalisés",
        "Exchanges done",
    ),
    ("listing.organisation", "Organisation", "Organisation"),
    ("listing.photo_earlier", "Avant", "Earlier"),
    ("listing.photo_later", "Après", "Later"),
    ("listing.photo_remove", "Retirer", "Remove"),
    (
        "listing.photo_remove_confirm",
        "Retirer cette photo de l'annonce ?",
        "Remove this photo from the listing?",
    ),
    (
        "listing.photos_arrange",
        "Vos photos (la première illustre l'annonce dans les résultats)",
        "Your photos (the first one shows in search results)",
    ),
    ("listing.published_on", "Publiée le", "Published on"),
    (
        "listing.recurring_note",
        "Annonce régulière : elle reste ouverte après chaque échange, jusqu'à ce que son organisation la close.",
        "A regular listing: it stays open after each exchange, until its organisation closes it.",
    ),
    ("map.label", "Carte des annonces", "Map of the listings"),
    ("map.zoom_in", "Zoomer", "Zoom in"),
    ("map.zoom_out", "Dézoomer", "Zoom out"),
    ("nav.menu", "Menu", "Menu"),
    ("notice.photo_moved", "Photo déplacée.", "Photo moved."),
    ("notice.photo_removed", "Photo retirée.", "Photo removed."),
    (
        "publish.error.category",
        "Choisissez la catégorie de ce que vous proposez ou cherchez.",
        "Choose the category of what you offer or look for.",
    ),
    (
        "publish.error.choose",
        "Choisissez une des propositions de la liste.",
        "Choose one of the options of the list.",
    ),
    (
        "publish.error.price",
        "Indiquez un montant en euros, par exemple 12,50.",
        "Give an amount in euros, such as 12.50.",
    ),
    (
        "publish.error.price_free",
        "Laissez le prix vide : un don ou un prêt est gratuit.",
        "Leave the price empty: giving or lending is free.",
    ),
    (
        "publish.error.price_required",
        "Indiquez un prix : une vente ou une location en demande un.",
        "Give a price: selling or renting needs one.",
    ),
    (
        "publish.error.quantity",
        "Indiquez une quantité positive, par exemple 2 ou 0,5.",
        "Give a positive quantity, such as 2 or 0.5.",
    ),
    (
        "publish.error.title",
        "Donnez un titre à l'annonce, par exemple « 40 palettes Europe ».",
        "Give the listing a title, such as \"40 Euro pallets\".",
    ),
    ("publish.photos", "Photos (facultatif)", "Photos (optional)"),
    (
        "publish.photos_hint",
        "Jusqu'à 4 photos JPEG, PNG ou WebP de 10 Mo au plus ; la première illustre l'annonce. D'autres s'ajoutent depuis la page de l'annonce.",
        "Up to 4 JPEG, PNG or WebP photos of 10 MB at most; the first one shows in search results. More can be added from the listing's page.",
    ),
    ("search.distance.any", "Toute distance", "Any distance"),
    ("search.distance.from", "Autour de", "Around"),
    (
        "search.distance.hint",
        "L'un des sites de votre organisation.",
        "One of your organisation's sites.",
    ),
    ("search.distance.radius", "Rayon", "Radius"),
    ("search.distance.within", "à moins de", "within"),
    ("search.filters", "Filtres", "Filters"),
    ("search.sort.nearest", "les plus proches", "nearest"),
];
