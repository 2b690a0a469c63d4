-- Each member carries its union's path (issue 11), kept right on transfer
-- and on subtree moves in the same transaction, so a search inside a town
-- is one index range of the town's matches: every search key is indexed
-- with the path after it (and the member id, the order a page is read in).
ALTER TABLE members ADD COLUMN org_path TEXT COLLATE "C";
UPDATE members m SET org_path = o.path FROM orgs o WHERE o.id = m.org_id;
ALTER TABLE members ALTER COLUMN org_path SET NOT NULL;
-- Prefix searches compare bytes, as on SQLite, whatever the database's
-- collation: a range [prefix, prefix + U+10FFFF) is then exactly the prefix.
ALTER TABLE members ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE members ALTER COLUMN name_pinyin TYPE TEXT COLLATE "C";
ALTER TABLE members ALTER COLUMN name_initials TYPE TEXT COLLATE "C";
ALTER TABLE members ALTER COLUMN phone_tail TYPE TEXT COLLATE "C";
ALTER TABLE members ALTER COLUMN card_no TYPE TEXT COLLATE "C";
ALTER TABLE members ALTER COLUMN id_tail4 TYPE TEXT COLLATE "C";
ALTER TABLE members ALTER COLUMN id_tail6 TYPE TEXT COLLATE "C";

DROP INDEX members_name;
DROP INDEX members_pinyin;
DROP INDEX members_initials;
DROP INDEX members_phone_tail;
DROP INDEX members_card;
DROP INDEX members_name_from2;
DROP INDEX members_name_from3;
DROP INDEX members_id_tail4;
DROP INDEX members_id_tail6;
CREATE INDEX members_path ON members(org_path, id);
CREATE INDEX members_name ON members(name, org_path, id);
CREATE INDEX members_pinyin ON members(name_pinyin, org_path, id);
CREATE INDEX members_initials ON members(name_initials, org_path, id);
CREATE INDEX members_phone_tail ON members(phone_tail, org_path, id);
CREATE INDEX members_card ON members(card_no, org_path, id);
CREATE INDEX members_name_from2 ON members((substr(name, 2)), org_path, id);
CREATE INDEX members_name_from3 ON members((substr(name, 3)), org_path, id);
CREATE INDEX members_id_tail4 ON members(id_tail4, org_path, id);
CREATE INDEX members_id_tail6 ON members(id_tail6, org_path, id);

-- The server keeps signed-in callers in memory; this counter moves with
-- every change a caller is made of (a session ended, an account's login,
-- member or disabling, a role given or taken, a union renamed or moved),
-- whichever process made it, so the next request sees it.
CREATE TABLE auth_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
INSERT INTO auth_epoch (id, n) VALUES (1, 0);
CREATE FUNCTION auth_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_epoch SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER auth_sessions_ended AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_sessions_changed AFTER UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_accounts_changed AFTER UPDATE OF username, login_shown, member_id, disabled, password_hash ON accounts
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_accounts_removed AFTER DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_assignments_added AFTER INSERT ON assignments
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_assignments_changed AFTER UPDATE ON assignments
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_assignments_removed AFTER DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION auth_epoch_bump();
-- (A union being created takes its path in a second step, from a placeholder
-- '#code': nobody's rights change then.)
CREATE TRIGGER auth_orgs_changed AFTER UPDATE OF path, name ON orgs
    FOR EACH ROW WHEN ((OLD.path <> NEW.path AND substr(OLD.path, 1, 1) <> '#') OR OLD.name <> NEW.name)
    EXECUTE FUNCTION auth_epoch_bump();
