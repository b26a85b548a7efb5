-- Inbox items in English too, beside the French `title` and `body`; items written before this
-- column have none, and readers fall back to the French text.
ALTER TABLE inbox_items ADD COLUMN title_en TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_items ADD COLUMN body_en TEXT NOT NULL DEFAULT '';
