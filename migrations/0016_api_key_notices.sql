-- Every server instance keeps the API keys it verified recently in memory (see
-- auth::api_keys::ApiKeyCache); it forgets one when told here that the key changed, however
-- it changed (revoked from the console, by SQL, or deleted).
CREATE FUNCTION api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('steward_api_keys', OLD.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER api_key_changed
    AFTER UPDATE OF revoked_at, role, key_hash OR DELETE ON api_key
    FOR EACH ROW EXECUTE FUNCTION api_key_changed();
