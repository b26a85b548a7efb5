-- Where to write to a member about their inbox items, learned from identity on their behalf
-- when they use the site (their address) and from the pages they read (their language).
CREATE TABLE recipients (
    user_id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    email TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'fr'
);
-- E-mails about inbox items have an HTML part beside the text one.
ALTER TABLE outgoing_mail ADD COLUMN html TEXT NOT NULL DEFAULT '';
