-- The value of an exchange is what the members declared, or an estimate when they declared
-- none (see data/impact.tsv); exchanges recorded before this column declared theirs.
ALTER TABLE exchanges ADD COLUMN value_estimated BOOLEAN NOT NULL DEFAULT FALSE;
