-- Hard failures (permanent SMTP refusals, 5xx) per address and territory. After a few in a row
-- the address is undeliverable: mails to it are held (not sent) until the member confirms or
-- changes it; the operator and the member both see it. A delivery resets the count.
CREATE TABLE undeliverable_addresses (
    tenant TEXT NOT NULL,
    address TEXT NOT NULL,
    hard_failures INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    last_failed_at TIMESTAMPTZ NOT NULL,
    undeliverable_since TIMESTAMPTZ,
    PRIMARY KEY (tenant, address)
);
-- Mails held because their address is undeliverable: the sender skips them until it is cleared.
ALTER TABLE outgoing_mail ADD COLUMN held BOOLEAN NOT NULL DEFAULT FALSE;
