-- Regions and parks nest, and the public pages walk their parents up and
-- down. A loop of parents (two regions each the other's parent) made every
-- such walk run until the database ran out; the form only refused a record
-- that was its own parent. The database now refuses any loop.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION refuse_parent_cycle() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    parent_column text := TG_ARGV[0];
    new_parent bigint;
    loops boolean;
BEGIN
    EXECUTE format('SELECT ($1).%I', parent_column) INTO new_parent USING NEW;
    IF new_parent IS NULL THEN
        RETURN NEW;
    END IF;
    -- One change of parents at a time per table: two concurrent changes
    -- could each see no loop and together make one. Each query below takes
    -- a fresh snapshot, so it sees what the previous holder committed.
    PERFORM pg_advisory_xact_lock(hashtextextended('refuse_parent_cycle:' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 0));
    -- UNION, not UNION ALL: the walk ends even if a loop were already there.
    -- The table is named with its schema: no table of another schema on the
    -- search path can stand in for it.
    EXECUTE format('WITH RECURSIVE up(id) AS (
            SELECT $1
            UNION
            SELECT t.%1$I FROM %2$I.%3$I t JOIN up ON t.id = up.id WHERE t.%1$I IS NOT NULL
        ) SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)', parent_column, TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO loops USING new_parent, NEW.id;
    IF loops THEN
        RAISE EXCEPTION '% % cannot be placed under % %, which lies below it', TG_TABLE_NAME, NEW.id, TG_TABLE_NAME, new_parent
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_parent_cycle';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER regions_parent_cycle BEFORE INSERT OR UPDATE OF parent_id ON regions
    FOR EACH ROW EXECUTE FUNCTION refuse_parent_cycle('parent_id');
CREATE TRIGGER parks_parent_cycle BEFORE INSERT OR UPDATE OF parent_park_id ON parks
    FOR EACH ROW EXECUTE FUNCTION refuse_parent_cycle('parent_park_id');

-- +goose Down
DROP TRIGGER parks_parent_cycle ON parks;
DROP TRIGGER regions_parent_cycle ON regions;
DROP FUNCTION refuse_parent_cycle();
