//! Daily and weekly digests: at 08:00 in the territory's time zone (Mondays for weekly ones),
//! one e-mail per member grouping, by category, the unread items of the categories they want
//! at that rhythm that no e-mail told yet.
//!
//! Exactly once, across crashes and replicas: each digest is recorded per (member, rhythm,
//! period) and claims its items in the transaction that queues its e-mail (see
//! [`crate::digest_store`]); a period is marked done only once every member's digest is
//! written, so a run cut short is finished by the next look, which skips what was written.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use synergies_platform::CancellationToken;
use uuid::Uuid;

use crate::digest_store::{DigestKey, DigestRecipient, DigestStore};
use crate::error::NotificationsError;
use crate::item_mail::escaped;
use crate::mail::Mail;
use crate::preferences::{Category, Frequency, Preferences};
use crate::schedule::{Clock, TimeZones, latest_period_end};
use crate::store::{InboxItem, PreferencesStore};
use crate::unsubscribe::{LinkSigner, Scope};

/// Most items one digest lists; the rest wait for the next one.
const MAX_ITEMS: u32 = 100;

/// What the digests need.
pub struct Digests {
    pub store: Arc<dyn DigestStore>,
    pub preferences: Arc<dyn PreferencesStore>,
    pub signer: LinkSigner,
    pub public_url: String,
    pub zones: TimeZones,
    pub clock: Clock,
    pub sender: crate::sender::SenderWaker,
    pub brands: crate::branding::TerritoryBrands,
    /// Fault injection for tests: abort the process after this many digests (0: never).
    pub crash_after: u32,
}

