-- What a realised synergy adds to the territory's impact, computed once when it is realised
-- (a realised synergy does not change afterwards): when, kg diverted, CO2e avoided (grams) and
-- the estimated euros saved (cents). NULL where it cannot be said.
ALTER TABLE synergies ADD COLUMN realised_at TEXT;
ALTER TABLE synergies ADD COLUMN realised_kg_grams INTEGER;
ALTER TABLE synergies ADD COLUMN realised_co2e_grams INTEGER;
ALTER TABLE synergies ADD COLUMN realised_value_cents INTEGER;
CREATE INDEX synergies_realised ON synergies (tenant, status, realised_at);
