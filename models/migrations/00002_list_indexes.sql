-- Indexes for the public lists' default order, so the first page of
-- 100 000 projects or 10 000 policies is read from an index instead of
-- sorting the whole table (see make bench).

-- +goose Up
CREATE INDEX projects_public_newest_idx ON projects (signed_on DESC NULLS LAST, id DESC)
    WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX policies_public_newest_idx ON policies (issued_on DESC NULLS LAST, id DESC)
    WHERE status = 'published' AND deleted_at IS NULL;

-- +goose Down
DROP INDEX policies_public_newest_idx;
DROP INDEX projects_public_newest_idx;
