-- A saved search keeps the search page's "free only" (give and lend: what an alert honours)
-- and its sort (what the search re-opens with; alerts are about each new listing, unsorted).
ALTER TABLE saved_searches ADD COLUMN free_only BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE saved_searches ADD COLUMN sort TEXT NOT NULL DEFAULT '';
