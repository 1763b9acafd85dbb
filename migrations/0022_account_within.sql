-- Whether `place` is `account` or one of its locations, at any depth: the check a new ticket's
-- location (and its contact's account) must pass. A ticket's insert used to walk up the
-- parents with a recursive CTE, whose executor setup was paid by every batch of new tickets
-- whether or not one named a location; a call is paid only by the tickets that name one
-- (`account_within(NULL, ...)` is never called: the check is `location_id IS NULL OR ...`).
-- Walking up is one index probe a level. The service refuses a parent that would make a
-- cycle; the bound on the walk keeps a cycle made by two concurrent moves from looping.
CREATE FUNCTION account_within(place uuid, account uuid) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    at uuid := place;
BEGIN
    FOR level IN 1..100 LOOP
        IF at IS NULL THEN
            RETURN false;
        END IF;
        IF at = account THEN
            RETURN true;
        END IF;
        SELECT parent_id INTO at FROM account WHERE id = at;
    END LOOP;
    RETURN false;
END $$;
