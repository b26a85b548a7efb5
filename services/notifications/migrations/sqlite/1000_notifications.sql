CREATE TABLE inbox_items (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    user_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    listing_id BLOB,
    event_id BLOB NOT NULL,
    read BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    -- One item per recipient per event, however often the event is delivered.
    UNIQUE (user_id, event_id)
);
CREATE INDEX inbox_items_user ON inbox_items (tenant, user_id, id DESC);
