-- What an item is about, to open it ("conversation", "listing", "flow", "synergy" and its id),
-- and the other organisation it is about (its name, when the event carried it).
ALTER TABLE inbox_items ADD COLUMN subject_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_items ADD COLUMN subject_id TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_items ADD COLUMN other_organisation_id UUID;
ALTER TABLE inbox_items ADD COLUMN other_organisation_name TEXT NOT NULL DEFAULT '';
-- Which reader read which item. An organisation's items are read by each member on their own,
-- so the state belongs to the reader, not to the item.
CREATE TABLE inbox_reads (
    item_id UUID NOT NULL,
    reader_id UUID NOT NULL,
    read_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (reader_id, item_id)
);
-- Names of organisations, learned from events and from their members, to name them in items
-- written later.
CREATE TABLE organisation_names (
    organisation_id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE INDEX organisation_names_tenant ON organisation_names (tenant);
