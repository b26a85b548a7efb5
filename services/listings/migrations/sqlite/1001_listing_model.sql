-- The full listing model (issue 4): resource type, exchange mode and price, quantity, condition,
-- availability window, location, lifecycle reason; and the search term index.
ALTER TABLE listings ADD COLUMN resource_type TEXT NOT NULL DEFAULT 'goods';
-- Top-level category, for facet counts without string functions that differ between engines.
ALTER TABLE listings ADD COLUMN category_root TEXT NOT NULL DEFAULT '';
UPDATE listings SET category_root = CASE WHEN instr(category, '/') > 0 THEN substr(category, 1, instr(category, '/') - 1) ELSE category END;
ALTER TABLE listings ADD COLUMN ewc_code TEXT;
ALTER TABLE listings ADD COLUMN exchange_mode TEXT NOT NULL DEFAULT 'give';
ALTER TABLE listings ADD COLUMN price_cents INTEGER;
ALTER TABLE listings ADD COLUMN price_basis TEXT;
ALTER TABLE listings ADD COLUMN quantity_thousandths INTEGER;
ALTER TABLE listings ADD COLUMN quantity_unit TEXT;
ALTER TABLE listings ADD COLUMN recurrence TEXT;
ALTER TABLE listings ADD COLUMN item_condition TEXT;
ALTER TABLE listings ADD COLUMN available_from TEXT;
ALTER TABLE listings ADD COLUMN available_until TEXT;
ALTER TABLE listings ADD COLUMN site_id BLOB;
ALTER TABLE listings ADD COLUMN insee_code TEXT;
ALTER TABLE listings ADD COLUMN latitude REAL;
ALTER TABLE listings ADD COLUMN longitude REAL;
ALTER TABLE listings ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE listings ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE listings SET updated_at = created_at;

-- The expiry sweeper reads listings whose window has passed.
CREATE INDEX listings_status_until ON listings (status, available_until);
-- Distance searches narrow by a bounding box first.
CREATE INDEX listings_tenant_status_latitude ON listings (tenant, status, latitude);

-- Normalised search terms (see src/text.rs), maintained in the listing's own transaction.
CREATE TABLE listing_terms (
    tenant TEXT NOT NULL,
    term TEXT NOT NULL,
    listing_id BLOB NOT NULL,
    -- 3 in the title, 1 in the description, 4 in both.
    weight INTEGER NOT NULL,
    PRIMARY KEY (tenant, term, listing_id)
-- Stored in key order: a term's rows, weights included, are read contiguously.
) WITHOUT ROWID;
CREATE INDEX listing_terms_listing ON listing_terms (listing_id);
