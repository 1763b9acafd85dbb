-- Alerts and reminders (issue 6): how each user wants notifications by mail, and which
-- notifications wait for the daily digest.

CREATE TABLE notification_preference (
    user_id        uuid PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    -- immediate: a mail per notification; daily_digest: one mail a day listing them; off: in
    -- the app only.
    email_mode     text NOT NULL DEFAULT 'immediate'
                   CHECK (email_mode IN ('immediate', 'daily_digest', 'off')),
    -- The local day the last digest went out (claimed before sending: one digest a day).
    digest_sent_on date
);

-- Set for notifications whose mail waits for the recipient's daily digest.
ALTER TABLE notification ADD COLUMN digest_pending boolean NOT NULL DEFAULT false;
CREATE INDEX notification_digest_idx ON notification (user_id, created_at) WHERE digest_pending;
