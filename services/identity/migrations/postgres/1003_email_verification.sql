-- NULL until the user follows the link sent to them.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;
-- Users created before verification existed (by the operator) count as verified.
UPDATE users SET email_verified_at = created_at;

CREATE TABLE email_verifications (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
