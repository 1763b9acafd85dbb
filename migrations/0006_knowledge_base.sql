-- Knowledge base (FR001): articles written in Markdown, rendered to sanitised HTML when
-- saved, searched with PostgreSQL full-text search, shown to the public, to signed-in
-- clients or to staff only; votes, views, revision history and ticket deflection.

CREATE TABLE kb_category (
    id         uuid PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    position   int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What search matches: the title weighs most, then the tags, then the body's plain text.
-- The language configuration is English (stemming: "printers" finds "printer"). Declared
-- IMMUTABLE so a generated column can use it: to_tsvector with a fixed configuration is,
-- and array_to_string over text is in practice.
CREATE FUNCTION kb_document(title text, tags text[], body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, title), 'A')
        || setweight(to_tsvector('english'::regconfig, array_to_string(tags, ' ')), 'B')
        || setweight(to_tsvector('english'::regconfig, body), 'C')
$$;

CREATE TABLE kb_article (
    id            uuid PRIMARY KEY,
    slug          text NOT NULL UNIQUE
                  CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 120),
    title         text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    category_id   uuid REFERENCES kb_category (id) ON DELETE SET NULL,
    tags          text[] NOT NULL DEFAULT '{}',
    visibility    text NOT NULL CHECK (visibility IN ('public', 'clients', 'staff')),
    status        text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    body_markdown text NOT NULL CHECK (length(body_markdown) <= 100000),
    -- Rendered and sanitised once, when saved; readers never trigger a render.
    body_html     text NOT NULL,
    -- The body without markup: what is searched and what snippets are cut from.
    body_text     text NOT NULL,
    version       int NOT NULL DEFAULT 1,
    published_at  timestamptz,
    created_by    uuid REFERENCES app_user (id) ON DELETE SET NULL,
    updated_by    uuid REFERENCES app_user (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    view_count    bigint NOT NULL DEFAULT 0,
    helpful_yes   int NOT NULL DEFAULT 0,
    helpful_no    int NOT NULL DEFAULT 0,
    search        tsvector GENERATED ALWAYS AS (kb_document(title, tags, body_text)) STORED
);
CREATE INDEX kb_article_search_idx ON kb_article USING gin (search);
CREATE INDEX kb_article_tags_idx ON kb_article USING gin (tags);
CREATE INDEX kb_article_category_idx ON kb_article (category_id);
CREATE INDEX kb_article_updated_idx ON kb_article (updated_at DESC);

-- Every saved version, for the history and for going back.
CREATE TABLE kb_article_revision (
    article_id    uuid NOT NULL REFERENCES kb_article (id) ON DELETE CASCADE,
    version       int NOT NULL,
    title         text NOT NULL,
    tags          text[] NOT NULL,
    visibility    text NOT NULL,
    status        text NOT NULL,
    body_markdown text NOT NULL,
    edited_by     uuid REFERENCES app_user (id) ON DELETE SET NULL,
    edited_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, version)
);

-- One vote per reader and article; a changed mind replaces it. Readers are users
-- ('user:<id>') or anonymous browsers with their own random token ('reader:<uuid>').
CREATE TABLE kb_vote (
    article_id uuid NOT NULL REFERENCES kb_article (id) ON DELETE CASCADE,
    voter      text NOT NULL CHECK (length(voter) <= 60),
    helpful    boolean NOT NULL,
    voted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, voter)
);

-- Ticket deflection: a suggestion a client opened from the ticket form ('opened'), and
-- the ones after which they said they no longer needed the ticket ('ticket_abandoned').
CREATE TABLE kb_deflection (
    id         uuid PRIMARY KEY,
    article_id uuid NOT NULL REFERENCES kb_article (id) ON DELETE CASCADE,
    user_id    uuid REFERENCES app_user (id) ON DELETE SET NULL,
    account_id uuid REFERENCES account (id) ON DELETE SET NULL,
    subject    text NOT NULL CHECK (length(subject) <= 200),
    outcome    text NOT NULL CHECK (outcome IN ('opened', 'ticket_abandoned')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kb_deflection_article_idx ON kb_deflection (article_id, outcome);
