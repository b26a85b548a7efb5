-- Matching's own view of the listings it has been told about (from listing events).
CREATE TABLE listing_index (
    listing_id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    organisation_id BLOB NOT NULL,
    owner_user_id BLOB NOT NULL,
    title TEXT NOT NULL,
    indexed_at TEXT NOT NULL
);
CREATE INDEX listing_index_candidates ON listing_index (tenant, category, kind);

CREATE TABLE matches (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    offer_listing_id BLOB NOT NULL,
    request_listing_id BLOB NOT NULL,
    category TEXT NOT NULL,
    explanation TEXT NOT NULL,
    score REAL NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (offer_listing_id, request_listing_id)
);
CREATE INDEX matches_request ON matches (request_listing_id);
