-- Keys the service signs with (the one-click unsubscribe links), made at first start and
-- shared by every replica.
CREATE TABLE signing_keys (
    name TEXT PRIMARY KEY,
    secret BLOB NOT NULL
);
-- The one-click unsubscribe address of an e-mail (RFC 8058), empty for account e-mails.
ALTER TABLE outgoing_mail ADD COLUMN list_unsubscribe TEXT NOT NULL DEFAULT '';
