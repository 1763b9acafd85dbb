-- A UUIDv7 (RFC 9562: 48 bits of Unix milliseconds, then random bits) for rows that SQL
-- itself writes, such as the desk's notices of a new ticket. Time-ordered ids keep index
-- inserts on the right-hand pages instead of a random page of a large index. PostgreSQL 15
-- has no uuidv7(); this sets the version bits of a random UUID to 7 after the timestamp.
CREATE FUNCTION steward_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;
