-- Support ticketing: tickets, their conversation and history, SLA policies and the
-- business calendar, in-app notifications, durable domain events, inbound mail.

-- The configurable list of ticket types (002: hardware, software, question, billing).
CREATE TABLE ticket_type (
    key        text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    label      text NOT NULL CHECK (length(btrim(label)) BETWEEN 1 AND 100),
    position   int NOT NULL DEFAULT 0,
    active     boolean NOT NULL DEFAULT true
);
INSERT INTO ticket_type (key, label, position) VALUES
    ('hardware', 'Hardware', 1), ('software', 'Software', 2),
    ('question', 'Question', 3), ('billing', 'Billing', 4);

CREATE TABLE team (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    -- New tickets for the team go to its members in turn.
    auto_assign boolean NOT NULL DEFAULT false,
    last_assigned_user_id uuid REFERENCES app_user (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_member (
    team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);

-- One row: the support desk's business hours, in its time zone.
CREATE TABLE business_calendar (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    time_zone   text NOT NULL DEFAULT 'UTC',
    -- Seven [start, end) minute ranges, Monday first; equal values mean closed.
    open_minute  int[] NOT NULL DEFAULT '{540,540,540,540,540,0,0}',
    close_minute int[] NOT NULL DEFAULT '{1020,1020,1020,1020,1020,0,0}',
    -- A resolved ticket may be reopened within this many days.
    reopen_days int NOT NULL DEFAULT 7 CHECK (reopen_days BETWEEN 0 AND 365)
);
INSERT INTO business_calendar DEFAULT VALUES;

CREATE TABLE holiday (
    day  date PRIMARY KEY,
    name text NOT NULL
);

-- Targets in business minutes, by priority.
CREATE TABLE sla_policy (
    priority          text PRIMARY KEY CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    first_response_minutes int NOT NULL CHECK (first_response_minutes > 0),
    resolution_minutes     int NOT NULL CHECK (resolution_minutes > 0)
);
INSERT INTO sla_policy VALUES
    ('low', 1440, 7200), ('medium', 480, 2880), ('high', 120, 960), ('urgent', 30, 240);

-- Human ticket numbers start at 1001.
CREATE SEQUENCE ticket_number_seq START 1001;

CREATE TABLE ticket (
    id            uuid PRIMARY KEY,
    number        bigint NOT NULL UNIQUE DEFAULT nextval('ticket_number_seq'),
    subject       text NOT NULL CHECK (length(btrim(subject)) BETWEEN 1 AND 200),
    description   text NOT NULL CHECK (length(description) <= 20000),
    ticket_type   text NOT NULL REFERENCES ticket_type (key),
    priority      text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    status        text NOT NULL CHECK (status IN ('new', 'open', 'pending_client', 'on_hold', 'resolved', 'closed')),
    channel       text NOT NULL CHECK (channel IN ('portal', 'email', 'web_form', 'chat', 'phone', 'api')),
    account_id    uuid NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    location_id   uuid REFERENCES account (id) ON DELETE SET NULL,
    asset_serial  text CHECK (length(asset_serial) <= 100),
    contact_id    uuid REFERENCES contact (id) ON DELETE SET NULL,
    assignee_id   uuid REFERENCES app_user (id) ON DELETE SET NULL,
    team_id       uuid REFERENCES team (id) ON DELETE SET NULL,
    tags          text[] NOT NULL DEFAULT '{}',
    first_response_due timestamptz NOT NULL,
    resolution_due     timestamptz NOT NULL,
    first_responded_at timestamptz,
    -- Set while the ticket waits on the client: the resolution clock stops.
    sla_paused_at timestamptz,
    sla_state     text NOT NULL DEFAULT 'ok' CHECK (sla_state IN ('ok', 'at_risk', 'breached')),
    escalated_at  timestamptz,
    resolved_at   timestamptz,
    closed_at     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- Subject and description; replies are searched through ticket_message.search.
    search        tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', subject), 'A') || setweight(to_tsvector('simple', description), 'B')
    ) STORED
);
CREATE INDEX ticket_open_due_idx ON ticket (team_id, resolution_due) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX ticket_assignee_idx ON ticket (assignee_id, updated_at DESC) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX ticket_account_idx ON ticket (account_id, updated_at DESC);
CREATE INDEX ticket_updated_idx ON ticket (updated_at DESC, id DESC);
CREATE INDEX ticket_status_idx ON ticket (status);
CREATE INDEX ticket_tags_idx ON ticket USING gin (tags);
CREATE INDEX ticket_search_idx ON ticket USING gin (search);

-- The conversation: public replies (client and staff) and internal notes (staff only).
CREATE TABLE ticket_message (
    id          uuid PRIMARY KEY,
    ticket_id   uuid NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    internal    boolean NOT NULL DEFAULT false,
    author_user_id    uuid REFERENCES app_user (id) ON DELETE SET NULL,
    author_contact_id uuid REFERENCES contact (id) ON DELETE SET NULL,
    author_name text NOT NULL,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 50000),
    -- Sanitized HTML of an inbound mail, kept beside the text we display.
    body_html   text,
    via         text NOT NULL CHECK (via IN ('portal', 'console', 'email', 'api', 'web_form')),
    email_message_id text UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    search      tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);
