-- Every content change is also announced: the bump that raises the
-- versions at commit (migration 00020) sends NOTIFY content_versions with
-- the new '*' version, so each portal instance drops its cached pages as
-- soon as PostgreSQL delivers it (models/content_watch.go), without
-- asking the database on every request.
--
-- NOTIFY is transactional: it is delivered only if the transaction
-- commits, after its changes are visible, and notifications reach each
-- listener in commit order. The deferred bump runs before PostgreSQL
-- queues the transaction's notifications at commit, so this one goes out.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flag text := 'portal.content_bumped.' || TG_TABLE_NAME;
    everything bigint;
BEGIN
    IF current_setting(flag, true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config(flag, 'on', true);
    UPDATE content_versions SET version = version + 1, changed_at = now() WHERE table_name = '*'
        RETURNING version INTO everything;
    UPDATE content_versions SET version = version + 1, changed_at = now() WHERE table_name = TG_TABLE_NAME;
    PERFORM pg_notify('content_versions', everything::text);
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
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
