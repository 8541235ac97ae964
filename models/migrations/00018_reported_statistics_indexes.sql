-- The computed side of the reported statistics reads the projects of a
-- region signed, or reported on, within a period: both by index, so a
-- region page does not read every project of the region (make bench).

-- +goose Up
CREATE INDEX projects_region_signed_on_idx ON projects (region_id, signed_on);
CREATE INDEX project_reports_reported_on_idx ON project_reports (reported_on, project_id);

-- +goose Down
DROP INDEX project_reports_reported_on_idx;
DROP INDEX projects_region_signed_on_idx;
