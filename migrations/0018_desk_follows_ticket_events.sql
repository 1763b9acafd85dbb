-- The desk's notices of a new ticket now follow its `ticket.created` event (tickets::desk)
-- instead of being written with the ticket. The events written before were never consumed,
-- and their tickets' notices are already out: mark them consumed so that nobody is told twice.
UPDATE domain_event SET consumed_at = now() WHERE kind = 'ticket.created' AND consumed_at IS NULL;
