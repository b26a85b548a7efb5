-- Failed sign-ins, per throttled key: an (account, client) pair, a client, or the operator's
-- sign-in from a client. The key is stored hashed (SHA-256): no e-mail or address is kept here.
-- In the database rather than in a replica's memory, so every identity replica counts the same
-- failures. Times are milliseconds since the Unix epoch.
CREATE TABLE sign_in_failures (
    key_hash TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_ms BIGINT NOT NULL,
    blocked_until_ms BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_last_failure ON sign_in_failures (last_failure_ms);
