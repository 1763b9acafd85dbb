-- Live chat between clients and support agents (docs/CHAT.md).

-- One row: how the desk runs chat.
CREATE TABLE chat_settings (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- Concurrent conversations an agent carries unless their own limit says otherwise.
    max_chats_per_agent int NOT NULL DEFAULT 3 CHECK (max_chats_per_agent BETWEEN 1 AND 50),
    -- Clients waiting beyond this many are asked to leave a message instead.
    max_queue     int NOT NULL DEFAULT 10 CHECK (max_queue BETWEEN 0 AND 1000),
    -- Outside the desk's business hours (support settings) chat takes messages only.
    offline_outside_hours boolean NOT NULL DEFAULT true,
    -- An agent idle this long in the console is shown as away.
    away_after_minutes int NOT NULL DEFAULT 5 CHECK (away_after_minutes BETWEEN 1 AND 240),
    -- Closed conversations older than this are deleted; NULL keeps them forever.
    retention_days int CHECK (retention_days IS NULL OR retention_days >= 30)
);
INSERT INTO chat_settings DEFAULT VALUES;

-- An agent's chat presence. `seen_at` is refreshed by their open console connection;
-- a row not refreshed for a minute counts as offline (its server instance is gone).
CREATE TABLE agent_presence (
    user_id        uuid PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    status         text NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
    max_chats      int CHECK (max_chats IS NULL OR max_chats BETWEEN 1 AND 50),
    seen_at        timestamptz NOT NULL DEFAULT now(),
    -- Round-robin: the agent routed to longest ago goes next.
    last_routed_at timestamptz
);

CREATE TABLE chat_conversation (
    id             uuid PRIMARY KEY,
    account_id     uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    contact_id     uuid NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    client_user_id uuid REFERENCES app_user (id) ON DELETE SET NULL,
    client_name    text NOT NULL,
    topic          text NOT NULL CHECK (length(btrim(topic)) BETWEEN 1 AND 200),
    team_id        uuid REFERENCES team (id) ON DELETE SET NULL,
    status         text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'closed')),
    assignee_id    uuid REFERENCES app_user (id) ON DELETE SET NULL,
    -- Routed to the assignee but not yet accepted (the agent is being offered it).
    offered_at     timestamptz,
    accepted_at    timestamptz,
    -- The last message's sequence number; messages are numbered 1, 2, 3 … per conversation.
    last_seq       bigint NOT NULL DEFAULT 0,
    client_read_seq bigint NOT NULL DEFAULT 0,
    agent_read_seq  bigint NOT NULL DEFAULT 0,
    rating         smallint CHECK (rating BETWEEN 1 AND 5),
    rating_comment text,
    ticket_id      uuid REFERENCES ticket (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_message_at timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz
);
CREATE INDEX chat_conversation_open_idx ON chat_conversation (status, created_at) WHERE status <> 'closed';
CREATE INDEX chat_conversation_account_idx ON chat_conversation (account_id, created_at DESC);
CREATE INDEX chat_conversation_client_idx ON chat_conversation (client_user_id, created_at DESC);
CREATE INDEX chat_conversation_assignee_idx ON chat_conversation (assignee_id) WHERE status <> 'closed';
CREATE INDEX chat_conversation_closed_idx ON chat_conversation (closed_at) WHERE status = 'closed';

-- Staff in a conversation besides the assignee: invited supervisors, earlier assignees.
CREATE TABLE chat_participant (
    conversation_id uuid NOT NULL REFERENCES chat_conversation (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);

CREATE TABLE chat_attachment (
    id              uuid PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES chat_conversation (id) ON DELETE CASCADE,
    file_name       text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    content_type    text NOT NULL,
    size_bytes      int NOT NULL CHECK (size_bytes >= 0),
    content         bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_attachment_conversation_idx ON chat_attachment (conversation_id);

CREATE TABLE chat_message (
    conversation_id uuid NOT NULL REFERENCES chat_conversation (id) ON DELETE CASCADE,
    seq             bigint NOT NULL CHECK (seq > 0),
    -- The sender's own id for the message: a resend with the same id is the same message.
    client_msg_id   uuid NOT NULL,
    author_user_id  uuid REFERENCES app_user (id) ON DELETE SET NULL,
    author_name     text NOT NULL,
    author_kind     text NOT NULL CHECK (author_kind IN ('client', 'agent', 'system')),
    -- whisper: staff only; event: joined, transferred, closed … (system lines).
    kind            text NOT NULL CHECK (kind IN ('text', 'whisper', 'file', 'event')),
    body            text NOT NULL,
    attachment_id   uuid REFERENCES chat_attachment (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (conversation_id, client_msg_id)
);
CREATE INDEX chat_message_search_idx ON chat_message
    USING gin (to_tsvector('simple', body)) WHERE kind IN ('text', 'whisper');

-- Canned responses agents insert by typing their shortcut (`/hours`).
CREATE TABLE canned_response (
    id         uuid PRIMARY KEY,
    shortcut   text NOT NULL UNIQUE CHECK (shortcut ~ '^[a-z0-9][a-z0-9_-]{0,29}$'),
    title      text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 100),
    body       text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 4000),
    created_at timestamptz NOT NULL DEFAULT now()
);
