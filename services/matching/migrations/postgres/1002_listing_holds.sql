-- Listings reserved for one organisation: they stay indexed but are not paired while held.
-- Reservation and cancellation arrive on separate consumers, possibly out of order: the newest
-- change (by the time the listings service made it, in microseconds) wins.
CREATE TABLE listing_holds (
    listing_id UUID PRIMARY KEY,
    held BOOLEAN NOT NULL,
    changed_at_micros BIGINT NOT NULL
);
