-- Conversations about listings, reservations and recorded exchanges (issue 4).
CREATE TABLE conversations (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    listing_id BLOB NOT NULL,
    listing_organisation_id BLOB NOT NULL,
    asking_organisation_id BLOB NOT NULL,
    started_by_user_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    -- The newest message's id, or the conversation's own before any (BLOBv7: time-ordered).
    activity_id BLOB NOT NULL,
    UNIQUE (tenant, listing_id, asking_organisation_id)
);
CREATE INDEX conversations_listing_side ON conversations (tenant, listing_organisation_id, activity_id);
CREATE INDEX conversations_asking_side ON conversations (tenant, asking_organisation_id, activity_id);

CREATE TABLE conversation_messages (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    author_user_id BLOB NOT NULL,
    author_organisation_id BLOB NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX conversation_messages_conversation ON conversation_messages (conversation_id, id);

-- The current reservation of a reserved listing and each side's confirmation.
CREATE TABLE listing_reservations (
    listing_id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    conversation_id BLOB NOT NULL,
    counterpart_organisation_id BLOB NOT NULL,
    reserved_at TEXT NOT NULL,
    owner_thousandths INTEGER,
    owner_unit TEXT,
    owner_user_id BLOB,
    owner_at TEXT,
    counterpart_thousandths INTEGER,
    counterpart_unit TEXT,
    counterpart_user_id BLOB,
    counterpart_at TEXT
);

CREATE TABLE exchanges (
    id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    -- A listing completes once.
    listing_id BLOB NOT NULL UNIQUE,
    conversation_id BLOB NOT NULL,
    giver_organisation_id BLOB NOT NULL,
    receiver_organisation_id BLOB NOT NULL,
    exchange_mode TEXT NOT NULL,
    category TEXT NOT NULL,
    quantity_thousandths INTEGER NOT NULL,
    quantity_unit TEXT NOT NULL,
    completed_at TEXT NOT NULL
);
CREATE INDEX exchanges_giver ON exchanges (tenant, giver_organisation_id, id);
CREATE INDEX exchanges_receiver ON exchanges (tenant, receiver_organisation_id, id);
