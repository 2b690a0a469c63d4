-- A worker's login is their phone, kept only as its keyed hash ("tel:…" in
-- username) so the accounts table holds no phone in clear; what the pages
-- show of it (139****1000) is kept beside it.
ALTER TABLE accounts ADD COLUMN login_shown TEXT;

-- 身份证后4位 / 后6位 search: keyed hashes of the last 4 and last 6 digits
-- (never the digits: with the birth date kept beside them they would
-- rebuild the whole number), each indexed with the union after it. Filled
-- for older members at start-up (the key is needed).
ALTER TABLE members ADD COLUMN id_tail4 TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN id_tail6 TEXT NOT NULL DEFAULT '';
CREATE INDEX members_id_tail4 ON members(id_tail4, org_id);
CREATE INDEX members_id_tail6 ON members(id_tail6, org_id);

-- Members on the roll per union (the tree's counts, and the dashboard's),
-- counted from the index alone.
CREATE INDEX members_org_status ON members(org_id, status);

-- A member's account (bulk accounts skip members who have one; activation
-- and the roster look it up).
CREATE INDEX accounts_member ON accounts(member_id);
