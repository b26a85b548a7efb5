//! Delivery status notifications (RFC 3464): the reports a mail server sends back when a mail
//! it had accepted could not be delivered after all. The SMTP server's own refusals are counted
//! as they happen ([`crate::sender`]); these come later, by mail, and the operator feeds them in.
//!
//! A hand parser, because only a few fields of one part are read: the `message/delivery-status`
//! part of a `multipart/report`, whose per-recipient groups say `Final-Recipient`, `Action` and
//! `Status`. Accepted too: that part alone (some mailbox pipes strip the rest). Nested
//! multiparts, quoted-printable bodies and folded header lines are followed; anything else in
//! the report (the human text, the returned message) is ignored, so a report is never
//! mistaken for the mail it returns.

/// What a report says of one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientStatus {
    /// The address, as `Final-Recipient` (else `Original-Recipient`) names it.
    pub address: String,
    /// `failed`, `delayed`, `delivered`, `relayed` or `expanded` (lower case).
    pub action: String,
    /// The status code, `5.1.1`; empty when the report gave none.
    pub status: String,
    /// The receiving server's answer (`Diagnostic-Code`), for the operator.
    pub diagnostic: String,
}

impl RecipientStatus {
    /// A permanent failure: the mail failed with a 5.x.x status. These count against the
    /// address as a 5xx refusal of the SMTP server does.
    pub fn is_hard(&self) -> bool {
        self.action == "failed" && self.status.starts_with('5')
    }
}

/// Why a text is not a delivery status notification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    #[error("no delivery-status part: this is not a delivery status notification")]
    NoStatusPart,
    #[error("the delivery-status part names no recipient")]
    NoRecipient,
}

/// The recipients a delivery status notification reports on.
pub fn parse(raw: &str) -> Result<Vec<RecipientStatus>, DsnError> {
    let raw = raw.replace("\r\n", "\n");
    let status = find_status_part(&raw, 0)
        .or_else(|| bare_status(&raw))
        .ok_or(DsnError::NoStatusPart)?;
    let recipients = recipients(&status);
    if recipients.is_empty() {
        return Err(DsnError::NoRecipient);
    }
    Ok(recipients)
}

/// The report's own `Message-ID` (its top-level header), by which a report fed twice is known.
pub fn message_id(raw: &str) -> Option<String> {
    let raw = raw.replace("\r\n", "\n");
    let entity = entity(&raw);
    entity
        .field("Message-ID")
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
}

/// A MIME entity split into its (unfolded) header fields and its body.
struct Entity<'a> {
    fields: Vec<(String, String)>,
    body: &'a str,
}

impl Entity<'_> {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type, lower case, without parameters (`text/plain` when absent).
    fn media_type(&self) -> String {
        self.field("Content-Type")
            .and_then(|v| v.split(';').next())
            .map_or_else(|| "text/plain".to_owned(), |t| t.trim().to_lowercase())
    }

    fn boundary(&self) -> Option<String> {
        parameter(self.field("Content-Type")?, "boundary")
    }

    /// The body, decoded when it is quoted-printable (base64 status parts are not seen in
    /// practice: the status part is short ASCII).
    fn decoded_body(&self) -> String {
        let qp = self
            .field("Content-Transfer-Encoding")
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("quoted-printable"));
        if qp {
            decode_quoted_printable(self.body)
        } else {
            self.body.to_owned()
        }
    }
}

fn entity(text: &str) -> Entity<'_> {
    let (head, body) = match text.find("\n\n") {
        Some(at) => (&text[..at], &text[at + 2..]),
        // A part with no body (or headers only).
        None => (text, ""),
    };
    Entity {
        fields: fields(head),
        body,
    }
}

/// Header fields, continuation lines joined to the field they fold.
fn fields(block: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    fields
}

/// A parameter of a structured field (`boundary="abc"` or `boundary=abc`).
fn parameter(field: &str, name: &str) -> Option<String> {
    field.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The body of the first `message/delivery-status` part, searched depth-first.
fn find_status_part(text: &str, depth: usize) -> Option<String> {
    // Reports nest at most a level or two; the bound keeps a hostile message from recursing.
    if depth > 8 {
        return None;
    }
    let entity = entity(text);
    let media = entity.media_type();
    if media == "message/delivery-status" || media == "message/global-delivery-status" {
        return Some(entity.decoded_body());
    }
    if !media.starts_with("multipart/") {
        return None;
    }
    let boundary = entity.boundary()?;
    parts(entity.body, &boundary)
        .into_iter()
        .find_map(|part| find_status_part(part, depth + 1))
}

/// The parts of a multipart body between its `--boundary` lines.
fn parts<'a>(body: &'a str, boundary: &str) -> Vec<&'a str> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == delimiter || trimmed == format!("{delimiter}--") {
            if let Some(from) = start {
                parts.push(body[from..offset].trim_end_matches('\n'));
            }
            if trimmed.ends_with("--") && trimmed != delimiter {
                return parts;
            }
            start = Some(offset + line.len());
        }
        offset += line.len();
    }
    if let Some(from) = start {
        parts.push(&body[from..]);
    }
    parts
}

/// A text that is the status part's fields alone, without the MIME around them.
fn bare_status(text: &str) -> Option<String> {
    let looks_bare = text.lines().any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("final-recipient:") || lower.starts_with("original-recipient:")
    }) && !text
        .lines()
        .take_while(|l| !l.is_empty())
        .any(|l| l.to_ascii_lowercase().starts_with("content-type:"));
    looks_bare.then(|| text.to_owned())
}

/// The per-recipient groups of a status part (the first group, per message, names none).
fn recipients(status: &str) -> Vec<RecipientStatus> {
    // Groups are separated by empty lines (some servers leave spaces on them).
    let mut groups = vec![String::new()];
    for line in status.lines() {
        if line.trim().is_empty() {
            groups.push(String::new());
        } else if let Some(group) = groups.last_mut() {
            group.push_str(line);
            group.push('\n');
        }
    }
    groups
        .iter()
        .map(|g| fields(g))
        .filter_map(|group| {
            let get = |name: &str| {
                group
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            };
            let address = get("Final-Recipient")
                .or_else(|| get("Original-Recipient"))
                .map(|v| address_of(&v))
                .filter(|a| a.contains('@'))?;
            Some(RecipientStatus {
                address,
                action: get("Action")
                    .map(|a| a.trim().to_lowercase())
                    .unwrap_or_default(),
                status: get("Status")
                    .and_then(|s| s.split_whitespace().next().map(str::to_owned))
                    .unwrap_or_default(),
                diagnostic: get("Diagnostic-Code").unwrap_or_default(),
            })
        })
        .collect()
}

/// The address of `rfc822; <user@example.org>` (the address type is optional in practice).
fn address_of(value: &str) -> String {
    let address = value.split_once(';').map_or(value, |(_, a)| a);
    address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned()
}

fn decode_quoted_printable(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split('\n') {
        let (line, soft_break) = match line.trim_end().strip_suffix('=') {
            Some(rest) => (rest, true),
            None => (line.trim_end(), false),
        };
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && let Some(byte) = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(byte);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        if !soft_break {
            out.push(b'\n');
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[path = "dsn_tests.rs"]
mod tests;
