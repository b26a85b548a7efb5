-- Branding and settings each tenant admin edits.
ALTER TABLE tenants ADD COLUMN brand_name TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN logo_url TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN primary_colour TEXT NOT NULL DEFAULT '#1d4f91';
ALTER TABLE tenants ADD COLUMN secondary_colour TEXT NOT NULL DEFAULT '#f2a900';
ALTER TABLE tenants ADD COLUMN listings_need_approval BOOLEAN NOT NULL DEFAULT FALSE;
-- Comma-separated: give, exchange, lend, rent, sell.
ALTER TABLE tenants ADD COLUMN exchange_modes TEXT NOT NULL DEFAULT 'give,exchange,lend,rent,sell';
ALTER TABLE tenants ADD COLUMN default_language TEXT NOT NULL DEFAULT 'fr';
