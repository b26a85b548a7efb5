CREATE TABLE listings (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    organisation_id BLOB NOT NULL,
    owner_user_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- Browsing a tenant's published listings, newest first (ids are BLOBv7, so time-ordered).
CREATE INDEX listings_tenant_status_id ON listings (tenant, status, id DESC);
