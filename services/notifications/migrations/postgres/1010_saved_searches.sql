-- Members' saved searches, evaluated on each publication (never re-run on a timer).
CREATE TABLE saved_searches (
    id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    user_id UUID NOT NULL,
    organisation_id UUID NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX saved_searches_tenant ON saved_searches (tenant);
CREATE INDEX saved_searches_user ON saved_searches (user_id);
