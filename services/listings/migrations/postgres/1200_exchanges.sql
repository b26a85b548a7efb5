-- Conversations about listings, reservations and recorded exchanges (issue 4).
CREATE TABLE conversations (
    id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    listing_id UUID NOT NULL,
    listing_organisation_id UUID NOT NULL,
    asking_organisation_id UUID NOT NULL,
    started_by_user_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    -- The newest message's id, or the conversation's own before any (UUIDv7: time-ordered).
    activity_id UUID NOT NULL,
    UNIQUE (tenant, listing_id, asking_organisation_id)
);
CREATE INDEX conversations_listing_side ON conversations (tenant, listing_organisation_id, activity_id);
CREATE INDEX conversations_asking_side ON conversations (tenant, asking_organisation_id, activity_id);

CREATE TABLE conversation_messages (
    id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    conversation_id UUID NOT NULL REFERENCES conversations (id),
    author_user_id UUID NOT NULL,
    author_organisation_id UUID NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversation_messages_conversation ON conversation_messages (conversation_id, id);

-- The current reservation of a reserved listing and each side's confirmation.
CREATE TABLE listing_reservations (
    listing_id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    conversation_id UUID NOT NULL,
    counterpart_organisation_id UUID NOT NULL,
    reserved_at TIMESTAMPTZ NOT NULL,
    owner_thousandths BIGINT,
    owner_unit TEXT,
    owner_user_id UUID,
    owner_at TIMESTAMPTZ,
    counterpart_thousandths BIGINT,
    counterpart_unit TEXT,
    counterpart_user_id UUID,
    counterpart_at TIMESTAMPTZ
);

CREATE TABLE exchanges (
    id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    -- A listing completes once.
    listing_id UUID NOT NULL UNIQUE,
    conversation_id UUID NOT NULL,
    giver_organisation_id UUID NOT NULL,
    receiver_organisation_id UUID NOT NULL,
    exchange_mode TEXT NOT NULL,
    category TEXT NOT NULL,
    quantity_thousandths BIGINT NOT NULL,
    quantity_unit TEXT NOT NULL,
    completed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX exchanges_giver ON exchanges (tenant, giver_organisation_id, id);
CREATE INDEX exchanges_receiver ON exchanges (tenant, receiver_organisation_id, id);
