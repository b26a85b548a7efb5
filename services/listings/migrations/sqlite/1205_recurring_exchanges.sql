-- A recurring listing (a quantity per week, month or year) stays published after an exchange,
-- until its organisation closes it: each exchange is recorded against it, so a listing may now
-- have several. A one-off listing still completes with its first (the service decides).
-- SQLite cannot drop a column's UNIQUE constraint: the table is rebuilt without it.
CREATE TABLE exchanges_recurring (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    listing_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    giver_organisation_id BLOB NOT NULL,
    receiver_organisation_id BLOB NOT NULL,
    exchange_mode TEXT NOT NULL,
    category TEXT NOT NULL,
    quantity_thousandths INTEGER NOT NULL,
    quantity_unit TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    kg_diverted_grams INTEGER,
    co2e_grams INTEGER,
    value_cents INTEGER,
    month TEXT NOT NULL DEFAULT '',
    value_estimated BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO exchanges_recurring (id, tenant, listing_id, conversation_id, giver_organisation_id,
        receiver_organisation_id, exchange_mode, category, quantity_thousandths, quantity_unit,
        completed_at, kg_diverted_grams, co2e_grams, value_cents, month, value_estimated)
    SELECT id, tenant, listing_id, conversation_id, giver_organisation_id,
        receiver_organisation_id, exchange_mode, category, quantity_thousandths, quantity_unit,
        completed_at, kg_diverted_grams, co2e_grams, value_cents, month, value_estimated
      FROM exchanges;
DROP TABLE exchanges;
ALTER TABLE exchanges_recurring RENAME TO exchanges;
CREATE INDEX exchanges_giver ON exchanges (tenant, giver_organisation_id, id);
CREATE INDEX exchanges_receiver ON exchanges (tenant, receiver_organisation_id, id);
CREATE INDEX exchanges_tenant_month ON exchanges (tenant, month);
CREATE INDEX exchanges_listing ON exchanges (tenant, listing_id, id);
