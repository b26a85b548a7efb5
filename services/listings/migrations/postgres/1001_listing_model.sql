-- The full listing model (issue 4): resource type, exchange mode and price, quantity, condition,
-- availability window, location, lifecycle reason; and the search term index.
ALTER TABLE listings ADD COLUMN resource_type TEXT NOT NULL DEFAULT 'goods';
-- Top-level category, for facet counts without string functions that differ between engines.
ALTER TABLE listings ADD COLUMN category_root TEXT NOT NULL DEFAULT '';
UPDATE listings SET category_root = split_part(category, '/', 1);
ALTER TABLE listings ADD COLUMN ewc_code TEXT;
ALTER TABLE listings ADD COLUMN exchange_mode TEXT NOT NULL DEFAULT 'give';
ALTER TABLE listings ADD COLUMN price_cents BIGINT;
ALTER TABLE listings ADD COLUMN price_basis TEXT;
ALTER TABLE listings ADD COLUMN quantity_thousandths BIGINT;
ALTER TABLE listings ADD COLUMN quantity_unit TEXT;
ALTER TABLE listings ADD COLUMN recurrence TEXT;
ALTER TABLE listings ADD COLUMN item_condition TEXT;
ALTER TABLE listings ADD COLUMN available_from DATE;
ALTER TABLE listings ADD COLUMN available_until DATE;
ALTER TABLE listings ADD COLUMN site_id UUID;
ALTER TABLE listings ADD COLUMN insee_code TEXT;
ALTER TABLE listings ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE listings ADD COLUMN longitude DOUBLE PRECISION;
ALTER TABLE listings ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE listings ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE listings SET updated_at = created_at;
ALTER TABLE listings ALTER COLUMN updated_at SET NOT NULL;

-- The expiry sweeper reads listings whose window has passed.
CREATE INDEX listings_status_until ON listings (status, available_until);
-- Distance searches narrow by a bounding box first.
CREATE INDEX listings_tenant_status_latitude ON listings (tenant, status, latitude);

-- Normalised search terms (see src/text.rs), maintained in the listing's own transaction.
CREATE TABLE listing_terms (
    tenant TEXT NOT NULL,
    term TEXT NOT NULL,
    listing_id UUID NOT NULL,
    -- 3 in the title, 1 in the description, 4 in both.
    weight INTEGER NOT NULL,
    -- The weight rides in the index, so a search reads the index alone (index-only scan).
    PRIMARY KEY (tenant, term, listing_id) INCLUDE (weight)
);
CREATE INDEX listing_terms_listing ON listing_terms (listing_id);
