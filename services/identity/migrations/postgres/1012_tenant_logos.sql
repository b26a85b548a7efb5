-- A territory's logo, uploaded by its tenant admin (issue 17): decoded and re-encoded as a PNG of
-- pixels only, at most 512 px a side — tens of kB, so it lives in the database with the tenant
-- (every replica sees it, no shared volume). `digest` names this version in the logo's address,
-- so a new logo is seen at once while each version is cached for good.
CREATE TABLE tenant_logos (
    tenant TEXT PRIMARY KEY REFERENCES tenants (slug) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    image BYTEA NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
