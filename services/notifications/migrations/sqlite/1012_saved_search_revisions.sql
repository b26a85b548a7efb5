-- A counter per territory bumped with every saved search written or deleted (in the same
-- transaction): each replica keeps an index of the territory's saved searches in memory and
-- reads this one row per publication to know whether its index is still current.
CREATE TABLE saved_search_revisions (
    tenant TEXT PRIMARY KEY,
    revision BIGINT NOT NULL
);
-- A saved search keeps the search page's other filters too: the exchange mode and the commune.
ALTER TABLE saved_searches ADD COLUMN exchange_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE saved_searches ADD COLUMN insee_code TEXT NOT NULL DEFAULT '';
