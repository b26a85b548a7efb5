-- Digests: one e-mail per member and period grouping the items of the categories they want
-- daily or weekly. A digest is recorded once per (member, rhythm, period) and each item is
-- claimed once per reader, in the transaction that queues the e-mail: a crash and a restart,
-- or two replicas, never send a digest or an item twice.
CREATE TABLE digests (
    id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    user_id UUID NOT NULL,
    frequency TEXT NOT NULL,
    period_end TIMESTAMPTZ NOT NULL,
    items INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, frequency, period_end)
);
-- Items already told by e-mail (at once or in a digest), so that no later digest repeats them.
CREATE TABLE mailed_items (
    reader_id UUID NOT NULL,
    item_id UUID NOT NULL,
    digest_id UUID,
    PRIMARY KEY (reader_id, item_id)
);
-- Periods whose digests are all written, per territory: later looks skip them.
CREATE TABLE digest_runs (
    tenant TEXT NOT NULL,
    frequency TEXT NOT NULL,
    period_end TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, frequency, period_end)
);
