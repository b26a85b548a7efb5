-- A recurring listing (a quantity per week, month or year) stays published after an exchange,
-- until its organisation closes it: each exchange is recorded against it, so a listing may now
-- have several. A one-off listing still completes with its first (the service decides).
ALTER TABLE exchanges DROP CONSTRAINT IF EXISTS exchanges_listing_id_key;
CREATE INDEX exchanges_listing ON exchanges (tenant, listing_id, id);
