-- IANA time zone of the territory (digests at 08:00 there); empty: the platform's configured one.
ALTER TABLE tenants ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
