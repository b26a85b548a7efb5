-- The territory of each tenant: only professionals located in these communes may join.
CREATE TABLE tenant_communes (
    tenant TEXT NOT NULL REFERENCES tenants (slug),
    insee_code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- Comma-separated.
    postal_codes TEXT NOT NULL,
    PRIMARY KEY (tenant, insee_code)
);

ALTER TABLE organisations ADD COLUMN siret TEXT;
ALTER TABLE organisations ADD COLUMN rna TEXT;
ALTER TABLE organisations ADD COLUMN naf TEXT;
-- Organisations created by the operator before approval existed are approved.
ALTER TABLE organisations ADD COLUMN status TEXT NOT NULL DEFAULT 'approved';
ALTER TABLE organisations ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
-- One organisation per identifier and tenant.
CREATE UNIQUE INDEX organisations_siret ON organisations (tenant, siret) WHERE siret IS NOT NULL;
CREATE UNIQUE INDEX organisations_rna ON organisations (tenant, rna) WHERE rna IS NOT NULL;

CREATE TABLE sites (
    id BLOB PRIMARY KEY,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    tenant TEXT NOT NULL,
    address TEXT NOT NULL,
    insee_code TEXT NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL
);
CREATE INDEX sites_organisation ON sites (organisation_id);

-- Every decision on an organisation: who, when, why.
CREATE TABLE organisation_decisions (
    id BLOB PRIMARY KEY,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    tenant TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX organisation_decisions_organisation ON organisation_decisions (organisation_id);
