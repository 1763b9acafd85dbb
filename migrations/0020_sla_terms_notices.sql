-- Every server instance keeps the SLA terms new tickets are due by (the business calendar,
-- its holidays and the policies by priority) in memory (tickets::sla_terms); it forgets
-- them when told here that any of them changed, however they changed (from the console, by
-- SQL, or by a migration).
CREATE FUNCTION sla_terms_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('steward_sla_terms', '');
    RETURN NULL;
END $$;

CREATE TRIGGER business_calendar_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON business_calendar
    FOR EACH STATEMENT EXECUTE FUNCTION sla_terms_changed();
CREATE TRIGGER holiday_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON holiday
    FOR EACH STATEMENT EXECUTE FUNCTION sla_terms_changed();
CREATE TRIGGER sla_policy_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sla_policy
    FOR EACH STATEMENT EXECUTE FUNCTION sla_terms_changed();
