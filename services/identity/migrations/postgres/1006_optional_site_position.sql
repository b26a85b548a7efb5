-- A site may be registered before anyone places it on a map.
ALTER TABLE sites ALTER COLUMN latitude DROP NOT NULL;
ALTER TABLE sites ALTER COLUMN longitude DROP NOT NULL;