CREATE INDEX ticket_message_ticket_idx ON ticket_message (ticket_id, created_at);
CREATE INDEX ticket_message_search_idx ON ticket_message USING gin (search);

-- Audit history: who changed which field, when, from what to what.
CREATE TABLE ticket_event (
    id          bigserial PRIMARY KEY,
    ticket_id   uuid NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    actor_user_id uuid REFERENCES app_user (id) ON DELETE SET NULL,
    actor_name  text NOT NULL,
    field       text NOT NULL,
    old_value   text,
    new_value   text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_event_ticket_idx ON ticket_event (ticket_id, id);

-- Files on tickets, in the database so that backups and access checks cover them.
CREATE TABLE ticket_attachment (
    id           uuid PRIMARY KEY,
    ticket_id    uuid NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    message_id   uuid REFERENCES ticket_message (id) ON DELETE CASCADE,
    file_name    text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    size_bytes   int NOT NULL CHECK (size_bytes >= 0),
    content      bytea NOT NULL,
    uploaded_by_name text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_attachment_ticket_idx ON ticket_attachment (ticket_id);

-- In-app notifications for staff and clients.
CREATE TABLE notification (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    title      text NOT NULL,
    link       text NOT NULL,
    read_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_unread_idx ON notification (user_id, created_at DESC) WHERE read_at IS NULL;

-- Durable domain events (outbox): written in the transaction of the change, consumed
-- later by modules that subscribe (the survey module takes `ticket.resolved`).
CREATE TABLE domain_event (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    subject_id  uuid NOT NULL,
    payload     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    consumed_at timestamptz
);
CREATE INDEX domain_event_pending_idx ON domain_event (kind, id) WHERE consumed_at IS NULL;

-- Outbound mail threading.
ALTER TABLE outbound_email
    ADD COLUMN message_id  text,
    ADD COLUMN in_reply_to text,
    ADD COLUMN ticket_id   uuid REFERENCES ticket (id) ON DELETE SET NULL;
CREATE INDEX outbound_email_message_id_idx ON outbound_email (message_id);

-- Every raw inbound mail, kept: what became of it, and the ones waiting for review.
CREATE TABLE inbound_email (
    id          uuid PRIMARY KEY,
    message_id  text NOT NULL UNIQUE,
    from_address text NOT NULL,
    subject     text NOT NULL,
    raw         bytea NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('new_ticket', 'reply', 'review', 'ignored')),
    ticket_id   uuid REFERENCES ticket (id) ON DELETE SET NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    reviewed_at timestamptz
);
CREATE INDEX inbound_email_review_idx ON inbound_email (received_at) WHERE outcome = 'review' AND reviewed_at IS NULL;

-- Who has a ticket open right now (heartbeats every few seconds; rows older than a
-- minute are stale). Unlogged: presence need not survive a crash.
CREATE UNLOGGED TABLE ticket_viewer (
    ticket_id uuid NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    user_id   uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    replying  boolean NOT NULL DEFAULT false,
    seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, user_id)
);

-- A user's saved dashboard filters: a name and the query string of the list page.
CREATE TABLE saved_ticket_view (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    query      text NOT NULL CHECK (length(query) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, name)
);

-- Requests from the public web form, waiting for the sender to confirm by mail.
-- Only a SHA-256 of the confirmation token is kept; the IP is kept for rate limiting.
CREATE TABLE web_form_request (
    id           uuid PRIMARY KEY,
    email        text NOT NULL,
    subject      text NOT NULL,
    description  text NOT NULL,
    ticket_type  text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    client_ip    text NOT NULL,
    contact_id   uuid REFERENCES contact (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    confirmed_at timestamptz,
    ticket_id    uuid REFERENCES ticket (id) ON DELETE SET NULL
);
CREATE INDEX web_form_request_ip_idx ON web_form_request (client_ip, created_at);
CREATE INDEX web_form_request_email_idx ON web_form_request (lower(email), created_at);
