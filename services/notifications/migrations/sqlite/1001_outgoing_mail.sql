-- E-mails the platform writes. A sender delivers unsent ones over SMTP and stamps them; without
-- SMTP (all-in-one mode) they stay here for the operator to read.
CREATE TABLE outgoing_mail (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    event_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    UNIQUE (event_id, recipient)
);
CREATE INDEX outgoing_mail_unsent ON outgoing_mail (next_attempt_at) WHERE sent_at IS NULL;
