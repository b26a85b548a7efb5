-- Creating requests sent again with the same Idempotency-Key: the first answer, kept 24 hours.
-- `response` is NULL while the first request is being handled.
CREATE TABLE idempotency_keys (
    tenant TEXT NOT NULL,
    caller TEXT NOT NULL,
    method TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response BYTEA,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant, caller, method, idempotency_key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at_ms);
