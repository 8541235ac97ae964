-- English beside the Chinese where foreign investors read it and the
-- schema had no place for it: a figure's "as of" note (units are
-- translated by views.Figure), a
-- business-environment measure's description, a benefit item's recipient
-- and condition, and a news article's English summary (a summary of the
-- Chinese article, marked as such; the article itself stays Chinese).
-- Empty means not written yet: pages then show the Chinese under a notice.

-- +goose Up
ALTER TABLE region_figures
    ADD COLUMN as_of_en text NOT NULL DEFAULT '' CHECK (length(as_of_en) <= 200);
ALTER TABLE business_measures
    ADD COLUMN description_en text NOT NULL DEFAULT '' CHECK (length(description_en) <= 4000);
ALTER TABLE benefit_items
    ADD COLUMN recipient_en text NOT NULL DEFAULT '' CHECK (length(recipient_en) <= 400),
    ADD COLUMN condition_en text NOT NULL DEFAULT '' CHECK (length(condition_en) <= 2000);
ALTER TABLE news_articles
    ADD COLUMN summary_en text NOT NULL DEFAULT '' CHECK (length(summary_en) <= 2000);

-- +goose Down
ALTER TABLE news_articles DROP COLUMN summary_en;
ALTER TABLE benefit_items DROP COLUMN condition_en, DROP COLUMN recipient_en;
ALTER TABLE business_measures DROP COLUMN description_en;
ALTER TABLE region_figures DROP COLUMN as_of_en;
