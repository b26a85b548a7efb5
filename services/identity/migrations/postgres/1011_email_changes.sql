-- A signed-in user's request to change their e-mail address: the new address waits here until
-- the single-use link sent to it is followed (only the token's hash is kept); the old address
-- stays the user's meanwhile. One pending change per user: a new request replaces it.
CREATE TABLE email_changes (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    new_email TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX email_changes_user ON email_changes (user_id);
