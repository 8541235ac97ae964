-- The public statistics (models/statistics.go) break every published
-- project down by year signed, chain, category and stage, per region.
-- Summing 100 000 projects per request takes far longer than a page may
-- (make bench), so the sums are kept here, per region and breakdown, and
-- a statement-level trigger applies each change to projects in the same
-- transaction: the figures are never stale and never a timer's guess.
--
-- The rollup counts every published, undeleted project, including those
-- whose publish_at is still ahead; the statistics query subtracts those few
-- live (projects_scheduled_idx), so a project scheduled for later counts
-- from its publish time on without anything running at that time.

-- +goose Up
CREATE TABLE project_rollup (
    region_id                    bigint NOT NULL,
    dim                          text NOT NULL CHECK (dim IN ('all', 'year', 'chain', 'category', 'stage')),
    key                          text NOT NULL, -- '' for 'all', and for no year or no chain
    projects                     bigint NOT NULL,
    started                      bigint NOT NULL,
    producing                    bigint NOT NULL,
    with_amount                  bigint NOT NULL,
    converted                    bigint NOT NULL,
    with_plan                    bigint NOT NULL,
    contracted_yuan              bigint NOT NULL,
    planned_yuan                 bigint NOT NULL,
    completed_yuan               bigint NOT NULL,
    completed_of_contracted_yuan bigint NOT NULL,
    completed_of_planned_yuan    bigint NOT NULL,
    PRIMARY KEY (region_id, dim, key)
);

CREATE INDEX projects_scheduled_idx ON projects (publish_at)
    WHERE status = 'published' AND deleted_at IS NULL AND publish_at IS NOT NULL;

-- project_rollup_rows is what one project row adds to the rollup (sign 1)
-- or takes away (sign -1): one row per breakdown it counts in, none when
-- it is not published. The trigger, the backfill below and the live
-- subtraction of scheduled projects in models/statistics.go all use it, so
-- they count alike.
-- +goose StatementBegin
CREATE FUNCTION project_rollup_rows(p_region_id bigint, p_signed_on date, p_chain_id bigint, p_category text,
    p_stage text, p_contracted bigint, p_planned bigint, p_completed bigint, p_currency text,
    p_status text, p_deleted_at timestamptz, sign int) RETURNS TABLE (
    region_id bigint, dim text, key text, projects bigint, started bigint, producing bigint,
    with_amount bigint, converted bigint, with_plan bigint, contracted_yuan bigint, planned_yuan bigint,
    completed_yuan bigint, completed_of_contracted_yuan bigint, completed_of_planned_yuan bigint
) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_region_id, d.dim, d.key, sign,
        sign * (p_stage IN ('started', 'under_construction', 'completed', 'producing'))::int,
        sign * (p_stage = 'producing')::int,
        sign * (p_contracted IS NOT NULL)::int,
        sign * (p_currency <> 'CNY')::int,
        sign * (p_planned IS NOT NULL)::int,
        sign * coalesce(p_contracted, 0),
        sign * coalesce(p_planned, 0),
        sign * p_completed,
        sign * CASE WHEN p_contracted IS NOT NULL THEN p_completed ELSE 0 END,
        sign * CASE WHEN p_planned IS NOT NULL THEN p_completed ELSE 0 END
    FROM (VALUES ('all', ''),
        ('year', coalesce(extract(year FROM p_signed_on)::int::text, '')),
        ('chain', coalesce(p_chain_id::text, '')),
        ('category', p_category), ('stage', p_stage)) d (dim, key)
    WHERE p_status = 'published' AND p_deleted_at IS NULL
$$;
-- +goose StatementEnd

-- The trigger applies a statement's changes in one upsert: the old rows
-- taken away, the new ones added. Transition tables are visible only to
-- the trigger function's own statements, hence EXECUTE here.
-- +goose StatementBegin
CREATE FUNCTION project_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source text;
BEGIN
    source := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT *, 1 AS sign FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT *, -1 AS sign FROM old_rows'
        ELSE 'SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 FROM old_rows'
    END;
    EXECUTE format($f$
        INSERT INTO project_rollup AS r
        SELECT x.region_id, x.dim, x.key, sum(x.projects), sum(x.started), sum(x.producing), sum(x.with_amount),
            sum(x.converted), sum(x.with_plan), sum(x.contracted_yuan), sum(x.planned_yuan), sum(x.completed_yuan),
            sum(x.completed_of_contracted_yuan), sum(x.completed_of_planned_yuan)
        FROM (%s) c CROSS JOIN LATERAL project_rollup_rows(c.region_id, c.signed_on, c.chain_id, c.category, c.stage, c.contracted_amount_yuan, c.planned_investment_yuan, c.completed_investment_yuan, c.contract_currency, c.status::text, c.deleted_at, c.sign) x
        GROUP BY x.region_id, x.dim, x.key
        -- One order for every writer, so two statements changing projects
        -- of one region lock its rollup rows alike and cannot deadlock.
        ORDER BY x.region_id, x.dim, x.key
        ON CONFLICT (region_id, dim, key) DO UPDATE SET
            projects = r.projects + excluded.projects, started = r.started + excluded.started,
            producing = r.producing + excluded.producing, with_amount = r.with_amount + excluded.with_amount,
            converted = r.converted + excluded.converted, with_plan = r.with_plan + excluded.with_plan,
            contracted_yuan = r.contracted_yuan + excluded.contracted_yuan,
            planned_yuan = r.planned_yuan + excluded.planned_yuan,
            completed_yuan = r.completed_yuan + excluded.completed_yuan,
            completed_of_contracted_yuan = r.completed_of_contracted_yuan + excluded.completed_of_contracted_yuan,
            completed_of_planned_yuan = r.completed_of_planned_yuan + excluded.completed_of_planned_yuan
    $f$, source);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER projects_rollup_insert AFTER INSERT ON projects
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION project_rollup_apply();
CREATE TRIGGER projects_rollup_update AFTER UPDATE ON projects
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION project_rollup_apply();
CREATE TRIGGER projects_rollup_delete AFTER DELETE ON projects
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION project_rollup_apply();

-- The rows already there.
INSERT INTO project_rollup
SELECT x.region_id, x.dim, x.key, sum(x.projects), sum(x.started), sum(x.producing), sum(x.with_amount),
            sum(x.converted), sum(x.with_plan), sum(x.contracted_yuan), sum(x.planned_yuan), sum(x.completed_yuan),
            sum(x.completed_of_contracted_yuan), sum(x.completed_of_planned_yuan)
FROM projects p CROSS JOIN LATERAL project_rollup_rows(p.region_id, p.signed_on, p.chain_id, p.category, p.stage, p.contracted_amount_yuan, p.planned_investment_yuan, p.completed_investment_yuan, p.contract_currency, p.status::text, p.deleted_at, 1) x
GROUP BY x.region_id, x.dim, x.key;

-- +goose Down
DROP TRIGGER projects_rollup_insert ON projects;
DROP TRIGGER projects_rollup_update ON projects;
DROP TRIGGER projects_rollup_delete ON projects;
DROP FUNCTION project_rollup_apply();
DROP FUNCTION project_rollup_rows(bigint, date, bigint, text, text, bigint, bigint, bigint, text, text, timestamptz, int);
DROP INDEX projects_scheduled_idx;
DROP TABLE project_rollup;
