//! The texts of the branding page's logo and preview (issue 17), `(key, French, English)`,
//! sorted like [`super::i18n`]'s tables.

pub const BRANDING_TEXTS: &[(&str, &str, &str)] = &[
    (
        "administration.branding_preview",
        "Aperçu de l'apparence",
        "Branding preview",
    ),
    ("administration.logo", "Logo", "Logo"),
    (
        "administration.logo_alt",
        "Logo actuel du territoire",
        "The territory's current logo",
    ),
    ("administration.logo_choose", "Nouveau logo", "New logo"),
    (
        "administration.logo_hint",
        "PNG, JPEG ou WebP, 2 Mo au plus (pas de SVG : enregistrez-le en PNG). L'image est réduite à 512 pixels de côté au plus et ses métadonnées sont retirées ; elle s'affiche dans l'aperçu dès que vous la choisissez.",
        "PNG, JPEG or WebP, at most 2 MB (not SVG: save it as PNG). The image is reduced to at most 512 pixels a side and its metadata removed; it shows in the preview as soon as you choose it.",
    ),
    (
        "administration.logo_none",
        "Aucun logo envoyé : l'en-tête montre le nom du territoire seul.",
        "No logo uploaded: the header shows the territory's name alone.",
    ),
    (
        "administration.logo_remove",
        "Retirer le logo",
        "Remove the logo",
    ),
    (
        "administration.logo_remove_confirm",
        "Retirer le logo du territoire ?",
        "Remove the territory's logo?",
    ),
    (
        "administration.logo_upload",
        "Envoyer le logo",
        "Upload the logo",
    ),
    ("administration.preview", "Prévisualiser", "Preview"),
    ("administration.preview_button", "Un bouton", "A button"),
    ("administration.preview_link", "un lien", "a link"),
    (
        "administration.preview_note",
        "Le site avec ces couleurs et ce logo. Rien n'est enregistré avant « Enregistrer ».",
        "The site with these colours and this logo. Nothing is saved until “Save”.",
    ),
    (
        "administration.preview_text",
        "Texte courant, avec",
        "Body text, with",
    ),
    ("field.logo", "Logo", "Logo"),
    ("notice.logo_removed", "Logo retiré.", "Logo removed."),
    (
        "notice.logo_saved",
        "Logo enregistré : il s'affiche dès maintenant dans l'en-tête.",
        "Logo saved: the header shows it from now on.",
    ),
    (
        "notice.preview",
        "Aperçu : rien n'est encore enregistré.",
        "Preview: nothing is saved yet.",
    ),
];
