-- English for the last texts an investor reads on a contact card and in
-- the site finder: an officer's title and organisation, and a site's name
-- and description. Empty means not written yet (the Chinese is shown).

-- +goose Up
ALTER TABLE contacts
    ADD COLUMN title_en        text NOT NULL DEFAULT '' CHECK (length(title_en) <= 400),
    ADD COLUMN organisation_en text NOT NULL DEFAULT '' CHECK (length(organisation_en) <= 400);
ALTER TABLE park_sites
    ADD COLUMN name_en        text NOT NULL DEFAULT '' CHECK (length(name_en) <= 400),
    ADD COLUMN description_en text NOT NULL DEFAULT '' CHECK (length(description_en) <= 2000);

-- +goose Down
ALTER TABLE park_sites DROP COLUMN description_en, DROP COLUMN name_en;
ALTER TABLE contacts DROP COLUMN organisation_en, DROP COLUMN title_en;
