-- The training scheduler (FR007): slots staff publish, bookings clients make, calendar feeds.

CREATE TABLE training_slot (
    id               uuid PRIMARY KEY,
    host_id          uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    title            text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    starts_at        timestamptz NOT NULL,
    duration_minutes int NOT NULL CHECK (duration_minutes BETWEEN 15 AND 480),
    -- The host's time zone (IANA name), in which the slot was published.
    time_zone        text NOT NULL,
    capacity         int NOT NULL CHECK (capacity BETWEEN 1 AND 100),
    meeting_url      text,
    booked           int NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
    cancelled_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_slot_open_idx ON training_slot (starts_at) WHERE cancelled_at IS NULL;
CREATE INDEX training_slot_host_idx ON training_slot (host_id, starts_at);

CREATE TABLE training_booking (
    id            uuid PRIMARY KEY,
    slot_id       uuid NOT NULL REFERENCES training_slot (id) ON DELETE CASCADE,
    account_id    uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    onboarding_id uuid REFERENCES onboarding (id) ON DELETE SET NULL,
    booked_by     uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    status        text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
    -- The calendar event's identity: one UID for the booking's life, SEQUENCE raised on
    -- every reschedule or cancellation so calendars replace the earlier invitation.
    uid           text NOT NULL UNIQUE,
    sequence      int NOT NULL DEFAULT 0,
    reminded_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- The first training call: one live booking per account.
CREATE UNIQUE INDEX training_booking_one_per_account ON training_booking (account_id)
    WHERE status = 'booked';
CREATE INDEX training_booking_slot_idx ON training_booking (slot_id) WHERE status = 'booked';
CREATE TRIGGER training_booking_updated_at BEFORE UPDATE ON training_booking
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A staff user's private calendar feed: only a digest of the URL's secret is kept.
CREATE TABLE calendar_feed (
    user_id    uuid PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Time zone a person reads times in (clients pick theirs in the portal; the browser's by default).
ALTER TABLE app_user ADD COLUMN time_zone text;
