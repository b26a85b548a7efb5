-- NULL until the user follows the link sent to them.
ALTER TABLE users ADD COLUMN email_verified_at TEXT;
-- Users created before verification existed (by the operator) count as verified.
UPDATE users SET email_verified_at = created_at;
-- Language of the e-mails the user receives: 'fr' or 'en'.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'fr';

-- Single-use, expiring tokens sent by e-mail (only their hash is kept).
CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id),
    -- 'verify_email' or 'reset_password'.
    purpose TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
