-- Foundation: users and roles, accounts and contacts, tokens, API keys, the mail outbox.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE FUNCTION set_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE account (
    id            uuid PRIMARY KEY,
    name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    account_type  text NOT NULL CHECK (account_type IN ('prospect', 'customer', 'vendor', 'competitor')),
    status        text NOT NULL CHECK (status IN ('active', 'inactive')),
    parent_id     uuid REFERENCES account (id) ON DELETE RESTRICT,
    accounting_id text,
    owner_id      uuid,
    industry      text,
    website       text,
    phone         text,
    city          text,
    country       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT account_not_own_parent CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE UNIQUE INDEX account_accounting_id_key ON account (accounting_id) WHERE accounting_id IS NOT NULL;
CREATE INDEX account_parent_idx ON account (parent_id);
CREATE INDEX account_owner_idx ON account (owner_id);
CREATE INDEX account_name_trgm_idx ON account USING gin (name gin_trgm_ops);
CREATE INDEX account_city_trgm_idx ON account USING gin (city gin_trgm_ops);
CREATE INDEX account_accounting_id_trgm_idx ON account USING gin (accounting_id gin_trgm_ops);
CREATE INDEX account_name_id_idx ON account (lower(name), id);
CREATE INDEX account_created_idx ON account (created_at, id);
CREATE TRIGGER account_updated_at BEFORE UPDATE ON account FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE contact (
    id            uuid PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES account (id) ON DELETE RESTRICT,
    first_name    text NOT NULL CHECK (length(btrim(first_name)) BETWEEN 1 AND 100),
    last_name     text NOT NULL CHECK (length(btrim(last_name)) BETWEEN 1 AND 100),
    title         text,
    role          text,
    status        text NOT NULL CHECK (status IN ('active', 'inactive')),
    linkedin_url  text,
    phones        text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_account_idx ON contact (account_id);
CREATE INDEX contact_name_trgm_idx ON contact USING gin ((first_name || ' ' || last_name) gin_trgm_ops);
CREATE INDEX contact_name_id_idx ON contact (lower(last_name), lower(first_name), id);
CREATE TRIGGER contact_updated_at BEFORE UPDATE ON contact FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per address so that an address belongs to exactly one contact (email-to-case relies on it).
CREATE TABLE contact_email (
    contact_id  uuid NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    position    int NOT NULL,
    email       text NOT NULL,
    PRIMARY KEY (contact_id, position)
);
CREATE UNIQUE INDEX contact_email_email_key ON contact_email (lower(email));
CREATE INDEX contact_email_trgm_idx ON contact_email USING gin (email gin_trgm_ops);

CREATE TABLE app_user (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    display_name  text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
    password_hash text,
    kind          text NOT NULL CHECK (kind IN ('staff', 'client')),
    role          text CHECK (role IN ('admin', 'support_manager', 'support_agent', 'sales_manager', 'sales_rep')),
    contact_id    uuid UNIQUE REFERENCES contact (id) ON DELETE CASCADE,
    is_active     boolean NOT NULL DEFAULT true,
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT app_user_kind_shape CHECK (
        (kind = 'staff' AND role IS NOT NULL AND contact_id IS NULL)
        OR (kind = 'client' AND role IS NULL AND contact_id IS NOT NULL)
    )
);
CREATE UNIQUE INDEX app_user_email_key ON app_user (lower(email));
CREATE TRIGGER app_user_updated_at BEFORE UPDATE ON app_user FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE account ADD CONSTRAINT account_owner_fk FOREIGN KEY (owner_id) REFERENCES app_user (id) ON DELETE SET NULL;

-- Single-use tokens for password reset and invitations; only a SHA-256 of the token is stored.
CREATE TABLE user_token (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('password_reset', 'invitation')),
    token_hash  bytea NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_token_user_idx ON user_token (user_id);

CREATE TABLE login_attempt (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL,
    succeeded   boolean NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempt_email_idx ON login_attempt (lower(email), created_at);

CREATE TABLE api_key (
    id           uuid PRIMARY KEY,
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    role         text NOT NULL CHECK (role IN ('admin', 'support_manager', 'support_agent', 'sales_manager', 'sales_rep')),
    created_by   uuid REFERENCES app_user (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Outbox: mail is written in the same transaction as the change that causes it,
-- and a worker delivers it (FOR UPDATE SKIP LOCKED), so nothing is lost on a crash.
CREATE TABLE outbound_email (
    id           uuid PRIMARY KEY,
    to_address   text NOT NULL,
    subject      text NOT NULL,
    body_text    text NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts     int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);
CREATE INDEX outbound_email_pending_idx ON outbound_email (next_attempt_at) WHERE status = 'pending';
