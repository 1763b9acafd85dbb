-- Fields from the customer's account and contact field lists (seeds 002):
-- the kind of site, the known number of locations, and the holiday-card flag.
ALTER TABLE account
    ADD COLUMN subtype text CHECK (subtype IN ('office', 'kiosk_location')),
    -- Known number of locations of a parent company (prospects have no child records yet).
    ADD COLUMN location_count integer CHECK (location_count BETWEEN 0 AND 1000000);

ALTER TABLE contact
    ADD COLUMN holiday_card boolean NOT NULL DEFAULT false;
