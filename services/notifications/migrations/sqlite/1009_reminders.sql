-- What reminders watch, kept from events: the last message of each conversation (who must
-- answer), each listing's end of availability, and reservations not confirmed yet. `reminded`
-- is set once the reminder is in the inbox (the reminder's own event id keeps it single even
-- if the process dies before setting it).
CREATE TABLE conversation_turns (
    conversation_id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    listing_title TEXT NOT NULL,
    waiting_user_id BLOB NOT NULL,
    other_organisation_id BLOB,
    last_message_id BLOB NOT NULL,
    last_message_at TEXT NOT NULL,
    reminded BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX conversation_turns_due ON conversation_turns (last_message_at) WHERE NOT reminded;
CREATE TABLE listing_deadlines (
    listing_id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    owner_user_id BLOB NOT NULL,
    title TEXT NOT NULL,
    -- YYYY-MM-DD, the last day the listing is available.
    available_until TEXT NOT NULL,
    reminded BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX listing_deadlines_due ON listing_deadlines (available_until) WHERE NOT reminded;
CREATE TABLE pending_reservations (
    listing_id BLOB PRIMARY KEY,
    tenant TEXT NOT NULL,
    conversation_id BLOB,
    counterpart_user_id BLOB NOT NULL,
    other_organisation_id BLOB,
    title TEXT NOT NULL,
    reserved_at TEXT NOT NULL,
    reminded BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX pending_reservations_due ON pending_reservations (reserved_at) WHERE NOT reminded;
