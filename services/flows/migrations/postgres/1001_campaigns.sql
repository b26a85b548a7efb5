-- Diagnostic campaigns, each with its targets, stored whole (JSON) and written with a version check.
CREATE TABLE campaigns (
    id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX campaigns_tenant_id ON campaigns (tenant, id DESC);
