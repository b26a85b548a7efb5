-- A territory's flows as they now read. The filtered columns are copies of the body's fields;
-- the body is the whole flow (JSON), written and read whole.
CREATE TABLE flows (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    organisation_id BLOB NOT NULL,
    direction TEXT NOT NULL,
    resource_class TEXT NOT NULL,
    confidentiality TEXT NOT NULL,
    -- 1 at creation, +1 on each change; writes check it (optimistic concurrency).
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
-- Lists newest first (ids are UUIDv7, so time-ordered), for a territory or one organisation.
CREATE INDEX flows_tenant_id ON flows (tenant, id DESC);
CREATE INDEX flows_tenant_organisation_id ON flows (tenant, organisation_id, id DESC);

-- Every version of every flow, removals included: who changed what, when.
CREATE TABLE flow_revisions (
    flow_id BLOB NOT NULL,
    version INTEGER NOT NULL,
    tenant TEXT NOT NULL,
    organisation_id BLOB NOT NULL,
    -- recorded, changed or removed
    change TEXT NOT NULL,
    by_user_id BLOB NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (flow_id, version)
);
