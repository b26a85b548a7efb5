-- argon2id PHC string; NULL until the user has set a password.
ALTER TABLE users ADD COLUMN password_hash TEXT;
-- Comma-separated roles (member, organisation_admin, facilitator, tenant_admin).
ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT 'member';

-- Keys that sign access tokens; the newest signs, all unretired ones verify.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    pkcs8 BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    retired_at TIMESTAMPTZ
);

-- Rotating refresh tokens. A family is one session; a token used twice revokes its family.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family UUID NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
