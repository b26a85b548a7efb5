//! Every text of the web interface, in French and English, side by side.
//!
//! Keys are looked up at render time; a test reads every template and page module and fails
//! on a key missing here, so a missing translation cannot ship. Messages coming from the
//! services arrive already in both languages (see `synergies_platform::i18n`).

use synergies_platform::i18n::Language;

use super::account_texts::ACCOUNT_TEXTS;
use super::branding_texts::BRANDING_TEXTS;
use super::inbox_texts::INBOX_TEXTS;
use super::page_texts::PAGE_TEXTS;

/// `(key, French, English)`.
const TEXTS: &[(&str, &str, &str)] = &[
    ("accept.submit", "Créer mon compte", "Create my account"),
    (
        "accept.title",
        "Rejoindre votre organisation",
        "Join your organisation",
    ),
    (
        "account.change_password",
        "Changer de mot de passe",
        "Change password",
    ),
    ("account.data", "Mes données", "My data"),
    (
        "account.data_lead",
        "Vous pouvez télécharger tout ce que la plateforme sait de vous, ou effacer votre compte.",
        "You can download everything the platform holds about you, or erase your account.",
    ),
    ("account.erase", "Effacer mon compte", "Erase my account"),
    (
        "account.erase_confirm",
        "Effacer définitivement votre compte ? Cette action est irréversible.",
        "Erase your account for good? This cannot be undone.",
    ),
    (
        "account.erase_lead",
        "L'effacement supprime ou anonymise vos données personnelles dans tous les services et met fin à vos sessions.",
        "Erasure deletes or anonymises your personal data in every service and ends your sessions.",
    ),
    (
        "account.export",
        "Télécharger mes données (JSON)",
        "Download my data (JSON)",
    ),
    ("account.organisation", "Organisation", "Organisation"),
    ("account.password", "Mot de passe", "Password"),
    ("account.roles", "Rôles", "Roles"),
    ("account.title", "Mon compte", "My account"),
    (
        "administration.people",
        "Animateurs et administrateurs",
        "Facilitators and administrators",
    ),
    (
        "administration.roles",
        "Rôles sur le territoire",
        "Roles in the territory",
    ),
    (
        "administration.settings",
        "Réglages et identité visuelle",
        "Settings and branding",
    ),
    (
        "administration.title",
        "Administration du territoire",
        "Territory administration",
    ),
    ("common.save", "Enregistrer", "Save"),
    ("common.yes", "Oui", "Yes"),
    ("conversation.agreement", "Accord", "Agreement"),
    (
        "conversation.cancel",
        "Annuler la réservation",
        "Cancel the reservation",
    ),
    (
        "conversation.completed",
        "Échange conclu et enregistré.",
        "Exchange completed and recorded.",
    ),
    (
        "conversation.confirm",
        "Confirmer l'échange",
        "Confirm the exchange",
    ),
    (
        "conversation.erased_message",
        "Message effacé : son auteur a supprimé son compte.",
        "Message erased: its author deleted their account.",
    ),
    (
        "conversation.kg_per_unit",
        "Masse d'une unité en kg (facultatif, pour le calcul d'impact)",
        "Mass of one unit in kg (optional, for the impact)",
    ),
    (
        "conversation.quantity",
        "Quantité transférée",
        "Quantity transferred",
    ),
    (
        "conversation.reserve",
        "Réserver l'annonce pour cette organisation",
        "Reserve the listing for this organisation",
    ),
    (
        "conversation.reserved_here",
        "L'annonce est réservée pour cet échange. Une fois le transfert fait, chaque côté confirme la quantité réellement transférée.",
        "The listing is reserved for this exchange. Once the transfer is done, each side confirms the quantity actually transferred.",
    ),
    (
        "conversation.see_listing",
        "Voir l'annonce",
        "See the listing",
    ),
    ("conversation.send", "Envoyer", "Send"),
    ("conversation.status", "Annonce :", "Listing:"),
    (
        "conversation.you_confirmed",
        "Vous avez confirmé :",
        "You confirmed:",
    ),
    ("conversation.your_message", "Votre message", "Your message"),
    (
        "conversations.about_theirs",
        "à propos de leur annonce",
        "about their listing",
    ),
    (
        "conversations.about_yours",
        "à propos de votre annonce",
        "about your listing",
    ),
    (
        "conversations.none",
        "Aucune conversation pour l'instant.",
        "No conversation yet.",
    ),
    ("conversations.title", "Conversations", "Conversations"),
    (
        "erased.lead",
        "Votre compte est effacé. Merci d'avoir participé aux synergies du territoire.",
        "Your account is erased. Thank you for taking part in the territory's synergies.",
    ),
    ("erased.title", "Compte effacé", "Account erased"),
    (
        "error.back_home",
        "Retour à l'accueil",
        "Back to the home page",
    ),
    (
        "error.no_tenant",
        "Vérifiez l'adresse du territoire.",
        "Check the territory's address.",
    ),
    (
        "error.title",
        "Impossible de continuer",
        "We could not go on",
    ),
    ("facilitation.approve", "Valider", "Approve"),
    (
        "facilitation.empty",
        "Aucune organisation dans cette liste.",
        "No organisation in this list.",
    ),
    (
        "facilitation.filter",
        "Filtrer par statut",
        "Filter by status",
    ),
    ("facilitation.reject", "Refuser", "Reject"),
    ("facilitation.suspend", "Suspendre", "Suspend"),
    (
        "facilitation.title",
        "Animation : organisations",
        "Facilitation: organisations",
    ),
    ("field.address", "Adresse", "Address"),
    (
        "field.available_from",
        "Disponible à partir du",
        "Available from",
    ),
    (
        "field.available_until",
        "Disponible jusqu'au",
        "Available until",
    ),
    ("field.brand_name", "Nom affiché", "Displayed name"),
    ("field.category", "Catégorie", "Category"),
    ("field.commune", "Commune", "Commune"),
    (
        "field.commune_choose",
        "— Choisissez votre commune —",
        "— Choose your commune —",
    ),
    (
        "field.commune_elsewhere",
        "Ma commune n'est pas dans la liste",
        "My commune is not listed",
    ),
    ("field.condition", "État", "Condition"),
    (
        "field.coordinates_hint",
        "Facultatif : position GPS du site, pour les recherches par distance.",
        "Optional: the site's GPS position, for searches by distance.",
    ),
    (
        "field.current_password",
        "Mot de passe actuel",
        "Current password",
    ),
    (
        "field.default_language",
        "Langue par défaut",
        "Default language",
    ),
    ("field.description", "Description", "Description"),
    ("field.display_name", "Nom et prénom", "Full name"),
    ("field.email", "Adresse e-mail", "E-mail address"),
    ("field.ewc_code", "Code déchet (CED)", "Waste code (EWC)"),
    ("field.exchange_mode", "Mode d'échange", "Exchange mode"),
    (
        "field.exchange_modes",
        "Modes d'échange autorisés",
        "Allowed exchange modes",
    ),
    ("field.kind", "Type d'organisation", "Kind of organisation"),
    (
        "field.language",
        "Langue des e-mails",
        "Language of the e-mails",
    ),
    ("field.latitude", "Latitude", "Latitude"),
    (
        "field.listings_need_approval",
        "Les annonces sont validées par un animateur avant publication",
        "Listings are approved by a facilitator before they are published",
    ),
    (
        "field.logo_url",
        "Adresse du logo (https://…)",
        "Logo address (https://…)",
    ),
    ("field.longitude", "Longitude", "Longitude"),
    (
        "field.mutualisation_radius_km",
        "Rayon des mutualisations (km) : trois organisations ou plus à cette distance se voient proposer une collecte, un achat ou un service communs",
        "Mutualisation radius (km): three or more organisations within it are proposed a pooled collection, purchase or service",
    ),
    ("field.naf", "Code NAF/APE", "NAF/APE code"),
    (
        "field.naf_hint",
        "Par exemple 17.21A.",
        "For example 17.21A.",
    ),
    ("field.new_password", "Nouveau mot de passe", "New password"),
    (
        "field.organisation_name",
        "Nom de l'organisation",
        "Organisation name",
    ),
    ("field.password", "Mot de passe", "Password"),
    (
        "field.password_hint",
        "Au moins 12 caractères ; une phrase facile à retenir convient très bien.",
        "At least 12 characters; an easy-to-remember sentence works well.",
    ),
    ("field.photo", "Photo", "Photo"),
    ("field.price_cents", "Prix (€)", "Price (€)"),
    ("field.price_per", "Prix par", "Price per"),
    ("field.primary_colour", "Couleur principale", "Main colour"),
    ("field.quantity", "Quantité", "Quantity"),
    (
        "field.reason",
        "Motif (obligatoire pour refuser ou suspendre)",
        "Reason (required to reject or suspend)",
    ),
    (
        "field.reason_optional",
        "Motif (facultatif)",
        "Reason (optional)",
    ),
    ("field.recurrence", "Fréquence", "Frequency"),
    (
        "field.rna",
        "Numéro RNA (associations)",
        "RNA number (associations)",
    ),
    (
        "field.rna_hint",
        "W suivi de 9 chiffres ; sinon indiquez le SIRET.",
        "W followed by 9 digits; or give the SIRET.",
    ),
    (
        "field.secondary_colour",
        "Couleur secondaire",
        "Second colour",
    ),
    (
        "field.siret",
        "SIRET de l'établissement",
        "SIRET of the establishment",
    ),
    (
        "field.siret_hint",
        "14 chiffres, espaces permises.",
        "14 digits, spaces allowed.",
    ),
    ("field.site_id", "Lieu", "Location"),
    ("field.text", "Recherche", "Search"),
    (
        "field.time_zone",
        "Fuseau horaire du territoire (base IANA, par exemple Europe/Paris ; vide : celui de la plateforme) : les résumés partent à 8 h",
        "Time zone of the territory (IANA database, e.g. Europe/Paris; empty: the platform's): digests go at 8 am",
    ),
    ("field.title", "Titre", "Title"),
    ("field.unit", "Unité", "Unit"),
    (
        "footer.tagline",
        "la plateforme d'échanges entre professionnels du territoire",
        "the exchange platform of the territory's professionals",
    ),
    (
        "forgotten.lead",
        "Indiquez votre adresse e-mail : si un compte existe, vous recevrez un lien pour choisir un nouveau mot de passe.",
        "Give your e-mail address: if an account exists, you will receive a link to choose a new password.",
    ),
    (
        "forgotten.sent",
        "Si un compte existe pour cette adresse, un e-mail vient de lui être envoyé.",
        "If an account exists for this address, an e-mail has just been sent to it.",
    ),
    ("forgotten.submit", "Recevoir le lien", "Send me the link"),
    (
        "forgotten.title",
        "Mot de passe oublié",
        "Forgotten password",
    ),
    (
        "home.all_listings",
        "Toutes les annonces du territoire",
        "All the territory's listings",
    ),
    (
        "home.co2e",
        "Tonnes CO2e évitées (estimation)",
        "Tonnes CO2e avoided (estimate)",
    ),
    (
        "home.communes",
        "Communes du territoire",
        "Communes of the territory",
    ),
    ("home.exchanges", "Échanges conclus", "Exchanges completed"),
    (
        "home.figures",
        "Le territoire en chiffres",
        "The territory in figures",
    ),
    ("home.how", "Comment ça marche", "How it works"),
    (
        "home.lead",
        "Entreprises, associations et organismes publics du territoire : donnez, échangez, prêtez ou vendez ce qui ne vous sert plus, et trouvez ce dont vous avez besoin près de chez vous.",
        "Companies, associations and public bodies of the territory: give, exchange, lend or sell what you no longer use, and find what you need nearby.",
    ),
    (
        "home.listings_online",
        "Annonces en ligne",
        "Listings online",
    ),
    ("home.members", "Membres", "Members"),
    ("home.newest", "Dernières annonces", "Newest listings"),
    (
        "home.step1",
        "Inscrivez votre organisation avec son SIRET : un animateur du territoire la valide.",
        "Register your organisation with its SIRET: a facilitator of the territory approves it.",
    ),
    (
        "home.step2",
        "Publiez vos offres et vos demandes : biens, compétences, locaux.",
        "Publish your offers and requests: goods, skills, premises.",
    ),
    (
        "home.step3",
        "Échangez avec les autres membres et suivez ce que vos échanges ont évité.",
        "Talk with the other members and follow what your exchanges saved.",
    ),
    (
        "home.synergies",
        "Synergies réalisées",
        "Synergies realised",
    ),
    ("home.title", "Accueil", "Home"),
    ("home.tonnes", "Tonnes détournées", "Tonnes diverted"),
    (
        "impact.co2e",
        "kg CO2e évités (estimation)",
        "kg CO2e avoided (estimate)",
    ),
    (
        "impact.co2e_note",
        "CO2e : émissions de fabrication du neuf évitées, d'après la Base Carbone de l'ADEME (facteur par catégorie, ou par appareil pour l'informatique). Euros : prix déclaré, sinon estimation (valeur d'occasion de référence, ou à défaut la taxe sur les déchets que le donneur n'a pas payée). Une synergie réalisée compte la quantité annuelle saisie par l'animateur.",
        "CO2e: emissions of making the same thing new, avoided, after ADEME's Base Carbone (a factor per category, or per device for IT). Euros: the declared price, otherwise an estimate (a reference second-hand value, or else the waste tax the giver did not pay). A realised synergy counts the yearly quantity its facilitator recorded.",
    ),
    ("impact.exchanges", "Échanges", "Exchanges"),
    (
        "impact.export",
        "Exporter l’impact (CSV)",
        "Export the impact (CSV)",
    ),
    ("impact.kg", "kg détournés", "kg diverted"),
    (
        "impact.lead",
        "Les échanges conclus et les synergies réalisées, mois par mois.",
        "Completed exchanges and realised synergies, month by month.",
    ),
    ("impact.month", "Mois", "Month"),
    (
        "impact.none",
        "Aucun échange conclu ni synergie réalisée pour l'instant.",
        "No completed exchange nor realised synergy yet.",
    ),
    (
        "impact.synergies",
        "Synergies réalisées",
        "Realised synergies",
    ),
    (
        "impact.territory_title",
        "Impact du territoire",
        "The territory's impact",
    ),
    ("impact.title", "Mon impact", "My impact"),
    (
        "impact.value",
        "Euros économisés (déclarés ou estimés)",
        "Euros saved (declared or estimated)",
    ),
    (
        "inbox.lead",
        "Ce que la plateforme vous a signalé : offres qui répondent à vos demandes, messages, réservations, échanges terminés.",
        "What the platform told you: offers that meet your requests, messages, reservations, completed exchanges.",
    ),
    (
        "inbox.none",
        "Aucune notification pour l'instant.",
        "No notifications yet.",
    ),
    (
        "inbox.older",
        "Notifications plus anciennes",
        "Older notifications",
    ),
    ("inbox.title", "Notifications", "Notifications"),
    ("kind.association", "Association", "Association"),
    ("kind.company", "Entreprise", "Company"),
    ("kind.public_body", "Organisme public", "Public body"),
    ("listing.add_photo", "Ajouter une photo", "Add a photo"),
    ("listing.availability", "Disponibilité", "Availability"),
    (
        "listing.contact",
        "Contacter l'organisation",
        "Contact the organisation",
    ),
    ("listing.edit", "Modifier", "Edit"),
    ("listing.ewc", "Code déchet (CED)", "Waste code (EWC)"),
    ("listing.free", "Gratuit", "Free"),
    ("listing.from", "à partir du", "from"),
    (
        "listing.hidden_because",
        "Masquée par un animateur :",
        "Hidden by a facilitator:",
    ),
    ("listing.kind.offer", "Offre", "Offer"),
    ("listing.kind.request", "Demande", "Request"),
    ("listing.per.day", "jour", "day"),
    ("listing.per.lot", "le lot", "lot"),
    ("listing.per.month", "mois", "month"),
    ("listing.per.unit", "l'unité", "unit"),
    ("listing.per.week", "semaine", "week"),
    ("listing.per.year", "an", "year"),
    ("listing.photo", "Photo", "Photo"),
    (
        "listing.photo_hint",
        "JPEG, PNG ou WebP, 10 Mo au plus, 8 photos par annonce. Les métadonnées (position GPS…) sont retirées.",
        "JPEG, PNG or WebP, 10 MB at most, 8 photos per listing. Metadata (GPS position…) is removed.",
    ),
    ("listing.price", "Prix", "Price"),
    ("listing.quantity", "Quantité", "Quantity"),
    (
        "listing.sign_in_to_contact",
        "Connectez-vous pour contacter l'organisation",
        "Sign in to contact the organisation",
    ),
    ("listing.status.completed", "conclue", "completed"),
    ("listing.status.draft", "brouillon", "draft"),
    ("listing.status.expired", "expirée", "expired"),
    ("listing.status.hidden", "masquée", "hidden"),
    (
        "listing.status.pending_approval",
        "en attente de validation",
        "waiting for approval",
    ),
    ("listing.status.published", "publiée", "published"),
    ("listing.status.reserved", "réservée", "reserved"),
    ("listing.status.withdrawn", "retirée", "withdrawn"),
    ("listing.submit", "Publier", "Publish"),
    ("listing.to", "au", "to"),
    ("listing.unit.L", "L", "L"),
    ("listing.unit.day", "jour(s)", "day(s)"),
    ("listing.unit.h", "h", "h"),
    ("listing.unit.kg", "kg", "kg"),
    ("listing.unit.m", "m", "m"),
    ("listing.unit.m2", "m²", "m²"),
    ("listing.unit.m3", "m³", "m³"),
    ("listing.unit.piece", "pièce(s)", "piece(s)"),
    ("listing.unit.t", "t", "t"),
    ("listing.until", "jusqu'au", "until"),
    ("listing.upload", "Envoyer la photo", "Upload the photo"),
    (
        "listing.withdraw",
        "Retirer l'annonce",
        "Withdraw the listing",
    ),
    (
        "listing.withdraw_confirm",
        "Retirer cette annonce ?",
        "Withdraw this listing?",
    ),
    ("listing.your_listing", "Votre annonce", "Your listing"),
    (
        "mail.empty",
        "Aucun e-mail pour l'instant.",
        "No e-mail yet.",
    ),
    (
        "mail.held",
        "retenu : adresse non distribuable",
        "held: undeliverable address",
    ),
    (
        "mail.kept",
        "pas encore envoyé (en attente du serveur SMTP, ou conservé ici s'il n'y en a pas)",
        "not sent yet (waiting for the SMTP server, or kept here when there is none)",
    ),
    (
        "mail.lead",
        "Les e-mails écrits par la plateforme pour ce territoire, du plus récent au plus ancien.",
        "The e-mails the platform wrote for this territory, newest first.",
    ),
    ("mail.refusals", "refus", "refusals"),
    ("mail.sent", "envoyé", "sent"),
    ("mail.title", "Courriels sortants", "Outgoing mail"),
    ("mail.to", "À", "To"),
    (
        "mail.undeliverable_lead",
        "Ces adresses ont refusé nos e-mails plusieurs fois de suite, définitivement (SMTP 5xx) : plus rien ne leur est envoyé tant que leur membre ne les a pas confirmées sur sa page de réglages des e-mails.",
        "These addresses refused our e-mails for good (SMTP 5xx) several times in a row: nothing more is sent to them until their member confirms them on their e-mail settings page.",
    ),
    (
        "mail.undeliverable_title",
        "Adresses non distribuables",
        "Undeliverable addresses",
    ),
    (
        "meta.description",
        "Plateforme d'écologie industrielle territoriale : les entreprises du territoire échangent ressources, déchets, énergie, compétences et locaux, et les animateurs font naître des synergies.",
        "Territorial industrial ecology platform: the firms of a territory exchange resources, waste, energy, skills and premises, and facilitators bring synergies about.",
    ),
    ("mode.exchange", "Échange", "Exchange"),
    ("mode.give", "Don", "Give"),
    ("mode.lend", "Prêt", "Lend"),
    ("mode.rent", "Location", "Rent"),
    ("mode.sell", "Vente", "Sell"),
    ("moderation.hide", "Masquer", "Hide"),
    (
        "moderation.reason",
        "Motif (obligatoire pour masquer, transmis au propriétaire)",
        "Reason (required to hide, told to the owner)",
    ),
    (
        "moderation.title",
        "Annonces à valider",
        "Listings to approve",
    ),
    ("my_listings.title", "Mes annonces", "My listings"),
    ("nav.account", "Mon compte", "My account"),
    ("nav.administration", "Administration", "Administration"),
    ("nav.conversations", "Conversations", "Conversations"),
    ("nav.facilitation", "Animation", "Facilitation"),
    ("nav.impact", "Mon impact", "My impact"),
    ("nav.inbox", "Notifications", "Notifications"),
    ("nav.label", "Navigation principale", "Main navigation"),
    ("nav.listings", "Annonces", "Listings"),
    ("nav.my_listings", "Mes annonces", "My listings"),
    ("nav.organisation", "Mon organisation", "My organisation"),
    ("nav.outgoing_mail", "Courriels sortants", "Outgoing mail"),
    ("nav.publish", "Publier une annonce", "Publish a listing"),
    ("nav.sign_in", "Se connecter", "Sign in"),
    ("nav.sign_out", "Se déconnecter", "Sign out"),
    (
        "nav.sign_up",
        "Inscrire mon organisation",
        "Register my organisation",
    ),
    ("nav.skip", "Aller au contenu", "Skip to content"),
    (
        "notice.approved",
        "Annonce validée et publiée.",
        "Listing approved and published.",
    ),
    (
        "notice.confirmed",
        "Confirmation enregistrée ; l'autre organisation doit confirmer à son tour.",
        "Confirmation recorded; the other organisation confirms in turn.",
    ),
    ("notice.created", "Annonce enregistrée.", "Listing saved."),
    (
        "notice.decided",
        "Décision enregistrée ; l'organisation est prévenue par e-mail.",
        "Decision recorded; the organisation is told by e-mail.",
    ),
    (
        "notice.exchange_completed",
        "Échange conclu et enregistré.",
        "Exchange completed and recorded.",
    ),
    (
        "notice.hidden",
        "Annonce masquée ; son propriétaire est prévenu.",
        "Listing hidden; its owner is told.",
    ),
    ("notice.invited", "Invitation envoyée.", "Invitation sent."),
    ("notice.message_sent", "Message envoyé.", "Message sent."),
    (
        "notice.password_changed",
        "Mot de passe changé.",
        "Password changed.",
    ),
    (
        "notice.password_reset",
        "Mot de passe changé : connectez-vous avec le nouveau.",
        "Password changed: sign in with the new one.",
    ),
    ("notice.photo_added", "Photo ajoutée.", "Photo added."),
    (
        "notice.reservation_cancelled",
        "Réservation annulée : l'annonce est de nouveau publiée.",
        "Reservation cancelled: the listing is published again.",
    ),
    (
        "notice.reserved",
        "Annonce réservée pour cette organisation.",
        "Listing reserved for this organisation.",
    ),
    ("notice.reset_sent", "E-mail envoyé.", "E-mail sent."),
    ("notice.roles_saved", "Rôles enregistrés.", "Roles saved."),
    ("notice.saved", "Réglages enregistrés.", "Settings saved."),
    ("notice.submitted", "Annonce soumise.", "Listing submitted."),
    ("notice.updated", "Annonce modifiée.", "Listing updated."),
    (
        "notice.updated_for_approval",
        "Annonce modifiée ; elle attend de nouveau la validation d'un animateur avant d'être visible.",
        "Listing updated; it waits again for a facilitator's approval before it is visible.",
    ),
    (
        "notice.verified",
        "Adresse confirmée : vous pouvez vous connecter.",
        "Address confirmed: you can sign in.",
    ),
    (
        "notice.welcome",
        "Compte créé : connectez-vous.",
        "Account created: sign in.",
    ),
    ("notice.withdrawn", "Annonce retirée.", "Listing withdrawn."),
    (
        "operator.hint",
        "Le secret figure dans le fichier operator-token du répertoire de données, ou dans SYNERGIES_IDENTITY__OPERATOR_TOKEN.",
        "The secret is in the data directory's operator-token file, or in SYNERGIES_IDENTITY__OPERATOR_TOKEN.",
    ),
    (
        "operator.secret",
        "Secret de l'opérateur",
        "Operator secret",
    ),
    (
        "operator.tenant",
        "Territoire (identifiant)",
        "Territory (slug)",
    ),
    (
        "operator.title",
        "Connexion de l'opérateur",
        "Operator sign-in",
    ),
    (
        "organisation.close",
        "Fermer l'organisation",
        "Close the organisation",
    ),
    (
        "organisation.close_confirm",
        "Fermer l'organisation ? Ses membres ne pourront plus publier.",
        "Close the organisation? Its members will no longer publish.",
    ),
    (
        "organisation.close_lead",
        "Ses annonces ne seront plus proposées ; chacun garde son compte pour télécharger ou effacer ses données.",
        "Its listings stop being offered; everyone keeps their account to download or erase their data.",
    ),
    (
        "organisation.close_submit",
        "Fermer définitivement",
        "Close for good",
    ),
    ("organisation.colleagues", "Collègues", "Colleagues"),
    (
        "organisation.invite",
        "Inviter un collègue",
        "Invite a colleague",
    ),
    (
        "organisation.invite_submit",
        "Envoyer l'invitation",
        "Send the invitation",
    ),
    ("organisation.title", "Mon organisation", "My organisation"),
    (
        "pending.lead",
        "Un animateur du territoire vérifie chaque nouvelle organisation avant qu'elle publie. Vous recevrez un e-mail dès sa décision.",
        "A facilitator of the territory checks every new organisation before it publishes. You will receive an e-mail as soon as they decide.",
    ),
    ("pending.reason", "Motif :", "Reason:"),
    ("pending.status", "Statut :", "Status:"),
    (
        "pending.title",
        "En attente de validation",
        "Waiting for approval",
    ),
    (
        "publish.available_from",
        "Disponible à partir du",
        "Available from",
    ),
    (
        "publish.available_until",
        "Jusqu'au (l'annonce expire ensuite)",
        "Until (the listing then expires)",
    ),
    (
        "publish.choose_category",
        "— Choisissez une catégorie —",
        "— Choose a category —",
    ),
    ("publish.condition", "État (biens)", "Condition (goods)"),
    ("publish.condition.for_parts", "pour pièces", "for parts"),
    ("publish.condition.good", "bon état", "good"),
    ("publish.condition.like_new", "comme neuf", "like new"),
    ("publish.condition.new", "neuf", "new"),
    ("publish.condition.used", "usagé", "used"),
    ("publish.description", "Description", "Description"),
    (
        "publish.draft",
        "Garder en brouillon (ne pas publier tout de suite)",
        "Keep as a draft (do not publish yet)",
    ),
    (
        "publish.edit_title",
        "Modifier l'annonce",
        "Edit the listing",
    ),
    ("publish.how", "Conditions", "Terms"),
    ("publish.listing_title", "Titre", "Title"),
    ("publish.location", "Lieu", "Location"),
    ("publish.my_site", "Mon site", "My site"),
    ("publish.offer", "Je propose", "I offer"),
    ("publish.optional", "facultatif", "optional"),
    ("publish.price", "Prix (€)", "Price (€)"),
    (
        "publish.price_hint",
        "Obligatoire pour vendre ou louer ; pas de prix pour un don ou un prêt.",
        "Required to sell or rent; no price to give or lend.",
    ),
    ("publish.price_per", "Par", "Per"),
    ("publish.recurrence", "Fréquence", "Frequency"),
    ("publish.recurrence.month", "chaque mois", "every month"),
    ("publish.recurrence.one_off", "une fois", "one-off"),
    ("publish.recurrence.week", "chaque semaine", "every week"),
    ("publish.recurrence.year", "chaque année", "every year"),
    ("publish.request", "Je recherche", "I am looking for"),
    (
        "publish.submit",
        "Enregistrer l'annonce",
        "Save the listing",
    ),
    ("publish.title", "Publier une annonce", "Publish a listing"),
    ("publish.unit", "Unité", "Unit"),
    ("publish.what", "Quoi", "What"),
    ("publish.where_when", "Où et quand", "Where and when"),
    (
        "reset.submit",
        "Enregistrer le nouveau mot de passe",
        "Save the new password",
    ),
    (
        "reset.title",
        "Choisir un nouveau mot de passe",
        "Choose a new password",
    ),
    ("role.facilitator", "Animateur", "Facilitator"),
    ("role.member", "Membre", "Member"),
    (
        "role.organisation_admin",
        "Administrateur de l'organisation",
        "Organisation admin",
    ),
    (
        "role.tenant_admin",
        "Administrateur du territoire",
        "Territory admin",
    ),
    ("search.all", "Tout", "All"),
    ("search.category", "Catégorie", "Category"),
    ("search.facets", "Affiner", "Refine"),
    (
        "search.free_only",
        "Gratuit seulement (dons et prêts)",
        "Free only (give and lend)",
    ),
    ("search.kind", "Offres ou demandes", "Offers or requests"),
    ("search.mode", "Mode d'échange", "Exchange mode"),
    ("search.next", "Page suivante", "Next page"),
    (
        "search.none",
        "Aucune annonce ne correspond.",
        "No listing matches.",
    ),
    (
        "search.placeholder",
        "palettes, cartons, bureau…",
        "pallets, cardboard, office…",
    ),
    ("search.q", "Rechercher", "Search"),
    ("search.results", "Annonces", "Listings"),
    ("search.sort", "Trier par", "Sort by"),
    ("search.sort.newest", "les plus récentes", "newest"),
    ("search.sort.relevance", "pertinence", "relevance"),
    ("search.submit", "Rechercher", "Search"),
    (
        "search.title",
        "Annonces du territoire",
        "The territory's listings",
    ),
    (
        "sent.lead",
        "Nous vous avons envoyé un e-mail : suivez le lien qu'il contient pour confirmer votre adresse.",
        "We sent you an e-mail: follow its link to confirm your address.",
    ),
    (
        "sent.next",
        "Ensuite, un animateur du territoire validera votre organisation.",
        "Then a facilitator of the territory will approve your organisation.",
    ),
    (
        "sent.title",
        "Vérifiez votre messagerie",
        "Check your inbox",
    ),
    (
        "sign_in.forgotten",
        "Mot de passe oublié ?",
        "Forgotten password?",
    ),
    (
        "sign_in.no_account",
        "Pas encore de compte ?",
        "No account yet?",
    ),
    ("sign_in.submit", "Se connecter", "Sign in"),
    ("sign_in.title", "Connexion", "Sign in"),
    (
        "sign_up.lead",
        "La plateforme est réservée aux professionnels du territoire : entreprises, associations et organismes publics.",
        "The platform is reserved to the territory's professionals: companies, associations and public bodies.",
    ),
    (
        "sign_up.organisation",
        "Votre organisation",
        "Your organisation",
    ),
    ("sign_up.site", "Votre site", "Your site"),
    (
        "sign_up.submit",
        "Inscrire mon organisation",
        "Register my organisation",
    ),
    (
        "sign_up.title",
        "Inscrire mon organisation",
        "Register my organisation",
    ),
    ("sign_up.you", "Vous", "You"),
    ("status.approved", "validée", "approved"),
    ("status.closed", "fermée", "closed"),
    ("status.pending", "en attente", "pending"),
    ("status.rejected", "refusée", "rejected"),
    ("status.suspended", "suspendue", "suspended"),
    (
        "verify.lead",
        "Confirmez que cette adresse e-mail est bien la vôtre.",
        "Confirm that this e-mail address is yours.",
    ),
    (
        "verify.submit",
        "Confirmer mon adresse",
        "Confirm my address",
    ),
    (
        "verify.title",
        "Confirmer votre adresse e-mail",
        "Confirm your e-mail address",
    ),
];

