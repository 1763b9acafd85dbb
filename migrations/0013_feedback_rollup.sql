-- Feedback analytics over a year of answers must render in tens of milliseconds: counts per
-- day and kind, overall and per dimension value, kept exact by a trigger on every answer
-- (recorded or changed), and an index for "the newest answers".

CREATE TABLE survey_rollup (
    -- 'all' (value ''), or the dimension the value belongs to.
    dimension  text NOT NULL CHECK (dimension IN ('all', 'agent', 'team', 'ticket_type', 'channel')),
    value      text NOT NULL,
    day        date NOT NULL,
    kind       text NOT NULL,
    responses  integer NOT NULL DEFAULT 0,
    satisfied  integer NOT NULL DEFAULT 0,
    promoters  integer NOT NULL DEFAULT 0,
    detractors integer NOT NULL DEFAULT 0,
    score_sum  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (dimension, value, day, kind)
);

CREATE FUNCTION survey_rollup_add(r survey_request, sign integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO survey_rollup AS s (dimension, value, day, kind, responses, satisfied, promoters, detractors, score_sum)
    SELECT d.dimension, d.value, (r.answered_at AT TIME ZONE 'UTC')::date, r.kind, sign,
           sign * (r.kind = 'csat' AND r.score >= 4)::int,
           sign * (r.kind = 'nps' AND r.score >= 9)::int,
           sign * (r.kind = 'nps' AND r.score <= 6)::int,
           sign * r.score
    FROM (VALUES ('all', ''), ('agent', r.agent_id::text), ('team', r.team_id::text),
                 ('ticket_type', r.ticket_type), ('channel', r.channel)) d(dimension, value)
    WHERE d.value IS NOT NULL
    ON CONFLICT (dimension, value, day, kind) DO UPDATE SET
        responses = s.responses + excluded.responses, satisfied = s.satisfied + excluded.satisfied,
        promoters = s.promoters + excluded.promoters, detractors = s.detractors + excluded.detractors,
        score_sum = s.score_sum + excluded.score_sum;
$$;

CREATE FUNCTION survey_rollup_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.answered_at IS NOT NULL THEN
        PERFORM survey_rollup_add(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.answered_at IS NOT NULL THEN
        PERFORM survey_rollup_add(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER survey_rollup_sync AFTER INSERT OR DELETE OR UPDATE OF score, answered_at, agent_id, team_id, ticket_type, channel, kind
    ON survey_request FOR EACH ROW EXECUTE FUNCTION survey_rollup_sync();

-- Answers already given (demo data, earlier answers).
INSERT INTO survey_rollup (dimension, value, day, kind, responses, satisfied, promoters, detractors, score_sum)
SELECT d.dimension, d.value, (r.answered_at AT TIME ZONE 'UTC')::date, r.kind, count(*),
       count(*) FILTER (WHERE r.kind = 'csat' AND r.score >= 4),
       count(*) FILTER (WHERE r.kind = 'nps' AND r.score >= 9),
       count(*) FILTER (WHERE r.kind = 'nps' AND r.score <= 6),
       sum(r.score)
FROM survey_request r
CROSS JOIN LATERAL (VALUES ('all', ''), ('agent', r.agent_id::text), ('team', r.team_id::text),
                           ('ticket_type', r.ticket_type), ('channel', r.channel)) d(dimension, value)
WHERE r.answered_at IS NOT NULL AND d.value IS NOT NULL
GROUP BY 1, 2, 3, 4;

CREATE INDEX survey_request_newest_idx ON survey_request (answered_at DESC, id) WHERE answered_at IS NOT NULL;

-- The health dashboard reads accounts at risk first, lowest score first, straight from here.
CREATE INDEX account_health_board_idx ON account_health (
    (CASE band WHEN 'at_risk' THEN 0 WHEN 'needs_attention' THEN 1 WHEN 'healthy' THEN 2 ELSE 3 END),
    score, account_id) WHERE is_customer;
-- Its counts per band, from the index alone (health rows are wide: they carry the factors).
CREATE INDEX account_health_customer_band_idx ON account_health (band) WHERE is_customer;
