-- The site finder (models/site_queries.go) asks for sites by status and
-- kind within an area range, sorted by area: the first index answers the
-- filters and the order. The second serves a status alone (the default:
-- available) in area order, and counts its sites from the index alone
-- (park, kind and ready date included), where a status-only index left
-- the count to a scan of the table. Replaces the status-only index.

-- +goose Up
CREATE INDEX park_sites_finder_idx ON park_sites (status, kind, area_m2);
CREATE INDEX park_sites_status_area_idx ON park_sites (status, area_m2) INCLUDE (park_id, kind, ready_on);
DROP INDEX park_sites_status_idx;

-- +goose Down
CREATE INDEX park_sites_status_idx ON park_sites (status);
DROP INDEX park_sites_status_area_idx;
DROP INDEX park_sites_finder_idx;
