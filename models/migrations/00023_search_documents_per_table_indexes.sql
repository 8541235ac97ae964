-- One gram index per content type instead of one for all: a search asks
-- each type for its own hits, and with one index every type read the
-- whole posting list of a common term (电子: 14,500 entries, seven times
-- over) before keeping its own few. Each index holds one type's
-- documents, so each lookup reads only its own part. The names follow
-- models/search.go's searchTargets; add one with a new searchable type.

-- +goose Up
CREATE INDEX search_documents_regions_idx ON search_documents USING gin (grams) WHERE table_name = 'regions';
CREATE INDEX search_documents_parks_idx ON search_documents USING gin (grams) WHERE table_name = 'parks';
CREATE INDEX search_documents_chains_idx ON search_documents USING gin (grams) WHERE table_name = 'industry_chains';
CREATE INDEX search_documents_policies_idx ON search_documents USING gin (grams) WHERE table_name = 'policies';
CREATE INDEX search_documents_projects_idx ON search_documents USING gin (grams) WHERE table_name = 'projects';
CREATE INDEX search_documents_events_idx ON search_documents USING gin (grams) WHERE table_name = 'signing_events';
CREATE INDEX search_documents_news_idx ON search_documents USING gin (grams) WHERE table_name = 'news_articles';
DROP INDEX search_documents_grams_idx;

-- +goose Down
CREATE INDEX search_documents_grams_idx ON search_documents USING gin (grams);
DROP INDEX search_documents_news_idx;
DROP INDEX search_documents_events_idx;
DROP INDEX search_documents_projects_idx;
DROP INDEX search_documents_policies_idx;
DROP INDEX search_documents_chains_idx;
DROP INDEX search_documents_parks_idx;
DROP INDEX search_documents_regions_idx;