/// The texts of the flow inventories' pages, `(key, French, English)`, sorted like [`TEXTS`].
const FLOW_TEXTS: &[(&str, &str, &str)] = &[
    (
        "campaign.add",
        "Ajouter des organisations à la campagne",
        "Add organisations to the campaign",
    ),
    ("campaign.add_submit", "Ajouter", "Add"),
    ("campaign.back", "← Toutes les campagnes", "← All campaigns"),
    (
        "campaign.change_state",
        "Changer l'état",
        "Change the state",
    ),
    (
        "campaign.create",
        "Lancer la campagne",
        "Start the campaign",
    ),
    (
        "campaign.done_words",
        "des organisations visitées ou validées",
        "of the organisations visited or validated",
    ),
    ("campaign.ends_on", "Fin", "End"),
    (
        "campaign.error.date",
        "Choisissez une date.",
        "Choose a date.",
    ),
    (
        "campaign.error.ends_before",
        "La fin ne peut pas précéder le début.",
        "The end cannot come before the start.",
    ),
    (
        "campaign.error.name",
        "Donnez un nom à la campagne, par exemple « Zone industrielle nord 2026 ».",
        "Give the campaign a name, such as \"North industrial estate 2026\".",
    ),
    (
        "campaign.error.summary",
        "La campagne n'a pas été créée : corrigez les champs signalés ci-dessous.",
        "The campaign was not created: correct the fields marked below.",
    ),
    (
        "campaign.list_title",
        "Campagnes de diagnostic",
        "Diagnostic campaigns",
    ),
    ("campaign.name", "Nom de la campagne", "Campaign name"),
    ("campaign.new", "Lancer une campagne", "Start a campaign"),
    (
        "campaign.no_target",
        "Aucune organisation dans cette campagne pour l'instant.",
        "No organisation in this campaign yet.",
    ),
    (
        "campaign.none",
        "Aucune campagne pour l'instant.",
        "No campaign yet.",
    ),
    (
        "campaign.organisations",
        "Organisations à visiter",
        "Organisations to visit",
    ),
    ("campaign.progress", "Avancement", "Progress"),
    ("campaign.starts_on", "Début", "Start"),
    ("campaign.state", "État", "State"),
    ("campaign.state.to_visit", "À visiter", "To visit"),
    (
        "campaign.state.validated",
        "Validé par l'entreprise",
        "Validated by the firm",
    ),
    ("campaign.state.visited", "Visitée", "Visited"),
    ("campaign.targets_words", "organisations", "organisations"),
    ("campaign.to_visit_words", "à visiter", "to visit"),
    ("campaign.validated_words", "validées", "validated"),
    ("campaign.visited_words", "visitées", "visited"),
    (
        "dashboard.by_chapter",
        "Tonnage annuel par chapitre de la nomenclature des déchets",
        "Yearly tonnage by waste catalogue chapter",
    ),
    (
        "dashboard.by_class",
        "Tonnage et énergie annuels par type de ressource",
        "Yearly tonnage and energy by resource type",
    ),
    (
        "dashboard.campaigns",
        "Campagnes de diagnostic en cours",
        "Diagnostic campaigns under way",
    ),
    ("dashboard.chapter", "Chapitre", "Chapter"),
    ("dashboard.column_class", "Ressources", "Resources"),
    (
        "dashboard.column_in",
        "Activités qui les reçoivent",
        "Activities taking them in",
    ),
    (
        "dashboard.column_out",
        "Activités qui les rejettent",
        "Activities letting them out",
    ),
    (
        "dashboard.coverage",
        "Couverture du territoire",
        "Coverage of the territory",
    ),
    (
        "dashboard.coverage_words",
        "organisations ont des flux relevés",
        "organisations have recorded flows",
    ),
    (
        "dashboard.diagnosed",
        "Organisations avec des flux",
        "Organisations with flows",
    ),
    (
        "dashboard.diagram",
        "Flux entre secteurs d'activité",
        "Flows between activity sections",
    ),
    (
        "dashboard.diagram_desc",
        "À gauche, les secteurs d'activité qui rejettent des ressources ; au centre, les types de ressources ; à droite, les secteurs qui en consomment. L'épaisseur d'un lien suit le nombre de flux.",
        "Left, the activity sections that let resources out; middle, the kinds of resources; right, the sections that take them in. A band's thickness follows the number of flows.",
    ),
    (
        "dashboard.diagram_table",
        "Les mêmes chiffres en tableau",
        "The same figures as a table",
    ),
    ("dashboard.flows", "Flux", "Flows"),
    (
        "dashboard.members",
        "Organisations du territoire",
        "Organisations of the territory",
    ),
    ("dashboard.mwh", "MWh par an", "MWh a year"),
    (
        "dashboard.no_waste",
        "Aucun déchet codé pour l'instant.",
        "No coded waste yet.",
    ),
    (
        "dashboard.section",
        "Secteur d'activité",
        "Activity section",
    ),
    (
        "dashboard.title",
        "Tableau de bord des flux du territoire",
        "Territory flow dashboard",
    ),
    ("dashboard.tonnes", "Tonnes par an", "Tonnes a year"),
    (
        "ewc.chapter.01",
        "Extraction minière",
        "Mining and quarrying",
    ),
    (
        "ewc.chapter.02",
        "Agriculture et agroalimentaire",
        "Agriculture and food",
    ),
    (
        "ewc.chapter.03",
        "Bois, papier et carton",
        "Wood, paper and cardboard",
    ),
    (
        "ewc.chapter.04",
        "Cuir, fourrure et textile",
        "Leather, fur and textiles",
    ),
    (
        "ewc.chapter.05",
        "Raffinage du pétrole et gaz",
        "Oil refining and gas",
    ),
    ("ewc.chapter.06", "Chimie minérale", "Inorganic chemistry"),
    ("ewc.chapter.07", "Chimie organique", "Organic chemistry"),
    (
        "ewc.chapter.08",
        "Peintures, vernis, colles et encres",
        "Paints, varnishes, adhesives and inks",
    ),
    ("ewc.chapter.09", "Photographie", "Photography"),
    ("ewc.chapter.10", "Procédés thermiques", "Thermal processes"),
    ("ewc.chapter.11", "Traitement des métaux", "Metal treatment"),
    (
        "ewc.chapter.12",
        "Façonnage des métaux et plastiques",
        "Shaping of metals and plastics",
    ),
    ("ewc.chapter.13", "Huiles usagées", "Waste oils"),
    ("ewc.chapter.14", "Solvants", "Solvents"),
    (
        "ewc.chapter.15",
        "Emballages et chiffons",
        "Packaging and rags",
    ),
    (
        "ewc.chapter.16",
        "Déchets non décrits ailleurs",
        "Wastes not otherwise specified",
    ),
    (
        "ewc.chapter.17",
        "Construction et démolition",
        "Construction and demolition",
    ),
    ("ewc.chapter.18", "Soins médicaux", "Healthcare"),
    (
        "ewc.chapter.19",
        "Traitement des déchets et de l'eau",
        "Waste and water treatment",
    ),
    ("ewc.chapter.20", "Déchets municipaux", "Municipal waste"),
    (
        "field.current_outlet",
        "Débouché ou fournisseur actuel",
        "Current outlet or supplier",
    ),
    ("field.direction", "Sens", "Direction"),
    ("field.label", "Intitulé", "Label"),
    ("field.organisation_id", "Organisation", "Organisation"),
    ("field.period", "Période", "Period"),
    (
        "field.quality",
        "Qualité et contraintes",
        "Quality and constraints",
    ),
    ("field.regularity", "Régularité", "Regularity"),
    ("field.resource_class", "Type de ressource", "Resource type"),
    (
        "field.yearly_cost_eur",
        "Coût annuel (€)",
        "Yearly cost (€)",
    ),
    ("flow.back", "← Retour aux flux", "← Back to the flows"),
    ("flow.change.changed", "Modifié", "Changed"),
    ("flow.change.recorded", "Enregistré", "Recorded"),
    ("flow.change.removed", "Supprimé", "Removed"),
    ("flow.choose", "Choisissez…", "Choose…"),
    (
        "flow.choose_organisation",
        "Choisissez l'organisation visitée",
        "Choose the organisation visited",
    ),
    ("flow.class.by-product", "Sous-produit", "By-product"),
    ("flow.class.energy", "Énergie", "Energy"),
    ("flow.class.equipment", "Équipement", "Equipment"),
    ("flow.class.logistics", "Logistique", "Logistics"),
    ("flow.class.material", "Matière", "Material"),
    ("flow.class.service", "Service", "Service"),
    ("flow.class.skill", "Compétence", "Skill"),
    ("flow.class.space", "Espace", "Space"),
    ("flow.class.waste", "Déchet", "Waste"),
    ("flow.class.water", "Eau", "Water"),
    (
        "flow.confidentiality.facilitator",
        "Animateurs du territoire seulement",
        "Territory facilitators only",
    ),
    (
        "flow.confidentiality.partners",
        "Aussi les entreprises à qui une synergie est proposée",
        "Also firms a synergy is proposed to",
    ),
    (
        "flow.confidentiality.public",
        "Tous les membres du territoire",
        "Every member of the territory",
    ),
    ("flow.direction.in", "Entrant", "Incoming"),
    ("flow.direction.out", "Sortant", "Outgoing"),
    ("flow.edit", "Modifier ce flux", "Change this flow"),
    ("flow.edit_title", "Modifier un flux", "Change a flow"),
    (
        "flow.error.choose",
        "Choisissez une valeur dans la liste.",
        "Choose a value from the list.",
    ),
    (
        "flow.error.direction",
        "Indiquez si la ressource entre ou sort.",
        "Say whether the resource comes in or goes out.",
    ),
    (
        "flow.error.ewc_required",
        "Un déchet doit avoir son code à six chiffres de la nomenclature des déchets, par exemple 15 01 01.",
        "A waste needs its six-digit waste catalogue code, such as 15 01 01.",
    ),
    (
        "flow.error.label",
        "Donnez un intitulé au flux, par exemple « Palettes bois ».",
        "Give the flow a label, such as \"Wooden pallets\".",
    ),
    (
        "flow.error.number",
        "Écrivez un nombre positif, par exemple 12,5.",
        "Write a positive number, such as 12.5.",
    ),
    (
        "flow.error.organisation",
        "Choisissez l'organisation visitée.",
        "Choose the organisation visited.",
    ),
    (
        "flow.error.quantity_required",
        "Indiquez une quantité, même approximative.",
        "Give a quantity, even a rough one.",
    ),
    (
        "flow.error.resource_class",
        "Choisissez le type de ressource.",
        "Choose the kind of resource.",
    ),
    (
        "flow.error.summary",
        "Le flux n'a pas été enregistré : corrigez les champs signalés ci-dessous.",
        "The flow was not saved: correct the fields marked below.",
    ),
    (
        "flow.ewc_hint",
        "Obligatoire pour un déchet, par exemple 15 01 01.",
        "Required for a waste, such as 15 01 01.",
    ),
    (
        "flow.field.confidentiality",
        "Qui peut voir ce flux",
        "Who may see this flow",
    ),
    (
        "flow.field.current_outlet",
        "Débouché ou fournisseur actuel",
        "Current outlet or supplier",
    ),
    ("flow.field.direction", "Sens", "Direction"),
    ("flow.field.label", "Intitulé", "Label"),
    ("flow.field.organisation", "Organisation", "Organisation"),
    ("flow.field.period", "Par", "Per"),
    (
        "flow.field.quality",
        "Qualité et contraintes",
        "Quality and constraints",
    ),
    ("flow.field.regularity", "Régularité", "Regularity"),
    (
        "flow.field.resource_class",
        "Type de ressource",
        "Resource type",
    ),
    ("flow.field.site", "Site", "Site"),
    (
        "flow.field.yearly_cost_eur",
        "Coût annuel actuel (€)",
        "Current yearly cost (€)",
    ),
    ("flow.history", "Historique", "History"),
    (
        "flow.history.someone",
        "Une personne qui n'est plus inscrite",
        "Someone no longer registered",
    ),
    ("flow.how_much", "Combien et comment", "How much and how"),
    ("flow.new_title", "Enregistrer un flux", "Record a flow"),
    ("flow.period.month", "par mois", "a month"),
    ("flow.period.once", "une fois", "once"),
    ("flow.period.week", "par semaine", "a week"),
    ("flow.period.year", "par an", "a year"),
    ("flow.provenance", "Origine", "Source"),
    (
        "flow.provenance.declared",
        "Déclaré par l'entreprise",
        "Declared by the firm",
    ),
    (
        "flow.provenance.recorded",
        "Relevé par un conseiller lors d'une visite",
        "Recorded by an advisor during a visit",
    ),
    ("flow.regularity.continuous", "Continu", "Continuous"),
    ("flow.regularity.occasional", "Occasionnel", "Occasional"),
    ("flow.regularity.seasonal", "Saisonnier", "Seasonal"),
    ("flow.remove", "Supprimer ce flux", "Remove this flow"),
    (
        "flow.remove_confirm",
        "Supprimer définitivement ce flux ?",
        "Remove this flow for good?",
    ),
    ("flow.submit", "Enregistrer le flux", "Save the flow"),
    ("flow.unit.L", "litres", "litres"),
    ("flow.unit.MWh", "MWh", "MWh"),
    ("flow.unit.day", "jours", "days"),
    ("flow.unit.h", "heures", "hours"),
    ("flow.unit.kWh", "kWh", "kWh"),
    ("flow.unit.kg", "kilogrammes", "kilograms"),
    ("flow.unit.m", "mètres", "metres"),
    ("flow.unit.m2", "mètres carrés", "square metres"),
    ("flow.unit.m3", "mètres cubes", "cubic metres"),
    ("flow.unit.piece", "pièces", "pieces"),
    ("flow.unit.t", "tonnes", "tonnes"),
    ("flow.unknown", "Je ne sais pas", "Not known"),
    (
        "flow.visit_lead",
        "Relevé lors d'une visite : le flux sera marqué comme relevé par un conseiller, et l'entreprise pourra le compléter.",
        "Recorded during a visit: the flow is marked as recorded by an advisor, and the firm can complete it.",
    ),
    ("flow.what", "Quelle ressource", "Which resource"),
    ("flow.who", "Qui", "Who"),
    ("flow.yearly", "Quantité annuelle", "Yearly quantity"),
    ("flows.actions", "Actions", "Actions"),
    (
        "flows.campaign_to_visit",
        "Un conseiller viendra relever vos flux.",
        "An advisor will visit to record your flows.",
    ),
    (
        "flows.campaign_validate",
        "Je confirme ces flux",
        "I confirm these flows",
    ),
    (
        "flows.campaign_validated",
        "Vous avez confirmé les flux relevés.",
        "You confirmed the flows recorded.",
    ),
    (
        "flows.campaign_visited",
        "Un conseiller a relevé vos flux : vérifiez-les ci-dessous, corrigez-les au besoin, puis confirmez-les.",
        "An advisor recorded your flows: check them below, correct them if need be, then confirm them.",
    ),
    ("flows.campaigns", "Vos diagnostics", "Your diagnostics"),
    ("flows.count_in", "Flux entrants", "Incoming flows"),
    ("flows.count_out", "Flux sortants", "Outgoing flows"),
    (
        "flows.diagnosed",
        "Rencontrée en diagnostic, pas encore inscrite",
        "Met during a diagnostic, not yet signed up",
    ),
    (
        "flows.empty",
        "Aucun flux enregistré pour l'instant.",
        "No flow recorded yet.",
    ),
    ("flows.flows_of", "Flux de", "Flows of"),
    (
        "flows.lead",
        "Ce que votre organisation consomme et rejette : matières, déchets, énergie, eau, services… C'est à partir de ces flux que la plateforme trouve des synergies avec d'autres entreprises.",
        "What your organisation takes in and lets out: materials, waste, energy, water, services… The platform finds synergies with other firms from these flows.",
    ),
    ("flows.new", "Ajouter un flux", "Add a flow"),
    (
        "flows.no_organisation",
        "Aucune organisation pour l'instant.",
        "No organisation yet.",
    ),
    ("flows.organisation", "Organisation", "Organisation"),
    (
        "flows.organisations",
        "Organisations du territoire",
        "Organisations of the territory",
    ),
    (
        "flows.record_visit",
        "Relever un flux lors d'une visite",
        "Record a flow during a visit",
    ),
    (
        "flows.search",
        "Rechercher dans les flux",
        "Search the flows",
    ),
    ("flows.search_button", "Rechercher", "Search"),
    (
        "flows.search_none",
        "Aucun flux ne correspond à cette recherche.",
        "No flow matches this search.",
    ),
    (
        "flows.search_placeholder",
        "huiles usagées, palettes, chaleur fatale…",
        "used oil, pallets, waste heat…",
    ),
    (
        "flows.search_results",
        "Flux trouvés, les plus pertinents d'abord",
        "Flows found, most relevant first",
    ),
    (
        "flows.territory_title",
        "Flux des organisations",
        "Organisations' flows",
    ),
    ("flows.title", "Mes flux", "My flows"),
    (
        "import.again",
        "Vérifier un autre fichier",
        "Check another file",
    ),
    (
        "import.check",
        "Vérifier le fichier (rien n'est encore enregistré)",
        "Check the file (nothing is saved yet)",
    ),
    ("import.choose", "Choisir le fichier", "Choose the file"),
    ("import.column", "Colonne", "Column"),
    (
        "import.confirm",
        "Importer ces flux pour de bon",
        "Import these flows for good",
    ),
    (
        "import.error.no_file",
        "Choisissez un fichier CSV ou Excel.",
        "Choose a CSV or Excel file.",
    ),
    (
        "import.error.too_large",
        "Le fichier dépasse 3 Mo : découpez-le en plusieurs fichiers.",
        "The file is over 3 MB: split it into several files.",
    ),
    (
        "import.error.unreadable",
        "Le fichier n'a pas pu être lu : réessayez.",
        "The file could not be read: try again.",
    ),
    (
        "import.export",
        "Télécharger les flux",
        "Download the flows",
    ),
    (
        "import.file",
        "Fichier CSV ou Excel (XLSX)",
        "CSV or Excel (XLSX) file",
    ),
    (
        "import.file_hint",
        "Une ligne par flux, avec les colonnes du modèle (en CSV, séparées par des points-virgules ou des virgules ; en Excel, la première feuille) ; 3 Mo au plus.",
        "One line per flow, with the template's columns (in CSV, separated by semicolons or commas; in Excel, the first sheet); at most 3 MB.",
    ),
    (
        "import.lead",
        "Importez plusieurs flux d'un coup depuis un tableur : la plateforme vérifie d'abord tout le fichier, puis enregistre toutes les lignes ou aucune.",
        "Import many flows at once from a spreadsheet: the platform first checks the whole file, then saves every line or none.",
    ),
    ("import.line", "Ligne", "Line"),
    ("import.message", "Ce qui ne va pas", "What is wrong"),
    (
        "import.ready",
        "flux prêts à importer : aucune erreur dans le fichier.",
        "flows ready to import: no error in the file.",
    ),
    (
        "import.rejected",
        "lignes refusées : corrigez-les dans le fichier puis vérifiez-le à nouveau. Rien n'a été enregistré.",
        "rows refused: correct them in the file, then check it again. Nothing was saved.",
    ),
    (
        "import.report_dry",
        "Résultat de la vérification",
        "Result of the check",
    ),
    (
        "import.report_real",
        "Résultat de l'import",
        "Result of the import",
    ),
    ("import.see_flows", "Voir les flux", "See the flows"),
    (
        "import.template",
        "Modèle de fichier à remplir",
        "File template to fill in",
    ),
    ("import.title", "Importer des flux", "Import flows"),
    ("import.written", "flux importés.", "flows imported."),
    ("nace.A", "Agriculture", "Agriculture"),
    ("nace.B", "Industries extractives", "Mining and quarrying"),
    ("nace.C", "Industrie manufacturière", "Manufacturing"),
    ("nace.D", "Énergie", "Energy supply"),
    ("nace.E", "Eau et déchets", "Water and waste"),
    ("nace.F", "Construction", "Construction"),
    ("nace.G", "Commerce", "Trade"),
    ("nace.H", "Transports", "Transport"),
    ("nace.I", "Hébergement, restauration", "Accommodation, food"),
    (
        "nace.J",
        "Information, communication",
        "Information, communication",
    ),
    ("nace.K", "Finance, assurance", "Finance, insurance"),
    ("nace.L", "Immobilier", "Real estate"),
    (
        "nace.M",
        "Activités spécialisées",
        "Professional activities",
    ),
    (
        "nace.N",
        "Services administratifs",
        "Administrative services",
    ),
    ("nace.O", "Administration publique", "Public administration"),
    ("nace.P", "Enseignement", "Education"),
    ("nace.Q", "Santé, action sociale", "Health, social work"),
    ("nace.R", "Arts, loisirs", "Arts, recreation"),
    ("nace.S", "Autres services", "Other services"),
    ("nace.T", "Ménages", "Households"),
    ("nace.U", "Extra-territorial", "Extraterritorial"),
    (
        "nace.unknown",
        "Activité non renseignée",
        "Activity not known",
    ),
    ("nav.campaigns", "Campagnes", "Campaigns"),
    (
        "nav.dashboard",
        "Tableau de bord des flux",
        "Flow dashboard",
    ),
    ("nav.flows", "Mes flux", "My flows"),
    ("nav.synergies", "Synergies", "Synergies"),
    ("nav.territory_flows", "Flux", "Flows"),
    (
        "notice.campaign_changed",
        "La campagne a été mise à jour.",
        "The campaign was updated.",
    ),
    (
        "notice.campaign_confirmed",
        "Merci, vos flux sont confirmés.",
        "Thank you, your flows are confirmed.",
    ),
    (
        "notice.campaign_created",
        "La campagne est lancée.",
        "The campaign has started.",
    ),
    (
        "notice.feedback_given",
        "Merci, votre avis est enregistré.",
        "Thank you, your opinion is recorded.",
    ),
    (
        "notice.flow_changed",
        "Le flux a été modifié.",
        "The flow was changed.",
    ),
    (
        "notice.flow_recorded",
        "Le flux a été enregistré.",
        "The flow was recorded.",
    ),
    (
        "notice.flow_removed",
        "Le flux a été supprimé.",
        "The flow was removed.",
    ),
    (
        "notice.synergy_moved",
        "La synergie a été mise à jour.",
        "The synergy was updated.",
    ),
    ("synergy.board", "Tableau des synergies", "Synergy board"),
    (
        "synergy.board_lead",
        "Chaque synergie avance de « proposée » à « réalisée » ou « abandonnée » ; notez chaque contact pour que l'équipe sache où elle en est.",
        "Each synergy moves from \"proposed\" to \"realised\" or \"abandoned\"; note each contact so the team knows where it stands.",
    ),
    (
        "synergy.column_empty",
        "Aucune synergie à ce stade.",
        "No synergy at this stage.",
    ),
    (
        "synergy.error.reason",
        "Dites pourquoi la synergie est abandonnée.",
        "Say why the synergy is abandoned.",
    ),
    (
        "synergy.error.summary",
        "La synergie n'a pas été mise à jour : voyez le message sur sa carte.",
        "The synergy was not updated: see the message on its card.",
    ),
    (
        "synergy.factor.activity",
        "Activités qui s'échangent habituellement",
        "Activities that usually exchange",
    ),
    ("synergy.factor.category", "Même catégorie", "Same category"),
    ("synergy.factor.distance", "Proximité", "Distance"),
    (
        "synergy.factor.ewc",
        "Code déchet compatible",
        "Compatible waste code",
    ),
    (
        "synergy.factor.exchange_mode",
        "Mode d'échange compatible",
        "Compatible exchange mode",
    ),
    (
        "synergy.factor.quantity",
        "Quantités compatibles",
        "Quantities that fit",
    ),
    (
        "synergy.factor.regulatory",
        "Statut réglementaire",
        "Regulatory status",
    ),
    (
        "synergy.factor.resource_class",
        "Même type de ressource",
        "Same kind of resource",
    ),
    (
        "synergy.factor.text",
        "Descriptions proches",
        "Similar descriptions",
    ),
    (
        "synergy.factor.timing",
        "Disponibilités compatibles",
        "Matching availability",
    ),
    (
        "synergy.factors",
        "Pourquoi cette proposition",
        "Why this proposal",
    ),
    (
        "synergy.groups",
        "Groupes de mutualisation",
        "Pooling groups",
    ),
    ("synergy.kind.mutualisation", "Mutualisation", "Pooling"),
    ("synergy.kind.substitution", "Substitution", "Substitution"),
    ("synergy.members_count", "organisations", "organisations"),
    ("synergy.mine", "Mes synergies", "My synergies"),
    ("synergy.move", "Faire avancer", "Move on"),
    ("synergy.new_status", "Nouvelle étape", "New stage"),
    (
        "synergy.no_group",
        "Aucun groupe de mutualisation pour l'instant.",
        "No pooling group yet.",
    ),
    (
        "synergy.none",
        "Aucune proposition pour l'instant : la plateforme vous préviendra dès qu'une entreprise du territoire pourra utiliser cette ressource ou vous la fournir.",
        "No proposal yet: the platform will tell you as soon as a firm of the territory can use this resource or supply it.",
    ),
    ("synergy.not_relevant", "Pas pertinent", "Not relevant"),
    ("synergy.note", "Note (facultatif)", "Note (optional)"),
    ("synergy.party.flow", "Flux", "Flow"),
    ("synergy.party.listing", "Annonce", "Listing"),
    (
        "synergy.pool.collection",
        "Collecte groupée",
        "Pooled collection",
    ),
    (
        "synergy.pool.purchasing",
        "Achats groupés",
        "Pooled purchasing",
    ),
    (
        "synergy.pool.shared-service",
        "Service partagé",
        "Shared service",
    ),
    (
        "synergy.proposals",
        "Synergies proposées",
        "Proposed synergies",
    ),
    ("synergy.reason", "Raison", "Reason"),
    (
        "synergy.reason_hint",
        "Raison de l'abandon (obligatoire pour abandonner)",
        "Reason for abandoning (required to abandon)",
    ),
    ("synergy.relevant", "Pertinent", "Relevant"),
    ("synergy.save", "Enregistrer", "Save"),
    ("synergy.score", "Intérêt", "Interest"),
    ("synergy.score.high", "Très prometteuse", "Very promising"),
    ("synergy.score.low", "À étudier", "Worth a look"),
    ("synergy.score.medium", "Prometteuse", "Promising"),
    ("synergy.status.abandoned", "Abandonnée", "Abandoned"),
    ("synergy.status.contacted", "Contactée", "Contacted"),
    ("synergy.status.proposed", "Proposée", "Proposed"),
    ("synergy.status.realised", "Réalisée", "Realised"),
    ("synergy.status.studying", "À l'étude", "Under study"),
];

