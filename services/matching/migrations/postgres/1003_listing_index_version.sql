-- When the indexed version of a listing was published or edited (microseconds): publications
-- and edits arrive on separate consumers, and an older one must not overwrite a newer one.
ALTER TABLE listing_index ADD COLUMN published_at_micros BIGINT NOT NULL DEFAULT 0;
