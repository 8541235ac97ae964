-- Indexes so search, text filters and totals do not read whole tables
-- (see make bench, which prints the plans).
--
-- Search: investors type two-character Chinese words (电子, 物流), which
-- pg_trgm cannot index (it needs three characters) and which full-text
-- parsers do not split out of Chinese text. So every searchable record
-- gets a row in search_documents holding the set of its text's single
-- characters and character pairs, kept current by a trigger and indexed
-- with GIN. A query asks for records holding all of the query's pairs (or
-- its one character) and rechecks those with ILIKE. A side table rather
-- than a column, so pages that read content rows never carry the arrays;
-- stored rather than an expression index, because GIN rechecks @> hits
-- and recomputing the grams of a long policy text per hit is slow.
-- The trigger arguments must name the same columns as models/search.go's
-- searchTargets; a test compares search with a plain scan.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION search_grams(VARIADIC parts text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM (SELECT lower(array_to_string(parts, ' ')) AS d) doc,
         LATERAL (SELECT substr(d, i, 1) FROM generate_series(1, length(d)) i
                  UNION ALL
                  SELECT substr(d, i, 2) FROM generate_series(1, length(d) - 1) i) grams(g)
    WHERE g !~ '^\s+$'
$$;
-- +goose StatementEnd

-- The keys a query must all find: its character pairs, or its only
-- character. Computed in the database so both sides use the same lower().
-- +goose StatementBegin
CREATE FUNCTION search_query_grams(q text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN length(q) = 1 THEN ARRAY[lower(q)]
           ELSE coalesce((SELECT array_agg(DISTINCT g)
                          FROM (SELECT substr(lower(q), i, 2) AS g FROM generate_series(1, length(q) - 1) i) pairs
                          WHERE g !~ '^\s+$'), '{}')
           END
$$;
-- +goose StatementEnd

CREATE TABLE search_documents (
    table_name text   NOT NULL,
    record_id  bigint NOT NULL,
    grams      text[] NOT NULL,
    PRIMARY KEY (table_name, record_id)
);

-- Keeps a record's search document current; the trigger's arguments name
-- the searchable columns.
-- +goose StatementBegin
CREATE FUNCTION index_search_document() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    doc_grams text[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE table_name = TG_TABLE_NAME AND record_id = OLD.id;
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT search_grams(%s) FROM (SELECT ($1).*) r',
                   (SELECT string_agg('r.' || quote_ident(c), ', ') FROM unnest(TG_ARGV) c))
        INTO doc_grams USING NEW;
    INSERT INTO search_documents (table_name, record_id, grams) VALUES (TG_TABLE_NAME, NEW.id, doc_grams)
        ON CONFLICT (table_name, record_id) DO UPDATE SET grams = EXCLUDED.grams;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER regions_search_document AFTER INSERT OR DELETE OR UPDATE OF name, name_en, summary, description, business_environment
    ON regions FOR EACH ROW EXECUTE FUNCTION index_search_document('name', 'name_en', 'summary', 'description', 'business_environment');
CREATE TRIGGER parks_search_document AFTER INSERT OR DELETE OR UPDATE OF name, name_en, summary, focus_industries, description
    ON parks FOR EACH ROW EXECUTE FUNCTION index_search_document('name', 'name_en', 'summary', 'focus_industries', 'description');
CREATE TRIGGER industry_chains_search_document AFTER INSERT OR DELETE OR UPDATE OF name, name_en, summary, description
    ON industry_chains FOR EACH ROW EXECUTE FUNCTION index_search_document('name', 'name_en', 'summary', 'description');
CREATE TRIGGER policies_search_document AFTER INSERT OR DELETE OR UPDATE OF title, title_en, summary, body, issuing_body
    ON policies FOR EACH ROW EXECUTE FUNCTION index_search_document('title', 'title_en', 'summary', 'body', 'issuing_body');
CREATE TRIGGER projects_search_document AFTER INSERT OR DELETE OR UPDATE OF name, name_en, investor, summary, description
    ON projects FOR EACH ROW EXECUTE FUNCTION index_search_document('name', 'name_en', 'investor', 'summary', 'description');
CREATE TRIGGER signing_events_search_document AFTER INSERT OR DELETE OR UPDATE OF name, name_en, summary, place
    ON signing_events FOR EACH ROW EXECUTE FUNCTION index_search_document('name', 'name_en', 'summary', 'place');
CREATE TRIGGER news_articles_search_document AFTER INSERT OR DELETE OR UPDATE OF title, title_en, summary, body
    ON news_articles FOR EACH ROW EXECUTE FUNCTION index_search_document('title', 'title_en', 'summary', 'body');

-- Documents for the rows that already exist.
INSERT INTO search_documents SELECT 'regions', id, search_grams(name, name_en, summary, description, business_environment) FROM regions;
INSERT INTO search_documents SELECT 'parks', id, search_grams(name, name_en, summary, focus_industries, description) FROM parks;
INSERT INTO search_documents SELECT 'industry_chains', id, search_grams(name, name_en, summary, description) FROM industry_chains;
INSERT INTO search_documents SELECT 'policies', id, search_grams(title, title_en, summary, body, issuing_body) FROM policies;
INSERT INTO search_documents SELECT 'projects', id, search_grams(name, name_en, investor, summary, description) FROM projects;
INSERT INTO search_documents SELECT 'signing_events', id, search_grams(name, name_en, summary, place) FROM signing_events;
INSERT INTO search_documents SELECT 'news_articles', id, search_grams(title, title_en, summary, body) FROM news_articles;

CREATE INDEX search_documents_grams_idx ON search_documents USING gin (grams);

-- Totals (count and sums of public projects: home page, project list, a
-- region's page) read from this index alone (an index-only scan), not
-- from the table's rows.
CREATE INDEX projects_public_totals_idx ON projects (region_id)
    INCLUDE (contracted_amount_yuan, completed_investment_yuan, publish_at)
    WHERE status = 'published' AND deleted_at IS NULL;

-- Counting public policies (home page) likewise; the benefit-kind filter
-- joins benefit items by kind from an index alone.
CREATE INDEX policies_public_validity_idx ON policies (region_id)
    INCLUDE (effective_on, expires_on, publish_at)
    WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX benefit_items_kind_policy_idx ON benefit_items (kind, policy_id);
DROP INDEX benefit_items_kind_idx;

-- +goose Down
CREATE INDEX benefit_items_kind_idx ON benefit_items (kind);
DROP INDEX benefit_items_kind_policy_idx;
DROP INDEX policies_public_validity_idx;
DROP INDEX projects_public_totals_idx;
DROP TRIGGER news_articles_search_document ON news_articles;
DROP TRIGGER signing_events_search_document ON signing_events;
DROP TRIGGER projects_search_document ON projects;
DROP TRIGGER policies_search_document ON policies;
DROP TRIGGER industry_chains_search_document ON industry_chains;
DROP TRIGGER parks_search_document ON parks;
DROP TRIGGER regions_search_document ON regions;
DROP FUNCTION index_search_document();
DROP TABLE search_documents;
DROP FUNCTION search_query_grams(text);
DROP FUNCTION search_grams(text[]);
