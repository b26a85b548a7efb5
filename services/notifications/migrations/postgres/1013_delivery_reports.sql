-- Delivery status notifications (RFC 3464) the operator fed in, by their Message-ID: a report
-- fed twice (a mailbox pipe that retries) counts its failures once.
CREATE TABLE delivery_reports (
    tenant TEXT NOT NULL,
    message_id TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, message_id)
);
