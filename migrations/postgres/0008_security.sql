-- Whole-number searches (an ID number or a phone typed in full): who, for
-- which kind of key, found or not. Repeated misses stop an account's
-- whole-number search for a day (see member::lookups).
CREATE TABLE pii_lookups (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    found BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX pii_lookups_account ON pii_lookups(account_id, at);

-- When a member first opened a lesson: credited watch time never exceeds the
-- wall time since then.
ALTER TABLE lesson_progress ADD COLUMN opened_at BIGINT NOT NULL DEFAULT 0;
-- Progress kept before: opened no later than its credited time allows.
UPDATE lesson_progress SET opened_at = reported_at - watched_ms WHERE reported_at > 0;

-- A request by one admin to grant the reveal right, waiting for a second admin
-- of the same union (an admin of a union above grants at once).
CREATE TABLE reveal_requests (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    requested_by BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    UNIQUE (account_id)
);