/// Fault injection for the crash test of digests: `SYNERGIES_TEST_CRASH_AFTER_DIGESTS=n` aborts
/// the process after it writes `n` digests, as a crash would. Read by debug builds only (the
/// ones the tests run), so that no production setting can stop the service; the test
/// harness's `SYNERGIES_TEST_` variables are not configuration.
pub fn crash_after_digests() -> u32 {
    if cfg!(debug_assertions) {
        std::env::var("SYNERGIES_TEST_CRASH_AFTER_DIGESTS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    } else {
        0
    }
}

impl Digests {
    /// Looks for due digests and reminders every `interval` until `shutdown`.
    pub async fn run(
        self,
        reminders: crate::reminders::Reminders,
        interval: Duration,
        shutdown: CancellationToken,
    ) {
        while !shutdown.is_cancelled() {
            if let Err(error) = self.write_due().await {
                tracing::warn!(%error, "writing digests failed, will try again");
            }
            // Before the next digests: a reminder stored now is in the next one.
            match reminders.remind_due(self.clock.now()).await {
                Ok(0) => {}
                Ok(stored) => tracing::info!(stored, "reminders stored"),
                Err(error) => tracing::warn!(%error, "reminding failed, will try again"),
            }
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// Writes every digest due now that was not written; how many were written.
    pub async fn write_due(&self) -> Result<u32, NotificationsError> {
        let now = self.clock.now();
        let mut written = 0;
        for tenant in self.store.digest_tenants().await? {
            // The territory's own setting, else the configured one.
            let zone = match self.brands.time_zone(&tenant).await {
                Some(own) => own,
                None => self.zones.of(&tenant),
            };
            for frequency in [Frequency::Daily, Frequency::Weekly] {
                let Some(period_end) = latest_period_end(now, zone, frequency) else {
                    continue;
                };
                if self
                    .store
                    .run_finished(&tenant, frequency.as_str(), period_end)
                    .await?
                {
                    continue;
                }
                for recipient in self.store.digest_recipients(&tenant).await? {
                    if self
                        .write_one(&tenant, &recipient, frequency, period_end)
                        .await?
                    {
                        written += 1;
                        self.sender.0.notify_one();
                        if self.crash_after > 0 && written >= self.crash_after {
                            tracing::error!(
                                written,
                                "SYNERGIES_TEST_CRASH_AFTER_DIGESTS reached: aborting (fault injection)"
                            );
                            std::process::abort();
                        }
                    }
                }
                self.store
                    .finish_run(&tenant, frequency.as_str(), period_end, now)
                    .await?;
                tracing::info!(%tenant, frequency = frequency.as_str(), %period_end, "digests written");
            }
        }
        Ok(written)
    }

    /// The member's digest of `frequency` for the period ending at `period_end`, when they
    /// have something to be told at that rhythm. `true`: written now.
    async fn write_one(
        &self,
        tenant: &str,
        recipient: &DigestRecipient,
        frequency: Frequency,
        period_end: DateTime<Utc>,
    ) -> Result<bool, NotificationsError> {
        let set = self
            .preferences
            .set_preferences(tenant, recipient.user_id)
            .await?;
        let preferences = Preferences::from_set(&set);
        if !preferences.0.iter().any(|(_, f)| *f == frequency) {
            return Ok(false);
        }
        let items: Vec<InboxItem> = self
            .store
            .untold_items(tenant, recipient.user_id, period_end, MAX_ITEMS)
            .await?
            .into_iter()
            .filter(|item| {
                Category::of_kind(&item.kind).is_some_and(|c| preferences.frequency(c) == frequency)
            })
            .collect();
        if items.is_empty() {
            return Ok(false);
        }
        let tenant_url = format!("{}/{tenant}", self.public_url.trim_end_matches('/'));
        let links = crate::item_mail::MailLinks {
            settings: format!(
                "{tenant_url}/e-mails?token={}",
                self.signer
                    .token(tenant, recipient.user_id, Scope::Settings)
            ),
            unsubscribe: format!(
                "{tenant_url}/e-mails/desabonnement?token={}",
                self.signer
                    .token(tenant, recipient.user_id, Scope::Digest(frequency))
            ),
            branding: self.brands.of(tenant).await,
        };
        let key = DigestKey {
            id: Uuid::now_v7(),
            tenant: tenant.to_owned(),
            user_id: recipient.user_id,
            frequency: frequency.as_str(),
            period_end,
        };
        let compose =
            |claimed: &[InboxItem]| digest_mail(claimed, recipient, frequency, &tenant_url, &links);
        self.store.write_digest(&key, &items, &compose).await
    }
}

/// A category's heading in a digest.
fn heading(category: Category, english: bool) -> &'static str {
    match (category, english) {
        (Category::Synergy, true) => "Synergies and offers for your requests",
        (Category::Synergy, false) => "Synergies et offres pour vos demandes",
        (Category::Message, _) => "Messages",
        (Category::Reservation, true) => "Reservations and exchanges",
        (Category::Reservation, false) => "Réservations et échanges",
        (Category::Moderation, true) => "Facilitators' decisions",
        (Category::Moderation, false) => "Décisions des animateurs",
        (Category::Alert, true) => "Saved search alerts",
        (Category::Alert, false) => "Alertes de recherches enregistrées",
        (Category::Reminder, true) => "Reminders",
        (Category::Reminder, false) => "Rappels",
    }
}

/// The digest e-mail of `items` (each told once, grouped by category, linking to the item),
/// in the member's language.
pub fn digest_mail(
    items: &[InboxItem],
    recipient: &DigestRecipient,
    frequency: Frequency,
    tenant_url: &str,
    links: &crate::item_mail::MailLinks,
) -> Mail {
    let english = recipient.language == "en";
    let count = items.len();
    let subject = match (english, frequency, count) {
        (true, Frequency::Weekly, 1) => "Your weekly digest: 1 new item".to_owned(),
        (true, Frequency::Weekly, n) => format!("Your weekly digest: {n} new items"),
        (true, _, 1) => "Your daily digest: 1 new item".to_owned(),
        (true, _, n) => format!("Your daily digest: {n} new items"),
        (false, Frequency::Weekly, 1) => "Votre résumé de la semaine : 1 nouveauté".to_owned(),
        (false, Frequency::Weekly, n) => format!("Votre résumé de la semaine : {n} nouveautés"),
        (false, _, 1) => "Votre résumé du jour : 1 nouveauté".to_owned(),
        (false, _, n) => format!("Votre résumé du jour : {n} nouveautés"),
    };
    let colon = if english { ":" } else { " :" };
    let (from_label, open_label, why, settings_label) = if english {
        (
            "From",
            "Open",
            "You receive this digest because you chose it for these notifications.",
            "Change when you receive e-mails",
        )
    } else {
        (
            "De la part de",
            "Ouvrir",
            "Vous recevez ce résumé car vous l'avez choisi pour ces notifications.",
            "Choisir quand recevoir des e-mails",
        )
    };
    let mut text = format!("{subject}\n");
    let mut html = format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{}<h1>{}</h1>\n",
        if english { "en" } else { "fr" },
        escaped(&subject),
        links.branding.header_html(),
        escaped(&subject)
    );
    for category in Category::ALL {
        let grouped: Vec<&InboxItem> = items
            .iter()
            .filter(|item| Category::of_kind(&item.kind) == Some(category))
            .collect();
        if grouped.is_empty() {
            continue;
        }
        let heading = heading(category, english);
        let _ = writeln!(text, "\n== {heading} ==");
        let _ = writeln!(html, "<h2>{}</h2>\n<ul>", escaped(heading));
        for item in grouped {
            let (title, body) = if english && !item.title.en.is_empty() {
                (&item.title.en, &item.body.en)
            } else {
                (&item.title.fr, &item.body.fr)
            };
            let open = format!("{tenant_url}/notifications/{}", item.id);
            let from = &item.other_organisation_name;
            let _ = writeln!(text, "\n* {title}\n  {body}");
            if !from.is_empty() {
                let _ = writeln!(text, "  {from_label}{colon} {from}");
            }
            let _ = writeln!(text, "  {open_label}{colon} {open}");
            let from_html = if from.is_empty() {
                String::new()
            } else {
                format!("<br>{from_label} <strong>{}</strong>", escaped(from))
            };
            let _ = writeln!(
                html,
                "<li><p><a href=\"{}\"><strong>{}</strong></a><br>{}{from_html}</p></li>",
                escaped(&open),
                escaped(title),
                escaped(body)
            );
        }
        html.push_str("</ul>\n");
    }
    let settings = &links.settings;
    let _ = writeln!(text, "\n-- \n{why}\n{settings_label}{colon} {settings}");
    let _ = writeln!(
        html,
        "<hr>\n<p><small>{why} <a href=\"{}\">{settings_label}</a></small></p>\n</body></html>",
        escaped(settings)
    );
    Mail {
        recipient: recipient.email.clone(),
        subject,
        body: text,
        html,
        list_unsubscribe: links.unsubscribe.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synergies_platform::i18n::Text;

    fn item(kind: &str, title: &str, from: &str) -> InboxItem {
        InboxItem {
            id: Uuid::now_v7(),
            tenant: "dijon".into(),
            user_id: Uuid::now_v7(),
            kind: kind.into(),
            title: Text::new(format!("{title} (en)"), title),
            body: Text::new("Body", "Corps <b>"),
            listing_id: None,
            for_organisation: false,
            event_id: Uuid::now_v7(),
            read: false,
            created_at: synergies_platform::time::now(),
            subject: crate::store::Subject::Nothing,
            other_organisation: None,
            other_organisation_name: from.into(),
        }
    }

    #[test]
    fn a_digest_groups_its_items_by_category_and_links_each_once() {
        let items = [
            item("match.found", "Une offre", "Scierie & Fils"),
            item("conversation.message_posted", "Un message", ""),
            item("match.found", "Une autre offre", ""),
        ];
        let recipient = DigestRecipient {
            user_id: Uuid::now_v7(),
            email: "a@b.fr".into(),
            language: "fr".into(),
        };
        let links = crate::item_mail::MailLinks {
            settings: "https://x.fr/dijon/e-mails?token=s".into(),
            unsubscribe: "https://x.fr/dijon/e-mails/desabonnement?token=u".into(),
            branding: crate::branding::Branding::plain("dijon"),
        };
        let mail = digest_mail(
            &items,
            &recipient,
            Frequency::Daily,
            "https://x.fr/dijon",
            &links,
        );
        assert_eq!(mail.subject, "Votre résumé du jour : 3 nouveautés");
        for item in &items {
            let link = format!("https://x.fr/dijon/notifications/{}", item.id);
            assert_eq!(mail.body.matches(&link).count(), 1, "{}", mail.body);
            assert_eq!(mail.html.matches(&link).count(), 1, "{}", mail.html);
        }
        let synergies = mail.body.find("== Synergies").unwrap();
        let messages = mail.body.find("== Messages").unwrap();
        assert!(synergies < messages && mail.body.find("Une autre offre").unwrap() < messages);
        assert!(mail.body.contains("De la part de : Scierie & Fils"));
        assert!(mail.html.contains("<strong>Scierie &amp; Fils</strong>"));
        assert!(mail.html.contains("Corps &lt;b&gt;"));
        assert_eq!(mail.list_unsubscribe, links.unsubscribe);
        let english = DigestRecipient {
            language: "en".into(),
            ..recipient
        };
        let mail = digest_mail(
            &items[..1],
            &english,
            Frequency::Weekly,
            "https://x.fr/dijon",
            &links,
        );
        assert_eq!(mail.subject, "Your weekly digest: 1 new item");
        assert!(mail.body.contains("Une offre (en)"));
    }
}
