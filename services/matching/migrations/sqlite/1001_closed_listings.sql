-- Listings withdrawn, expired or hidden. Their closing event may be handled before their
-- publication (separate consumers): a closed listing is then never indexed.
CREATE TABLE closed_listings (
    listing_id BLOB PRIMARY KEY
);
