-- Colleagues invited by an organisation admin; the e-mailed token creates their account.
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL,
    roles TEXT NOT NULL,
    invited_by UUID NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
