-- Client onboarding (FR006, FR007, FR004, FR012): versioned templates, running onboardings
-- with their steps, the welcome email, account documents, client admins.

-- A template is a name; its steps live in versions. Saving the steps makes a new version, and
-- a running onboarding keeps the version it started with.
CREATE TABLE onboarding_template (
    id              uuid PRIMARY KEY,
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 120),
    description     text NOT NULL DEFAULT '',
    -- The template started when an account becomes a customer (at most one).
    is_default      boolean NOT NULL DEFAULT false,
    is_archived     boolean NOT NULL DEFAULT false,
    current_version int NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX onboarding_template_name_key ON onboarding_template (lower(name));
CREATE UNIQUE INDEX onboarding_template_one_default ON onboarding_template ((true))
    WHERE is_default AND NOT is_archived;
CREATE TRIGGER onboarding_template_updated_at BEFORE UPDATE ON onboarding_template
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE onboarding_template_version (
    template_id uuid NOT NULL REFERENCES onboarding_template (id) ON DELETE CASCADE,
    version     int NOT NULL CHECK (version >= 1),
    created_by  uuid REFERENCES app_user (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (template_id, version)
);

-- Steps of one template version. `depends_on` holds positions of earlier steps.
CREATE TABLE onboarding_template_step (
    template_id        uuid NOT NULL,
    version            int NOT NULL,
    position           int NOT NULL CHECK (position >= 1),
    title              text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description        text NOT NULL DEFAULT '',
    owner_side         text NOT NULL CHECK (owner_side IN ('client', 'staff')),
    owner_role         text CHECK (owner_role IN ('admin', 'support_manager', 'support_agent', 'sales_manager', 'sales_rep')),
    due_offset_days    int NOT NULL CHECK (due_offset_days BETWEEN 0 AND 365),
    depends_on         int[] NOT NULL DEFAULT '{}',
    checklist          text[] NOT NULL DEFAULT '{}',
    required_documents text[] NOT NULL DEFAULT '{}',
    action             text NOT NULL DEFAULT 'none'
                       CHECK (action IN ('none', 'send_email', 'schedule_training', 'create_task')),
    action_subject     text NOT NULL DEFAULT '',
    action_body        text NOT NULL DEFAULT '',
    PRIMARY KEY (template_id, version, position),
    FOREIGN KEY (template_id, version) REFERENCES onboarding_template_version (template_id, version)
        ON DELETE CASCADE,
    CONSTRAINT onboarding_template_step_owner CHECK ((owner_side = 'client') = (owner_role IS NULL))
);

CREATE TABLE onboarding (
    id               uuid PRIMARY KEY,
    account_id       uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    template_id      uuid NOT NULL,
    template_version int NOT NULL,
    template_name    text NOT NULL,
    status           text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'cancelled')),
    started_by       text NOT NULL CHECK (started_by IN ('became_customer', 'by_hand', 'api')),
    started_by_user  uuid REFERENCES app_user (id) ON DELETE SET NULL,
    -- The staff member responsible: the account's owner when it started.
    owner_id         uuid REFERENCES app_user (id) ON DELETE SET NULL,
    -- The client contact welcomed (and invited to the portal).
    contact_id       uuid REFERENCES contact (id) ON DELETE SET NULL,
    started_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    -- Kept with the steps, so the board reads one row per onboarding.
    step_count       int NOT NULL DEFAULT 0,
    steps_done       int NOT NULL DEFAULT 0,
    -- The first open step: the board's column, and the earliest due date among open steps.
    stage            text,
    stage_position   int,
    next_due_on      date,
    FOREIGN KEY (template_id, template_version)
        REFERENCES onboarding_template_version (template_id, version)
);
-- An account runs one onboarding at a time: this is what makes the automatic start happen once.
CREATE UNIQUE INDEX onboarding_one_running ON onboarding (account_id) WHERE status = 'running';
-- The board: each column's first cards, soonest due first, straight from the index.
CREATE INDEX onboarding_board_idx ON onboarding (stage, next_due_on NULLS LAST, started_at)
    WHERE status = 'running';
CREATE INDEX onboarding_account_idx ON onboarding (account_id, started_at DESC);

