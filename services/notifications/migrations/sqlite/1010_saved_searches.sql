-- Members' saved searches, evaluated on each publication (never re-run on a timer).
CREATE TABLE saved_searches (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    user_id BLOB NOT NULL,
    organisation_id BLOB NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX saved_searches_tenant ON saved_searches (tenant);
CREATE INDEX saved_searches_user ON saved_searches (user_id);
