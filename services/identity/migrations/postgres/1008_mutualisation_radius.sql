-- Radius within which three or more organisations are proposed a mutualisation, in km.
ALTER TABLE tenants ADD COLUMN mutualisation_radius_km INTEGER NOT NULL DEFAULT 15;
