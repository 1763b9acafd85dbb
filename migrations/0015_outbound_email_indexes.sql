-- Mails to the support desk about a new ticket carry no Message-ID (nothing threads on them):
-- the index of Message-IDs skips them instead of taking a NULL entry per desk member for every
-- new ticket. Lookups by Message-ID (`= ANY(...)`) imply NOT NULL, so they still use it.
CREATE INDEX outbound_email_message_id_set_idx ON outbound_email (message_id) WHERE message_id IS NOT NULL;
DROP INDEX outbound_email_message_id_idx;

-- A ticket's mails, newest first: every staff reply looks up the Message-ID to answer (until now
-- a scan of every mail that has one), and deleting a ticket clears its mails' link.
CREATE INDEX outbound_email_ticket_idx ON outbound_email (ticket_id, created_at DESC) WHERE ticket_id IS NOT NULL;
