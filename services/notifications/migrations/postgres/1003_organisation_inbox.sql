-- Items for a whole organisation (its diagnosed flows have no owning member): the recipient
-- (`user_id`) is then the organisation's id, and every member of it reads the item.
ALTER TABLE inbox_items ADD COLUMN for_organisation BOOLEAN NOT NULL DEFAULT FALSE;
