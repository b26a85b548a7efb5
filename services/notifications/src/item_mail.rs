//! The e-mail telling a member of one inbox item at once (for the categories they want at
//! once): text and HTML parts in their language, the other organisation named, a link that
//! opens the item (marking it read) and one to their e-mail settings.

use crate::mail::Mail;
use crate::store::InboxItem;

/// Escapes text for HTML.
pub(crate) fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What an item or digest e-mail carries besides its items: the signed links, which work
/// without signing in, and the territory's branding for the HTML part's header.
pub struct MailLinks {
    /// The member's e-mail settings.
    pub settings: String,
    /// One-click unsubscribe from the item's category.
    pub unsubscribe: String,
    pub branding: crate::branding::Branding,
}

/// The e-mail about `item` to `address`, in `language` (`en`, else French). `tenant_url` is
/// `<public url>/<tenant>`.
pub fn item_mail(
    item: &InboxItem,
    address: &str,
    language: &str,
    tenant_url: &str,
    links: &MailLinks,
) -> Mail {
    let english = language == "en" && !item.title.en.is_empty();
    let (title, body) = if english {
        (&item.title.en, &item.body.en)
    } else {
        (&item.title.fr, &item.body.fr)
    };
    let open = format!("{tenant_url}/notifications/{}", item.id);
    let settings = &links.settings;
    let (from_label, open_label, why, settings_label) = if english {
        (
            "From",
            "Open",
            "You receive this e-mail because you chose to be told of this at once.",
            "Change when you receive e-mails",
        )
    } else {
        (
            "De la part de",
            "Ouvrir",
            "Vous recevez cet e-mail car vous avez choisi d'être prévenu tout de suite.",
            "Choisir quand recevoir des e-mails",
        )
    };
    // French puts a space before a colon.
    let colon = if english { ":" } else { " :" };
    let from = &item.other_organisation_name;
    let from_text = if from.is_empty() {
        String::new()
    } else {
        format!("{from_label}{colon} {from}\n\n")
    };
    let text = format!(
        "{title}\n\n{body}\n\n{from_text}{open_label}{colon} {open}\n\n-- \n{why}\n{settings_label}{colon} {settings}\n"
    );
    let from_html = if from.is_empty() {
        String::new()
    } else {
        format!("<p>{from_label} <strong>{}</strong></p>\n", escaped(from))
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n{header}\
         <h1>{title}</h1>\n<p>{body}</p>\n{from_html}<p><a href=\"{open}\">{open_label}</a></p>\n\
         <hr>\n<p><small>{why} <a href=\"{settings}\">{settings_label}</a></small></p>\n</body></html>\n",
        lang = if english { "en" } else { "fr" },
        title = escaped(title),
        body = escaped(body),
        open = escaped(&open),
        settings = escaped(settings),
        header = links.branding.header_html(),
    );
    Mail {
        recipient: address.to_owned(),
        subject: title.clone(),
        body: text,
        html,
        list_unsubscribe: links.unsubscribe.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synergies_platform::i18n::Text;
    use uuid::Uuid;

    #[test]
    fn the_mail_names_the_other_side_links_the_item_and_escapes_html() {
        let item = InboxItem {
            id: Uuid::now_v7(),
            tenant: "dijon".into(),
            user_id: Uuid::now_v7(),
            kind: "conversation.message_posted".into(),
            title: Text::new("New message <b>", "Nouveau message <b>"),
            body: Text::new("Hello", "Bonjour"),
            listing_id: None,
            for_organisation: false,
            event_id: Uuid::now_v7(),
            read: false,
            created_at: synergies_platform::time::now(),
            subject: crate::store::Subject::Nothing,
            other_organisation: None,
            other_organisation_name: "Brasserie & Co".into(),
        };
        let links = MailLinks {
            settings: "https://x.fr/dijon/e-mails?token=s".into(),
            unsubscribe: "https://x.fr/dijon/e-mails/desabonnement?token=u".into(),
            branding: crate::branding::Branding::plain("dijon"),
        };
        let french = item_mail(&item, "a@b.fr", "fr", "https://x.fr/dijon", &links);
        assert_eq!(french.list_unsubscribe, links.unsubscribe);
        assert_eq!(french.subject, "Nouveau message <b>");
        assert!(french.body.contains(&format!(
            "Ouvrir : https://x.fr/dijon/notifications/{}",
            item.id
        )));
        assert!(french.body.contains("De la part de : Brasserie & Co"));
        assert!(french.html.contains("<strong>Brasserie &amp; Co</strong>"));
        assert!(french.html.contains("Nouveau message &lt;b&gt;"));
        let english = item_mail(&item, "a@b.fr", "en", "https://x.fr/dijon", &links);
        assert!(english.body.starts_with("New message <b>\n\nHello"));
    }
}
