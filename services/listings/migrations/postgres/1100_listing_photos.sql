-- Photos of listings (their files are in the photo storage, named by id).
CREATE TABLE listing_photos (
    id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    listing_id UUID NOT NULL,
    position INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size_bytes BIGINT NOT NULL,
    thumbnail_width INTEGER NOT NULL,
    thumbnail_height INTEGER NOT NULL,
    thumbnail_size_bytes BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX listing_photos_listing ON listing_photos (listing_id, position);

-- How many photos each listing has. Adding a photo increments its row with a conditional upsert,
-- which locks the row: concurrent uploads to one listing take turns, so the cap holds.
CREATE TABLE listing_photo_counts (
    listing_id UUID PRIMARY KEY,
    photos INTEGER NOT NULL
);
