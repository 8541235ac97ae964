-- Content versions tell a cache whether what it computed from public
-- content is still current (models/content_versions.go). Each content
-- table has a row here, and every committed change to the table raises
-- its version, in the transaction that made the change: a reader that
-- sees the new rows sees the new version, never one without the other.
--
-- The versions are raised at commit, by deferred constraint triggers, so
-- a transaction takes the lock on these rows only when it is done with
-- everything else: it can never hold one while it waits for a row another
-- writer holds, and writers cannot deadlock on them. The '*' row is
-- locked first by every bump, so the table rows are always locked by one
-- transaction at a time and in no conflicting order. Each table is bumped
-- once per transaction however many rows it changed (a flag local to the
-- transaction).
--
-- For later migrations and writers: a transaction that changed rows of a
-- content table has a trigger event pending until commit, so PostgreSQL
-- refuses ALTER TABLE, CREATE INDEX or TRUNCATE on that table later in it;
-- run SET CONSTRAINTS ALL IMMEDIATE before such DDL (the bump then happens
-- at once, which is fine in a migration). Content writes are serialised on
-- the '*' row while they commit, and must run at READ COMMITTED: a
-- repeatable-read writer fails when any other content write committed
-- during it.

-- +goose Up
CREATE TABLE content_versions (
    table_name text PRIMARY KEY,
    version    bigint NOT NULL DEFAULT 1,
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- A memo is current until the next scheduled row becomes public; finding
-- it in the large tables takes an index (projects has projects_scheduled_idx).
CREATE INDEX policies_scheduled_idx ON policies (publish_at)
    WHERE status = 'published' AND deleted_at IS NULL AND publish_at IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flag text := 'portal.content_bumped.' || TG_TABLE_NAME;
BEGIN
    IF current_setting(flag, true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config(flag, 'on', true);
    UPDATE content_versions SET version = version + 1, changed_at = now() WHERE table_name = '*';
    UPDATE content_versions SET version = version + 1, changed_at = now() WHERE table_name = TG_TABLE_NAME;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    INSERT INTO content_versions (table_name) VALUES ('*');
    FOREACH t IN ARRAY ARRAY['benefit_items', 'business_measures', 'chain_parks', 'contacts', 'industry_chains',
        'news_articles', 'park_sites', 'parks', 'policies', 'policy_chains', 'project_appearances',
        'project_managers', 'project_reports', 'projects', 'region_figures', 'regions',
        'reported_statistics', 'signing_events', 'uploads'] LOOP
        INSERT INTO content_versions (table_name) VALUES (t);
        EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_content_version()',
            t || '_content_version', t);
        -- TRUNCATE has no row triggers; it bumps at once.
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version()',
            t || '_content_version_truncate', t);
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT table_name FROM content_versions WHERE table_name <> '*' LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_content_version', t);
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_content_version_truncate', t);
    END LOOP;
END $$;
-- +goose StatementEnd
DROP FUNCTION bump_content_version();
DROP INDEX policies_scheduled_idx;
DROP TABLE content_versions;
