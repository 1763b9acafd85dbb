-- Account health (issue 6): a 0–100 score from weighted factors an admin configures, in bands,
-- explained factor by factor, with a daily history; and idempotent notifications.

-- One row: the weights (relative, 0 switches a factor off) and the band thresholds.
CREATE TABLE health_settings (
    id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
    weight_tickets      integer NOT NULL DEFAULT 25 CHECK (weight_tickets BETWEEN 0 AND 100),
    weight_csat         integer NOT NULL DEFAULT 20 CHECK (weight_csat BETWEEN 0 AND 100),
    weight_nps          integer NOT NULL DEFAULT 15 CHECK (weight_nps BETWEEN 0 AND 100),
    weight_onboarding   integer NOT NULL DEFAULT 15 CHECK (weight_onboarding BETWEEN 0 AND 100),
    weight_activity     integer NOT NULL DEFAULT 25 CHECK (weight_activity BETWEEN 0 AND 100),
    weight_payments     integer NOT NULL DEFAULT 0 CHECK (weight_payments BETWEEN 0 AND 100),
    -- At or above `healthy_from`: healthy; at or above `attention_from`: needs attention; else at risk.
    healthy_from        integer NOT NULL DEFAULT 70 CHECK (healthy_from BETWEEN 1 AND 100),
    attention_from      integer NOT NULL DEFAULT 40 CHECK (attention_from BETWEEN 0 AND 99),
    -- The nightly full recompute claims the day here, so that one instance runs it.
    last_full_run_on    date,
    CHECK (attention_from < healthy_from)
);
INSERT INTO health_settings DEFAULT VALUES;

-- The current score of each account, with each factor's part (for the explanation).
CREATE TABLE account_health (
    account_id  uuid PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
    -- NULL when no factor has data yet (a new prospect): "not enough data", not 0.
    score       smallint CHECK (score BETWEEN 0 AND 100),
    band        text CHECK (band IN ('healthy', 'needs_attention', 'at_risk')),
    -- The account's own score before its locations were rolled in (parents only differ).
    own_score   smallint CHECK (own_score BETWEEN 0 AND 100),
    factors     jsonb NOT NULL DEFAULT '[]',
    -- Tickets in the last 90 days: the account's weight when its parent rolls it up.
    tickets_90d integer NOT NULL DEFAULT 0,
    -- Copied from the account when computed: the dashboard counts customers without a join.
    is_customer boolean NOT NULL DEFAULT false,
    computed_at timestamptz NOT NULL DEFAULT now(),
    band_since  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_health_band_idx ON account_health (band, score, account_id);

-- One snapshot per account and day: the trend, and "what changed since last week".
CREATE TABLE account_health_snapshot (
    account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    day        date NOT NULL,
    score      smallint,
    band       text,
    factors    jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (account_id, day)
);

-- Accounts whose score is stale: written in the same transaction as the change (by the
-- triggers below, so that every path that changes an input marks it, bulk imports included)
-- and taken by the worker with SKIP LOCKED.
CREATE TABLE health_recompute (
    account_id uuid PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
    queued_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION queue_health_recompute() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO health_recompute (account_id) VALUES (NEW.account_id) ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;

CREATE TRIGGER ticket_health AFTER INSERT OR UPDATE OF status, sla_state, account_id ON ticket
    FOR EACH ROW EXECUTE FUNCTION queue_health_recompute();
CREATE TRIGGER survey_health AFTER UPDATE OF score ON survey_request
    FOR EACH ROW EXECUTE FUNCTION queue_health_recompute();
CREATE TRIGGER onboarding_health AFTER INSERT OR UPDATE OF status, steps_done, next_due_on ON onboarding
    FOR EACH ROW EXECUTE FUNCTION queue_health_recompute();
CREATE TRIGGER chat_health AFTER INSERT OR UPDATE OF status ON chat_conversation
    FOR EACH ROW EXECUTE FUNCTION queue_health_recompute();

-- Notifications that must never repeat carry a key naming their cause (an account's band on a
-- day, a step's due date, a survey's reminder); a second insert with the same key does nothing.
ALTER TABLE notification ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX notification_idempotency_idx ON notification (idempotency_key) WHERE idempotency_key IS NOT NULL;
