-- Every change of an item (or of what is known of its organisation) takes the tenant's next
-- revision, under the tenant's lock: each replica keeps the open items in memory and reads only
-- what changed since the revision it last read.
ALTER TABLE items ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX items_revision ON items (tenant, revision);
