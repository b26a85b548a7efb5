CREATE TABLE tenants (
    slug TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE organisations (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL REFERENCES tenants (slug),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX organisations_tenant ON organisations (tenant);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL REFERENCES tenants (slug),
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (tenant, email)
);
