-- How many members each organisation holds itself, kept by the database in
-- the same transaction as every insert, delete and transfer (issue 11), so
-- a subtree's total is a sum over its organisations, not a count of its
-- members: the root list of a million answers at once.
CREATE TABLE org_member_counts (
    org_id INTEGER PRIMARY KEY,
    n INTEGER NOT NULL
);
INSERT INTO org_member_counts (org_id, n) SELECT org_id, COUNT(*) FROM members GROUP BY org_id;
CREATE TRIGGER members_counted AFTER INSERT ON members BEGIN
    INSERT INTO org_member_counts (org_id, n) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER members_uncounted AFTER DELETE ON members BEGIN
    UPDATE org_member_counts SET n = n - 1 WHERE org_id = OLD.org_id;
END;
CREATE TRIGGER members_recounted AFTER UPDATE OF org_id ON members
    WHEN OLD.org_id <> NEW.org_id BEGIN
    UPDATE org_member_counts SET n = n - 1 WHERE org_id = OLD.org_id;
    INSERT INTO org_member_counts (org_id, n) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET n = n + 1;
END;
