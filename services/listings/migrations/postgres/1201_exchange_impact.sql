-- Impact of each exchange, computed when it completes (see src/exchanges/impact.rs), in integer
-- grams and cents so that sums are exact; the month (YYYY-MM, UTC) groups totals alike on both
-- engines.
ALTER TABLE exchanges ADD COLUMN kg_diverted_grams BIGINT;
ALTER TABLE exchanges ADD COLUMN co2e_grams BIGINT;
ALTER TABLE exchanges ADD COLUMN value_cents BIGINT;
ALTER TABLE exchanges ADD COLUMN month TEXT NOT NULL DEFAULT '';
CREATE INDEX exchanges_tenant_month ON exchanges (tenant, month);
-- The mass of one unit each side stated at confirmation (grams), overriding the category's.
ALTER TABLE listing_reservations ADD COLUMN owner_kg_per_unit_grams BIGINT;
ALTER TABLE listing_reservations ADD COLUMN counterpart_kg_per_unit_grams BIGINT;
