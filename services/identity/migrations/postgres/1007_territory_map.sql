-- Where maps of the territory open: an optional centre and bounds (WGS 84).
ALTER TABLE tenants ADD COLUMN centre_latitude DOUBLE PRECISION;
ALTER TABLE tenants ADD COLUMN centre_longitude DOUBLE PRECISION;
ALTER TABLE tenants ADD COLUMN bounds_south DOUBLE PRECISION;
ALTER TABLE tenants ADD COLUMN bounds_west DOUBLE PRECISION;
ALTER TABLE tenants ADD COLUMN bounds_north DOUBLE PRECISION;
ALTER TABLE tenants ADD COLUMN bounds_east DOUBLE PRECISION;
