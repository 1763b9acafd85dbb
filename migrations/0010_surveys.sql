-- Feedback surveys (issue 6): CSAT after a resolved ticket or a closed chat, NPS on a schedule
-- per account, CES as a third kind. Requests are rows; their links carry an HMAC over the
-- request id and expiry, signed with a key kept here so that every instance verifies alike.

CREATE TABLE signing_key (
    purpose    text PRIMARY KEY,
    secret     bytea NOT NULL CHECK (length(secret) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE survey_template (
    kind       text PRIMARY KEY CHECK (kind IN ('csat', 'nps', 'ces')),
    subject    text NOT NULL CHECK (length(btrim(subject)) BETWEEN 1 AND 200),
    -- Markdown with {{variables}}, rendered into the mail's plain and HTML parts.
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    question   text NOT NULL CHECK (length(btrim(question)) BETWEEN 1 AND 300),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid REFERENCES app_user (id) ON DELETE SET NULL
);

INSERT INTO survey_template (kind, subject, body, question) VALUES
('csat', 'How did we do? ({{subject}})',
 E'Hello {{contact_name}},\n\nWe have resolved "{{subject}}". One click tells us how it went:\n\n{{survey_link}}\n\nThank you,\nThe {{company}} support team',
 'How satisfied are you with the help you received?'),
('nps', 'Would you recommend us, {{contact_name}}?',
 E'Hello {{contact_name}},\n\nHow likely are you to recommend us to a colleague? It takes ten seconds:\n\n{{survey_link}}\n\nThank you,\nThe {{company}} team',
 'How likely are you to recommend us to a friend or colleague?'),
('ces', 'Was it easy? ({{subject}})',
 E'Hello {{contact_name}},\n\nHow easy was it to get "{{subject}}" sorted out?\n\n{{survey_link}}\n\nThank you,\nThe {{company}} support team',
 'How easy was it to get your issue resolved?');

-- One row: the rules every request follows.
CREATE TABLE survey_settings (
    id                   boolean PRIMARY KEY DEFAULT true CHECK (id),
    csat_on_ticket       boolean NOT NULL DEFAULT true,
    csat_on_chat         boolean NOT NULL DEFAULT true,
    -- A contact is asked at most once in this many days (0: every time).
    throttle_days        integer NOT NULL DEFAULT 7 CHECK (throttle_days BETWEEN 0 AND 365),
    expiry_days          integer NOT NULL DEFAULT 14 CHECK (expiry_days BETWEEN 1 AND 365),
    -- One reminder this many days after sending, if unanswered (0: no reminder).
    reminder_after_days  integer NOT NULL DEFAULT 3 CHECK (reminder_after_days BETWEEN 0 AND 60),
    -- An answer may be changed through the same link for this long; after that it stands.
    answer_grace_minutes integer NOT NULL DEFAULT 30 CHECK (answer_grace_minutes BETWEEN 0 AND 10080),
    -- NPS to each customer account's primary contact every this many days (0: never).
    nps_interval_days    integer NOT NULL DEFAULT 90 CHECK (nps_interval_days BETWEEN 0 AND 730)
);
INSERT INTO survey_settings DEFAULT VALUES;

CREATE TABLE survey_request (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('csat', 'nps', 'ces')),
    -- What asked: one request per trigger, however often the trigger is delivered.
    trigger_key     text NOT NULL UNIQUE,
    account_id      uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    contact_id      uuid NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    to_address      text NOT NULL,
    ticket_id       uuid REFERENCES ticket (id) ON DELETE SET NULL,
    conversation_id uuid REFERENCES chat_conversation (id) ON DELETE SET NULL,
    -- Copied when sent, so that later reassignment does not move old answers between agents.
    agent_id        uuid REFERENCES app_user (id) ON DELETE SET NULL,
    team_id         uuid REFERENCES team (id) ON DELETE SET NULL,
    ticket_type     text,
    channel         text,
    subject         text NOT NULL DEFAULT '',
    sent_at         timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    reminded_at     timestamptz,
    score           smallint,
    comment         text CHECK (length(comment) <= 2000),
    answered_at     timestamptz,
    answer_changed_at timestamptz,
    -- Set when a low score raised its alert and follow-up task (once).
    followed_up_at  timestamptz,
    comment_search  tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(comment, ''))) STORED,
    CHECK ((score IS NULL) = (answered_at IS NULL)),
    CHECK (score IS NULL OR (kind = 'nps' AND score BETWEEN 0 AND 10)
                         OR (kind = 'csat' AND score BETWEEN 1 AND 5)
                         OR (kind = 'ces' AND score BETWEEN 1 AND 7))
);
CREATE INDEX survey_request_contact_idx ON survey_request (contact_id, sent_at DESC);
CREATE INDEX survey_request_account_idx ON survey_request (account_id, sent_at DESC);
CREATE INDEX survey_request_answered_idx ON survey_request (kind, answered_at) WHERE answered_at IS NOT NULL;
CREATE INDEX survey_request_unanswered_idx ON survey_request (sent_at) WHERE answered_at IS NULL AND reminded_at IS NULL;
CREATE INDEX survey_request_comment_idx ON survey_request USING gin (comment_search) WHERE comment IS NOT NULL;

-- Follow-up work with a due date on an account, a contact or a ticket; low survey scores
-- create one for the account owner, and staff create them by hand.
CREATE TABLE follow_up_task (
    id            uuid PRIMARY KEY,
    title         text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    notes         text NOT NULL DEFAULT '' CHECK (length(notes) <= 5000),
    due_on        date NOT NULL,
    assignee_id   uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    account_id    uuid REFERENCES account (id) ON DELETE CASCADE,
    contact_id    uuid REFERENCES contact (id) ON DELETE CASCADE,
    ticket_id     uuid REFERENCES ticket (id) ON DELETE CASCADE,
    survey_request_id uuid REFERENCES survey_request (id) ON DELETE SET NULL,
    snoozed_until date,
    done_at       timestamptz,
    created_by    uuid REFERENCES app_user (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX follow_up_task_open_idx ON follow_up_task (assignee_id, due_on) WHERE done_at IS NULL;
CREATE INDEX follow_up_task_account_idx ON follow_up_task (account_id, created_at DESC);
