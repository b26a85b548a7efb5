-- Colleagues invited by an organisation admin; the e-mailed token creates their account.
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL,
    roles TEXT NOT NULL,
    invited_by BLOB NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
