CREATE TABLE inbox_items (
    id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    user_id UUID NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    listing_id UUID,
    event_id UUID NOT NULL,
    read BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    -- One item per recipient per event, however often the event is delivered.
    UNIQUE (user_id, event_id)
);
CREATE INDEX inbox_items_user ON inbox_items (tenant, user_id, id DESC);
