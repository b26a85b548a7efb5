-- NULL until the user follows the link sent to them.
ALTER TABLE users ADD COLUMN email_verified_at TEXT;
-- Users created before verification existed (by the operator) count as verified.
UPDATE users SET email_verified_at = created_at;

CREATE TABLE email_verifications (
    token_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id),
    expires_at TEXT NOT NULL,
    used_at TEXT
);
