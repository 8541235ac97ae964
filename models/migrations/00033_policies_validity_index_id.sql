-- The incentive matcher reads the ids of the policies in force in a
-- region and in the regions above and below it, to join their benefit
-- items. policies_public_validity_idx holds everything it filters on but
-- the id, so PostgreSQL read the policies' rows: about 3 ms of the first
-- answer after an edit in `make bench` (2 500 of 10 000 policies). With
-- the id the index alone answers.

-- +goose Up
DROP INDEX policies_public_validity_idx;
CREATE INDEX policies_public_validity_idx ON policies (region_id)
	INCLUDE (id, effective_on, expires_on, publish_at)
	WHERE status = 'published' AND deleted_at IS NULL;

-- +goose Down
DROP INDEX policies_public_validity_idx;
CREATE INDEX policies_public_validity_idx ON policies (region_id)
	INCLUDE (effective_on, expires_on, publish_at)
	WHERE status = 'published' AND deleted_at IS NULL;
