-- Ticket search reads the newest text first and stops once it has enough to rank.
--
-- Until now a search scanned two GIN indexes over every ticket and every reply, fetched every
-- match (98,573 tickets for two common words in the 1,000,000-ticket benchmark) and ranked them
-- all: 1.2 s. The text a search looks at (a ticket's subject and description, each reply and
-- note) now lives in one table, partitioned by the week it was written. A search walks back
-- from now in growing steps and stops when it has a pool of candidates to rank, so a broad
-- search reads the last day or two and a narrow one reads each week's small index about once.
CREATE TABLE ticket_search_entry (
    ticket_id  uuid NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    -- NULL for the ticket's own subject and description.
    message_id uuid REFERENCES ticket_message (id) ON DELETE CASCADE,
    -- Internal notes: searchable by staff only.
    internal   boolean NOT NULL,
    created_at timestamptz NOT NULL,
    -- Subject weighted A, description B, replies and notes D: ts_rank orders by where words are.
    search     tsvector NOT NULL
) PARTITION BY RANGE (created_at);

-- Rows outside every week (imports dated before the first week, or beyond the weeks made
-- ahead) land here and are searched with the oldest weeks.
CREATE TABLE ticket_search_entry_default PARTITION OF ticket_search_entry DEFAULT;

-- Makes the weekly partitions (Monday 00:00 UTC to the next) from the week of `from_at` up to
-- the week of `upto`, skipping weeks that exist, at most `max_weeks` of them (all when NULL).
-- Rows of a new week that had landed in the default partition move into it. Returns how many
-- weeks it made. Idempotent: the migration runs it for the data already there, the worker every
-- hour for the weeks ahead and for imported rows in the default partition, one week per
-- transaction so that moving rows never holds ticket writes for long.
CREATE FUNCTION ticket_search_add_weeks(from_at timestamptz, upto timestamptz, max_weeks integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz := date_trunc('week', from_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    hi timestamptz;
    part text;
    made integer := 0;
BEGIN
    WHILE lo <= upto AND (max_weeks IS NULL OR made < max_weeks) LOOP
        hi := lo + interval '7 days';
        part := 'ticket_search_entry_w' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD');
        IF to_regclass(part) IS NULL THEN
            -- Attaching a week adds its foreign keys, which locks the tables they reference; taking
            -- those locks first, before any other, means a concurrent ticket write waits, never
            -- deadlocks. Weeks are made ahead, so this happens once a week on an empty table.
            IF made = 0 THEN
                LOCK TABLE ticket, ticket_message IN SHARE ROW EXCLUSIVE MODE;
            END IF;
            EXECUTE format('CREATE TABLE %I (LIKE ticket_search_entry)', part);
            EXECUTE format(
                'WITH moved AS (DELETE FROM ticket_search_entry_default WHERE created_at >= $1 AND created_at < $2 RETURNING *)
                 INSERT INTO %I SELECT * FROM moved', part) USING lo, hi;
            EXECUTE format('ALTER TABLE ticket_search_entry ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                part, lo, hi);
            made := made + 1;
        END IF;
        lo := hi;
    END LOOP;
    RETURN made;
END $$;

SELECT ticket_search_add_weeks(
    least(now(), (SELECT min(created_at) FROM ticket), (SELECT min(created_at) FROM ticket_message)),
    now() + interval '8 weeks');

INSERT INTO ticket_search_entry (ticket_id, message_id, internal, created_at, search)
SELECT id, NULL, false, created_at, search FROM ticket;
INSERT INTO ticket_search_entry (ticket_id, message_id, internal, created_at, search)
SELECT ticket_id, id, internal, created_at, setweight(search, 'D') FROM ticket_message;

-- Indexed after the copy: building an index is faster than growing it row by row.
CREATE INDEX ticket_search_entry_search_idx ON ticket_search_entry USING gin (search);
-- Deleting a ticket or a message finds its rows without scanning every week.
CREATE INDEX ticket_search_entry_ticket_idx ON ticket_search_entry (ticket_id);
CREATE INDEX ticket_search_entry_message_idx ON ticket_search_entry (message_id) WHERE message_id IS NOT NULL;
-- A search's first steps read days, not whole weeks: rows are appended in time order, so a
-- block-range index narrows a week's matches to the last day's pages for almost nothing.
CREATE INDEX ticket_search_entry_created_idx ON ticket_search_entry USING brin (created_at);

-- Kept by triggers, so that every path that writes a ticket or a message (the API, mail,
-- imports) is searchable. Statement-level over the new rows: one insert per statement.
CREATE FUNCTION ticket_search_add_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_search_entry (ticket_id, message_id, internal, created_at, search)
    SELECT id, NULL, false, created_at,
           setweight(to_tsvector('simple', subject), 'A') || setweight(to_tsvector('simple', description), 'B')
    FROM new_tickets;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_search_insert AFTER INSERT ON ticket
    REFERENCING NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION ticket_search_add_tickets();

CREATE FUNCTION ticket_search_change_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_search_entry
    SET search = setweight(to_tsvector('simple', NEW.subject), 'A') || setweight(to_tsvector('simple', NEW.description), 'B')
    WHERE ticket_id = NEW.id AND message_id IS NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_search_update AFTER UPDATE OF subject, description ON ticket
    FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.description IS DISTINCT FROM NEW.description)
    EXECUTE FUNCTION ticket_search_change_ticket();

CREATE FUNCTION ticket_search_add_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_search_entry (ticket_id, message_id, internal, created_at, search)
    SELECT ticket_id, id, internal, created_at, setweight(to_tsvector('simple', body), 'D')
    FROM new_messages;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_message_search_insert AFTER INSERT ON ticket_message
    REFERENCING NEW TABLE AS new_messages FOR EACH STATEMENT EXECUTE FUNCTION ticket_search_add_messages();

-- The old per-row vectors and their indexes: every ticket and reply paid for them on insert.
DROP INDEX ticket_search_idx;
DROP INDEX ticket_message_search_idx;
ALTER TABLE ticket DROP COLUMN search;
ALTER TABLE ticket_message DROP COLUMN search;
