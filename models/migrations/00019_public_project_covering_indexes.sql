-- Covering indexes of the public projects for the aggregates that cannot
-- come from project_rollup: the computed side of reported statistics
-- (projects of a region signed within a period) and the event funnels
-- (projects by id). They hold every column those queries read, so that
-- the projects are read from the index alone, without a heap page per
-- project (make bench: each visit to the statistics page read about
-- 2,000 of them). Partial on what Public("projects") tests with
-- constants, so the queries must write 'published' and deleted_at out.

-- +goose Up
DROP INDEX projects_region_signed_on_idx;
CREATE INDEX projects_public_period_idx ON projects (region_id, signed_on)
	INCLUDE (id, category, build_type, stage, contracted_amount_yuan, planned_investment_yuan,
		completed_investment_yuan, contract_currency, publish_at)
	WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX projects_public_funnel_idx ON projects (id)
	INCLUDE (stage, contracted_amount_yuan, planned_investment_yuan, completed_investment_yuan,
		contract_currency, publish_at)
	WHERE status = 'published' AND deleted_at IS NULL;

-- +goose Down
DROP INDEX projects_public_funnel_idx;
DROP INDEX projects_public_period_idx;
CREATE INDEX projects_region_signed_on_idx ON projects (region_id, signed_on);
