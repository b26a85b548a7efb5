CREATE TABLE listings (
    id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    organisation_id UUID NOT NULL,
    owner_user_id UUID NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
-- Browsing a tenant's published listings, newest first (ids are UUIDv7, so time-ordered).
CREATE INDEX listings_tenant_status_id ON listings (tenant, status, id DESC);
