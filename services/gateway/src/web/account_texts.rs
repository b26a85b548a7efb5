//! The texts of changing one's e-mail address (the account page's form, the confirmation
//! page, their notices), `(key, French, English)`, sorted like [`super::i18n`]'s tables.

pub const ACCOUNT_TEXTS: &[(&str, &str, &str)] = &[
    (
        "account.email_change",
        "Changer d'adresse e-mail",
        "Change my e-mail address",
    ),
    (
        "account.email_change_lead",
        "Un lien de confirmation sera envoyé à la nouvelle adresse ; votre adresse actuelle reste valable jusqu'à ce que vous le suiviez.",
        "A confirmation link will be sent to the new address; your current address stays valid until you follow it.",
    ),
    (
        "account.email_change_submit",
        "Envoyer le lien de confirmation",
        "Send the confirmation link",
    ),
    (
        "account.email_new",
        "Nouvelle adresse e-mail",
        "New e-mail address",
    ),
    (
        "account.email_pending",
        "En attente de confirmation :",
        "Waiting for confirmation:",
    ),
    (
        "email_change.lead",
        "Confirmez votre nouvelle adresse e-mail : elle remplacera l'ancienne pour vous connecter et recevoir nos e-mails.",
        "Confirm your new e-mail address: it will replace the former one to sign in and receive our e-mails.",
    ),
    (
        "email_change.submit",
        "Confirmer ma nouvelle adresse",
        "Confirm my new address",
    ),
    (
        "email_change.title",
        "Nouvelle adresse e-mail",
        "New e-mail address",
    ),
    (
        "notice.email_change_sent",
        "Un lien de confirmation a été envoyé à votre nouvelle adresse : suivez-le pour terminer le changement. D'ici là, votre adresse actuelle reste valable.",
        "A confirmation link was sent to your new address: follow it to finish the change. Until then, your current address stays valid.",
    ),
    (
        "notice.email_changed",
        "Votre nouvelle adresse e-mail est confirmée : utilisez-la désormais pour vous connecter.",
        "Your new e-mail address is confirmed: use it to sign in from now on.",
    ),
];