CREATE TABLE onboarding_step (
    id                 uuid PRIMARY KEY,
    onboarding_id      uuid NOT NULL REFERENCES onboarding (id) ON DELETE CASCADE,
    position           int NOT NULL,
    title              text NOT NULL,
    description        text NOT NULL DEFAULT '',
    owner_side         text NOT NULL CHECK (owner_side IN ('client', 'staff')),
    owner_role         text,
    depends_on         int[] NOT NULL DEFAULT '{}',
    checklist          text[] NOT NULL DEFAULT '{}',
    -- Positions (from 1) of the checklist items ticked.
    checked            int[] NOT NULL DEFAULT '{}',
    required_documents text[] NOT NULL DEFAULT '{}',
    action             text NOT NULL DEFAULT 'none',
    action_subject     text NOT NULL DEFAULT '',
    action_body        text NOT NULL DEFAULT '',
    -- When the automatic action ran (once, when the step opened).
    action_done_at     timestamptz,
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'skipped')),
    assignee_id        uuid REFERENCES app_user (id) ON DELETE SET NULL,
    due_on             date NOT NULL,
    completed_at       timestamptz,
    completed_by       uuid REFERENCES app_user (id) ON DELETE SET NULL,
    completed_by_name  text,
    UNIQUE (onboarding_id, position)
);

-- The welcome email and other mail templates staff can edit: Markdown with {{variables}}.
CREATE TABLE email_template (
    key           text PRIMARY KEY CHECK (key IN ('welcome')),
    subject       text NOT NULL CHECK (length(btrim(subject)) BETWEEN 1 AND 200),
    body_markdown text NOT NULL CHECK (length(body_markdown) <= 20000),
    updated_by    uuid REFERENCES app_user (id) ON DELETE SET NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO email_template (key, subject, body_markdown) VALUES ('welcome',
 'Welcome to {{company}}, {{account_name}}',
 E'Hello {{contact_name}},\n\nWelcome aboard! We are glad to have **{{account_name}}** with us.\n\n'
 || E'Your account manager is {{account_manager}}. Your client portal shows your onboarding steps, '
 || E'lets you book your first training call and reach our support team.\n\n'
 || E'[Open your portal]({{portal_link}})\n\n'
 || E'The link works once: it lets you choose your password.\n\nSee you soon,\n\n{{account_manager}}');

-- Mail gets an HTML part, a calendar part, and the account it concerns (shown on the account).
ALTER TABLE outbound_email
    ADD COLUMN body_html  text,
    ADD COLUMN calendar   text,
    ADD COLUMN account_id uuid REFERENCES account (id) ON DELETE SET NULL,
    ADD COLUMN kind       text NOT NULL DEFAULT 'other';
CREATE INDEX outbound_email_account_idx ON outbound_email (account_id, created_at DESC)
    WHERE account_id IS NOT NULL;

-- Documents shared with an account (contracts, guides) by staff, or uploaded by the client
-- for an onboarding step. Stored in PostgreSQL like ticket files.
CREATE TABLE account_document (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    title           text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    file_name       text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    content_type    text NOT NULL,
    size_bytes      int NOT NULL CHECK (size_bytes > 0),
    content         bytea NOT NULL,
    shared_by       text NOT NULL CHECK (shared_by IN ('staff', 'client')),
    uploaded_by     uuid REFERENCES app_user (id) ON DELETE SET NULL,
    uploaded_by_name text NOT NULL,
    onboarding_step_id uuid REFERENCES onboarding_step (id) ON DELETE SET NULL,
    -- Which of the step's required documents this file is.
    requirement     text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_document_account_idx ON account_document (account_id, created_at DESC);
CREATE INDEX account_document_step_idx ON account_document (onboarding_step_id)
    WHERE onboarding_step_id IS NOT NULL;

-- A client admin may invite and revoke colleagues of their own company (FR012).
ALTER TABLE app_user ADD COLUMN is_client_admin boolean NOT NULL DEFAULT false;
ALTER TABLE app_user ADD CONSTRAINT app_user_client_admin_is_client
    CHECK (NOT is_client_admin OR kind = 'client');
