-- A site may be registered before anyone places it on a map. SQLite cannot drop a NOT NULL
-- constraint: the table is rebuilt.
CREATE TABLE sites_new (
    id BLOB PRIMARY KEY,
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    tenant TEXT NOT NULL,
    address TEXT NOT NULL,
    insee_code TEXT NOT NULL,
    latitude REAL,
    longitude REAL
);
INSERT INTO sites_new SELECT id, organisation_id, tenant, address, insee_code, latitude, longitude FROM sites;
DROP TABLE sites;
ALTER TABLE sites_new RENAME TO sites;
CREATE INDEX sites_organisation ON sites (organisation_id);
