-- Eligibility rules on each benefit item, kept by editors, read by the
-- incentive matcher (models/matcher.go). Where a rule is empty the item
-- asks nothing of it: no sector, no minimum investment, no qualification.
-- Items of one policy that share an exclusive_group are not granted
-- together: a project gets the highest of them (the national award, not
-- also the provincial one).

-- +goose Up
ALTER TABLE benefit_items
    ADD COLUMN chain_id            bigint REFERENCES industry_chains (id) ON DELETE RESTRICT,
    ADD COLUMN min_investment_yuan yuan,
    ADD COLUMN qualification       text NOT NULL DEFAULT ''
        CHECK (qualification IN ('', 'innovation_centre', 'tech_centre', 'design_centre', 'high_tech', 'relocation')),
    ADD COLUMN qualification_level text NOT NULL DEFAULT ''
        CHECK (qualification_level IN ('', 'national', 'provincial')),
    ADD COLUMN exclusive_group     text NOT NULL DEFAULT '' CHECK (length(exclusive_group) <= 50),
    -- Only the three kinds of centre come at a national or provincial level.
    ADD CONSTRAINT benefit_items_leveled_qualification_check
        CHECK (qualification_level = '' OR qualification IN ('innovation_centre', 'tech_centre', 'design_centre'));
CREATE INDEX benefit_items_chain_idx ON benefit_items (chain_id) WHERE chain_id IS NOT NULL;

-- +goose Down
DROP INDEX benefit_items_chain_idx;
ALTER TABLE benefit_items
    DROP CONSTRAINT benefit_items_leveled_qualification_check,
    DROP COLUMN exclusive_group,
    DROP COLUMN qualification_level,
    DROP COLUMN qualification,
    DROP COLUMN min_investment_yuan,
    DROP COLUMN chain_id;
