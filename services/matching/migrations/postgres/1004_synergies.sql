-- The synergy engine replaces the placeholder pairing of listings. Listing events now come
-- through one consumer per aggregate, in order: the tables that made up for out-of-order
-- delivery between per-type consumers go with the old index.
DROP TABLE IF EXISTS closed_listings;
DROP TABLE IF EXISTS listing_holds;
DROP TABLE IF EXISTS matches;
DROP TABLE IF EXISTS listing_index;

-- Every listing and flow matching has been told about, open or not (a closed item keeps its
-- row so that a late event cannot open it again).
CREATE TABLE items (
    item_id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    organisation_id UUID NOT NULL,
    owner_user_id UUID,
    direction TEXT NOT NULL,
    resource_class TEXT NOT NULL,
    category TEXT NOT NULL,
    ewc_code TEXT NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity DOUBLE PRECISION,
    unit TEXT NOT NULL,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    available_until TEXT NOT NULL,
    exchange_mode TEXT NOT NULL,
    confidentiality TEXT NOT NULL,
    nace TEXT NOT NULL,
    -- open, held or closed
    state TEXT NOT NULL,
    -- Time of the change the row reflects, in microseconds: an older event changes nothing.
    changed_at_micros BIGINT NOT NULL
);
CREATE INDEX items_candidates ON items (tenant, direction, state);
CREATE INDEX items_class ON items (tenant, direction, resource_class, state);

-- What matching learned of organisations (flow snapshots, decisions): names and activities.
CREATE TABLE organisations (
    organisation_id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    name TEXT NOT NULL,
    nace TEXT NOT NULL
);

CREATE TABLE synergies (
    id UUID PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    synergy_key TEXT NOT NULL,
    direction TEXT NOT NULL,
    resource_class TEXT NOT NULL,
    pool TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    -- JSON array of [name, value]
    factors TEXT NOT NULL,
    explanation_fr TEXT NOT NULL,
    explanation_en TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL,
    advisor_user_id UUID,
    realised_quantity DOUBLE PRECISION,
    realised_unit TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant, synergy_key)
);
CREATE INDEX synergies_board ON synergies (tenant, kind, status);

CREATE TABLE synergy_parties (
    synergy_id UUID NOT NULL REFERENCES synergies (id) ON DELETE CASCADE,
    item_id UUID NOT NULL,
    item_kind TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation_id UUID NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (synergy_id, item_id)
);
CREATE INDEX synergy_parties_item ON synergy_parties (item_id);
CREATE INDEX synergy_parties_organisation ON synergy_parties (organisation_id);

-- "Not relevant" hides a synergy from that organisation and is kept as a signal.
CREATE TABLE synergy_feedback (
    synergy_id UUID NOT NULL REFERENCES synergies (id) ON DELETE CASCADE,
    organisation_id UUID NOT NULL,
    relevant BOOLEAN NOT NULL,
    given_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (synergy_id, organisation_id)
);

CREATE TABLE synergy_notes (
    id UUID PRIMARY KEY,
    synergy_id UUID NOT NULL REFERENCES synergies (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    by_user_id UUID NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX synergy_notes_synergy ON synergy_notes (synergy_id);
