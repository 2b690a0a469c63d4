-- Rosters at scale: the audit log, search keys, import jobs.

-- Append-only, hash-chained: each entry's hash covers the previous entry's hash.
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    account_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    member_id BIGINT,
    org_id BIGINT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_member ON audit_log(member_id, id);
CREATE INDEX audit_log_account ON audit_log(account_id, id);
CREATE INDEX audit_log_at ON audit_log(at);

-- The chain's head: one row, locked by every append, so appends are serialised.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Search keys: full pinyin, initials, last four digits of the phone. Byte
-- order ("C") makes prefix searches index ranges, as on SQLite.
ALTER TABLE members ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE members ADD COLUMN name_pinyin TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN name_initials TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN phone_tail TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX members_pinyin ON members(name_pinyin, org_id);
CREATE INDEX members_initials ON members(name_initials, org_id);
CREATE INDEX members_phone_tail ON members(phone_tail, org_id);
CREATE INDEX members_card ON members(card_no, org_id);
-- A substring of a 2–4 character name starts at its 1st, 2nd or 3rd character:
-- prefix ranges on these cover it without scanning the roster.
CREATE INDEX members_name_from2 ON members ((substr(name, 2)), org_id);
CREATE INDEX members_name_from3 ON members ((substr(name, 3)), org_id);

-- Roster imports run as jobs; their error list and bad-rows workbook hold
-- personal data, so both are stored encrypted.
CREATE TABLE imports (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    account_id BIGINT,
    actor TEXT NOT NULL,
    -- host:pid of the process running it, so a crashed run can be told from a live one
    runner TEXT NOT NULL DEFAULT '',
    filename TEXT NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    rows_total BIGINT NOT NULL DEFAULT 0,
    rows_done BIGINT NOT NULL DEFAULT 0,
    rows_failed BIGINT NOT NULL DEFAULT 0,
    rows_created BIGINT NOT NULL DEFAULT 0,
    rows_updated BIGINT NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    errors_enc BYTEA,
    report_enc BYTEA,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX imports_org ON imports(org_id, id);
