-- A key's claim is leased to the request handling it, so that a request whose process died
-- does not hold the key for 24 hours: after the lease another try takes the claim over.
-- `effect_event_id` is set by the effect's own transaction (with its first outbox event): a
-- claim whose effect committed is never handled again, only answered from that effect.
ALTER TABLE idempotency_keys ADD COLUMN claim_token TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN claimed_at_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE idempotency_keys ADD COLUMN effect_event_id TEXT;
