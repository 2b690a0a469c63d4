-- How many members each organisation holds itself, kept by the database in
-- the same transaction as every insert, delete and transfer (issue 11), so
-- a subtree's total is a sum over its organisations, not a count of its
-- members: the root list of a million answers at once. Statement triggers
-- over transition tables: an import of a million rows adds one grouped
-- update, not a million; counters are touched in org_id order, so two
-- writers never wait on each other in a cycle.
CREATE TABLE org_member_counts (
    org_id BIGINT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO org_member_counts (org_id, n) SELECT org_id, COUNT(*) FROM members GROUP BY org_id;

CREATE FUNCTION members_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_member_counts (org_id, n)
        SELECT org_id, COUNT(*) FROM new_rows GROUP BY org_id ORDER BY org_id
        ON CONFLICT (org_id) DO UPDATE SET n = org_member_counts.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE FUNCTION members_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_member_counts (org_id, n)
        SELECT org_id, -COUNT(*) FROM old_rows GROUP BY org_id ORDER BY org_id
        ON CONFLICT (org_id) DO UPDATE SET n = org_member_counts.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE FUNCTION members_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_member_counts (org_id, n)
        SELECT org_id, SUM(d) FROM (
            SELECT o.org_id, -1 AS d FROM old_rows o JOIN new_rows w ON w.id = o.id
                WHERE o.org_id <> w.org_id
            UNION ALL
            SELECT w.org_id, 1 AS d FROM old_rows o JOIN new_rows w ON w.id = o.id
                WHERE o.org_id <> w.org_id
        ) moves GROUP BY org_id ORDER BY org_id
        ON CONFLICT (org_id) DO UPDATE SET n = org_member_counts.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER members_counted AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION members_count_inserted();
CREATE TRIGGER members_uncounted AFTER DELETE ON members
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION members_count_deleted();
CREATE TRIGGER members_recounted AFTER UPDATE ON members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION members_count_moved();
