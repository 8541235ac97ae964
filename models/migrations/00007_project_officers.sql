-- The investment officer who follows a signed project until it produces;
-- officers may edit the projects assigned to them.

-- +goose Up
ALTER TABLE projects ADD COLUMN officer_id bigint REFERENCES staff_users (id) ON DELETE SET NULL;
CREATE INDEX projects_officer_id_idx ON projects (officer_id) WHERE officer_id IS NOT NULL;

-- +goose Down
ALTER TABLE projects DROP COLUMN officer_id;
