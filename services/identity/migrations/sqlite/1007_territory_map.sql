-- Where maps of the territory open: an optional centre and bounds (WGS 84).
ALTER TABLE tenants ADD COLUMN centre_latitude REAL;
ALTER TABLE tenants ADD COLUMN centre_longitude REAL;
ALTER TABLE tenants ADD COLUMN bounds_south REAL;
ALTER TABLE tenants ADD COLUMN bounds_west REAL;
ALTER TABLE tenants ADD COLUMN bounds_north REAL;
ALTER TABLE tenants ADD COLUMN bounds_east REAL;
