-- The secondary colour borders the offers' tags and notices on a pale green background: the
-- former default, amber #f2a900, stands out from it at 1.9:1 where WCAG AA asks 3:1 (issue 17),
-- and settings that keep it could no longer be saved. Territories that never changed it take
-- the web theme's own green, which new territories get too.
UPDATE tenants SET secondary_colour = '#2e7d32' WHERE secondary_colour = '#f2a900';
ALTER TABLE tenants ALTER COLUMN secondary_colour SET DEFAULT '#2e7d32';