/// The text of `key` in `language`, if there is one.
pub fn lookup(key: &str, language: Language) -> Option<&'static str> {
    let (_, french, english) = [
        TEXTS,
        FLOW_TEXTS,
        INBOX_TEXTS,
        PAGE_TEXTS,
        ACCOUNT_TEXTS,
        BRANDING_TEXTS,
    ]
    .into_iter()
    .find_map(|table| {
        let index = table.binary_search_by(|(k, _, _)| (*k).cmp(key)).ok()?;
        Some(table[index])
    })?;
    Some(match language {
        Language::Fr => french,
        Language::En => english,
    })
}

/// The text of `key` in `language`; `?` when missing (which a test prevents).
pub fn text(key: &str, language: Language) -> &'static str {
    lookup(key, language).unwrap_or_else(|| {
        tracing::error!(key, "missing interface text");
        "?"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_sorted_unique_and_translated() {
        for pair in TEXTS
            .windows(2)
            .chain(FLOW_TEXTS.windows(2))
            .chain(INBOX_TEXTS.windows(2))
        {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (key, _, _) in FLOW_TEXTS.iter().chain(INBOX_TEXTS) {
            assert!(
                TEXTS.binary_search_by(|(k, _, _)| k.cmp(key)).is_err(),
                "{key} in two tables"
            );
        }
        for (key, _, _) in INBOX_TEXTS {
            assert!(
                FLOW_TEXTS.binary_search_by(|(k, _, _)| k.cmp(key)).is_err(),
                "{key} in two tables"
            );
        }
        for pair in PAGE_TEXTS.windows(2).chain(BRANDING_TEXTS.windows(2)) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (key, _, _) in PAGE_TEXTS {
            for table in [TEXTS, FLOW_TEXTS, INBOX_TEXTS] {
                assert!(
                    table.binary_search_by(|(k, _, _)| k.cmp(key)).is_err(),
                    "{key} in two tables"
                );
            }
        }
        for pair in ACCOUNT_TEXTS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (key, _, _) in ACCOUNT_TEXTS {
            for table in [TEXTS, FLOW_TEXTS, INBOX_TEXTS, PAGE_TEXTS, BRANDING_TEXTS] {
                assert!(
                    table.binary_search_by(|(k, _, _)| k.cmp(key)).is_err(),
                    "{key} in two tables"
                );
            }
        }
        for (key, _, _) in BRANDING_TEXTS {
            for table in [TEXTS, FLOW_TEXTS, INBOX_TEXTS, PAGE_TEXTS] {
                assert!(
                    table.binary_search_by(|(k, _, _)| k.cmp(key)).is_err(),
                    "{key} in two tables"
                );
            }
        }
        for (key, french, english) in TEXTS
            .iter()
            .chain(FLOW_TEXTS)
            .chain(INBOX_TEXTS)
            .chain(PAGE_TEXTS)
            .chain(ACCOUNT_TEXTS)
            .chain(BRANDING_TEXTS)
        {
            assert!(!french.is_empty() && !english.is_empty(), "{key}");
        }
    }

    /// Every `t("…")` of the templates and page modules names a text of the table.
    #[test]
    fn every_key_used_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for dir in [
            "templates",
            "src/web",
            "src/web/pages",
            "src/web/pages/listings",
        ] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    sources.push(std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let mut checked = 0;
        for source in &sources {
            for (index, _) in source.match_indices("t(\"") {
                let start = index + 3;
                let Some(length) = source[start..].find('"') else {
                    continue;
                };
                let key = &source[start..start + length];
                if key.contains('.') {
                    assert_ne!(text(key, Language::Fr), "?", "missing text {key}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "only {checked} keys found");
        for family in ["status", "mode", "role", "kind", "notice"] {
            assert!(TEXTS.iter().any(|(k, _, _)| k.starts_with(family)));
        }
    }
}
