-- Inquiry references that never run out and are never used up by a resent
-- form, and no stored value that opens an investor's status page.

-- +goose Up
-- One counter per year of receipt (Beijing time): INQ-2026-000001 onwards,
-- six digits at least and more when a year needs them. The counter is a row
-- updated in the transaction that stores the inquiry, so a transaction that
-- stores nothing gives its number back and references have no gaps.
CREATE TABLE inquiry_reference_counters (
    year         integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 9999),
    last_number  bigint NOT NULL CHECK (last_number > 0)
);
INSERT INTO inquiry_reference_counters (year, last_number)
SELECT substr(reference, 5, 4)::integer, max(substr(reference, 10)::bigint)
FROM inquiries GROUP BY 1;
DROP SEQUENCE inquiry_reference_seq;
ALTER TABLE inquiries DROP CONSTRAINT inquiries_reference_check,
    ADD CONSTRAINT inquiries_reference_check CHECK (reference ~ '^INQ-[0-9]{4}-[0-9]{6,12}$');

-- The form's submission key made a resent form find its inquiry, but stored
-- as it was it also let anyone who could read the table resend a form and
-- be redirected to the investor's private status page. Only its SHA-256 is
-- kept now. The status link is made from status_key, a random value per
-- inquiry, with the server's secret; for inquiries stored before this
-- migration it is their old submission key, so their links stay valid, and
-- they get no submission hash: their forms were sent long ago.
ALTER TABLE inquiries RENAME COLUMN submission_key TO status_key;
ALTER TABLE inquiries ADD COLUMN submission_key_hash bytea UNIQUE CHECK (length(submission_key_hash) = 32);

-- +goose Down
ALTER TABLE inquiries DROP COLUMN submission_key_hash;
ALTER TABLE inquiries RENAME COLUMN status_key TO submission_key;
ALTER TABLE inquiries DROP CONSTRAINT inquiries_reference_check,
    ADD CONSTRAINT inquiries_reference_check CHECK (reference ~ '^INQ-[0-9]{4}-[0-9]{6}$');
CREATE SEQUENCE inquiry_reference_seq MAXVALUE 999999;
SELECT setval('inquiry_reference_seq', max(last_number)) FROM inquiry_reference_counters HAVING count(*) > 0;
DROP TABLE inquiry_reference_counters;
