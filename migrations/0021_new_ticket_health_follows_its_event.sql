-- A new ticket's account is now marked for a health recompute by the worker that follows the
-- ticket's `ticket.created` event (tickets::arrivals), with the desk's notices and the search
-- entry, instead of by a statement trigger in the ticket's insert: the trigger (a PL/pgSQL
-- call and a transition table per insert) was a fixed cost of every batch of new tickets, and
-- the health score is recomputed by the worker anyway. Changes to a ticket's status, SLA
-- state or account still mark it in their own transaction (the row trigger `ticket_health`).
-- Tickets raised before this migration were marked by the old trigger.
DROP TRIGGER ticket_health_insert ON ticket;
DROP FUNCTION queue_health_recompute_new_tickets();
