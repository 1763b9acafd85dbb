-- A new ticket's own search entry (its subject and description) is now written by the worker
-- from the ticket's `ticket.created` event (tickets::arrivals), hundreds of tickets to a
-- statement, instead of by a trigger in the ticket's insert, where the trigger and its insert
-- into the weekly partitions were the largest part of creating a ticket after the row itself
-- (docs/BENCHMARKS.md). A new ticket is findable by its text one worker round after it is
-- raised; replies and notes stay searchable at once (their trigger is unchanged), and so do
-- edits of a ticket that already has its entry.
DROP TRIGGER ticket_search_insert ON ticket;
DROP FUNCTION ticket_search_add_tickets();

-- The one definition of a ticket's own text as searched: subject weighted A, description B.
CREATE FUNCTION ticket_search_text(subject text, description text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple', subject), 'A') || setweight(to_tsvector('simple', description), 'B')
$$;

CREATE OR REPLACE FUNCTION ticket_search_change_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_search_entry SET search = ticket_search_text(NEW.subject, NEW.description)
    WHERE ticket_id = NEW.id AND message_id IS NULL;
    RETURN NULL;
END $$;

-- Writes the entries of these tickets, skipping any that have theirs already (made by the old
-- trigger, or by an earlier call), so that it is safe to run twice; returns how many it wrote.
-- The check reads only the ticket's own week: an entry is dated as its ticket.
CREATE FUNCTION ticket_search_add_tickets(ids uuid[]) RETURNS integer LANGUAGE sql AS $$
    WITH added AS (
        INSERT INTO ticket_search_entry (ticket_id, message_id, internal, created_at, search)
        SELECT t.id, NULL, false, t.created_at, ticket_search_text(t.subject, t.description)
        FROM ticket t
        WHERE t.id = ANY (ids)
          AND NOT EXISTS (SELECT 1 FROM ticket_search_entry e
                          WHERE e.created_at = t.created_at AND e.ticket_id = t.id AND e.message_id IS NULL)
        ORDER BY t.created_at
        RETURNING 1
    )
    SELECT count(*)::integer FROM added
$$;

-- Tickets raised before this migration whose event the worker has not yet followed already
-- have their entries (the old trigger): the check above keeps them from getting a second.

-- A batch of new tickets marks its accounts' health stale with one insert, not one per ticket,
-- in the accounts' order, so that two batches naming the same accounts queue, never deadlock.
DROP TRIGGER ticket_health ON ticket;
CREATE FUNCTION queue_health_recompute_new_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO health_recompute (account_id)
    SELECT DISTINCT account_id FROM new_tickets ORDER BY account_id ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_health_insert AFTER INSERT ON ticket
    REFERENCING NEW TABLE AS new_tickets FOR EACH STATEMENT EXECUTE FUNCTION queue_health_recompute_new_tickets();
CREATE TRIGGER ticket_health AFTER UPDATE OF status, sla_state, account_id ON ticket
    FOR EACH ROW EXECUTE FUNCTION queue_health_recompute();
