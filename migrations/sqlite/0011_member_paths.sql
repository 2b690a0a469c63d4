-- Each member carries its union's path (issue 11), kept right on transfer
-- and on subtree moves in the same transaction, so a search inside a town
-- is one index range of the town's matches: every search key is indexed
-- with the path after it (and the member id, the order a page is read in).
ALTER TABLE members ADD COLUMN org_path TEXT NOT NULL DEFAULT '';
UPDATE members SET org_path = (SELECT path FROM orgs WHERE orgs.id = members.org_id);
-- SQLite cannot add a column without a default: a member written without
-- its path is refused here rather than left out of every scope.
CREATE TRIGGER members_need_a_path BEFORE INSERT ON members WHEN NEW.org_path = ''
BEGIN SELECT RAISE(ABORT, 'members.org_path is required'); END;

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
CREATE INDEX members_name_from2 ON members(substr(name, 2), org_path, id);
CREATE INDEX members_name_from3 ON members(substr(name, 3), org_path, id);
CREATE INDEX members_id_tail4 ON members(id_tail4, org_path, id);
CREATE INDEX members_id_tail6 ON members(id_tail6, org_path, id);

-- The server keeps signed-in callers in memory; this counter moves with
-- every change a caller is made of (a session ended, an account's login,
-- member or disabling, a role given or taken, a union renamed or moved),
-- whichever process made it, so the next request sees it.
CREATE TABLE auth_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
INSERT INTO auth_epoch (id, n) VALUES (1, 0);
CREATE TRIGGER auth_sessions_ended AFTER DELETE ON sessions
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_sessions_changed AFTER UPDATE ON sessions
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_accounts_changed AFTER UPDATE OF username, login_shown, member_id, disabled, password_hash ON accounts
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_accounts_removed AFTER DELETE ON accounts
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_assignments_added AFTER INSERT ON assignments
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_assignments_changed AFTER UPDATE ON assignments
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_assignments_removed AFTER DELETE ON assignments
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
-- (A union being created takes its path in a second step, from a placeholder
-- '#code': nobody's rights change then.)
CREATE TRIGGER auth_orgs_changed AFTER UPDATE OF path, name ON orgs
WHEN (OLD.path <> NEW.path AND substr(OLD.path, 1, 1) <> '#') OR OLD.name <> NEW.name
BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
