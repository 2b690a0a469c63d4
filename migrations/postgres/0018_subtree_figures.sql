-- Subtree totals (issue 12): every organisation's figures summed over its
-- whole subtree, kept by triggers in the same transaction as every write that
-- changes them, so the dashboard of the root of a million members reads one
-- row per organisation instead of summing over every union below it.
-- `org_ancestors` lists each organisation's ancestors, itself included: a
-- member's write adds its part to each of them (about five rows).
CREATE TABLE org_ancestors (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    ancestor_id BIGINT NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (org_id, ancestor_id)
);
CREATE INDEX org_ancestors_below ON org_ancestors(ancestor_id, org_id);

WITH RECURSIVE up(org_id, ancestor_id) AS (
    SELECT id, id FROM orgs
    UNION ALL
    SELECT up.org_id, o.parent_id FROM up JOIN orgs o ON o.id = up.ancestor_id WHERE o.parent_id IS NOT NULL
)
INSERT INTO org_ancestors (org_id, ancestor_id) SELECT org_id, ancestor_id FROM up;

-- The columns of org_member_counts (0012, 0014), summed over the subtree.
CREATE TABLE org_subtree_figures (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    n BIGINT NOT NULL DEFAULT 0,
    on_roll BIGINT NOT NULL DEFAULT 0,
    skill_5 BIGINT NOT NULL DEFAULT 0,
    skill_4 BIGINT NOT NULL DEFAULT 0,
    skill_3 BIGINT NOT NULL DEFAULT 0,
    skill_2 BIGINT NOT NULL DEFAULT 0,
    skill_1 BIGINT NOT NULL DEFAULT 0,
    migrant BIGINT NOT NULL DEFAULT 0,
    hardship BIGINT NOT NULL DEFAULT 0
);
INSERT INTO org_subtree_figures (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
    SELECT a.ancestor_id, SUM(c.n), SUM(c.on_roll), SUM(c.skill_5), SUM(c.skill_4), SUM(c.skill_3),
        SUM(c.skill_2), SUM(c.skill_1), SUM(c.migrant), SUM(c.hardship)
    FROM org_ancestors a JOIN org_member_counts c ON c.org_id = a.org_id
    GROUP BY a.ancestor_id;
INSERT INTO org_subtree_figures (org_id) SELECT id FROM orgs WHERE id NOT IN (SELECT org_id FROM org_subtree_figures);

-- The month ('YYYY-MM', Beijing time) of a time in milliseconds.
CREATE FUNCTION month_of_ms(ms BIGINT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(to_timestamp(ms / 1000 + 28800) AT TIME ZONE 'UTC', 'YYYY-MM')
$$;

-- Joins (by the month of the join date) and transfers crossing the subtree's
-- edge (by the month they were made, Beijing time), per subtree and month.
CREATE TABLE org_subtree_months (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    month TEXT NOT NULL,
    joined BIGINT NOT NULL DEFAULT 0,
    transferred_in BIGINT NOT NULL DEFAULT 0,
    transferred_out BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, month)
);
INSERT INTO org_subtree_months (org_id, month, joined)
    SELECT a.ancestor_id, substr(m.join_date, 1, 7), COUNT(*)
    FROM members m JOIN org_ancestors a ON a.org_id = m.org_id
    WHERE m.join_date <> ''
    GROUP BY a.ancestor_id, substr(m.join_date, 1, 7);
INSERT INTO org_subtree_months (org_id, month, transferred_in)
    SELECT a.ancestor_id, month_of_ms(t.at), COUNT(*)
    FROM member_transfers t JOIN org_ancestors a ON a.org_id = t.to_org_id
    WHERE a.ancestor_id NOT IN (SELECT f.ancestor_id FROM org_ancestors f WHERE f.org_id = t.from_org_id)
    GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET transferred_in = excluded.transferred_in;
INSERT INTO org_subtree_months (org_id, month, transferred_out)
    SELECT a.ancestor_id, month_of_ms(t.at), COUNT(*)
    FROM member_transfers t JOIN org_ancestors a ON a.org_id = t.from_org_id
    WHERE a.ancestor_id NOT IN (SELECT d.ancestor_id FROM org_ancestors d WHERE d.org_id = t.to_org_id)
    GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET transferred_out = excluded.transferred_out;

ANALYZE org_ancestors;
ANALYZE org_subtree_figures;
ANALYZE org_subtree_months;

-- A new organisation: its parent's ancestors and itself, and an empty total.
-- (A move is kept by the organisation store, in the move's transaction.)
CREATE FUNCTION orgs_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_ancestors (org_id, ancestor_id)
        SELECT NEW.id, ancestor_id FROM org_ancestors WHERE org_id = NEW.parent_id
        UNION ALL SELECT NEW.id, NEW.id;
    INSERT INTO org_subtree_figures (org_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER orgs_placed AFTER INSERT ON orgs FOR EACH ROW EXECUTE FUNCTION orgs_place();

-- Members' parts added to (or taken from) every ancestor, one statement at a
-- time; ancestors in id order, so concurrent writers lock them in one order.
-- Each row's ancestors are read by their index (the LATERAL … OFFSET 0):
-- joined plainly, a batch of an import was merge-joined against the whole
-- `org_ancestors` (134,000 rows for a city) once per statement. Without
-- statistics the planner guesses hundreds of ancestors a union and would
-- compile each statement to machine code (JIT) at a cost far above its
-- work: `jit = off` inside these functions.
CREATE FUNCTION members_subtree_inserted() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    INSERT INTO org_subtree_figures (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
        SELECT a.ancestor_id, SUM(f.n), SUM(f.on_roll), SUM(f.skill_5), SUM(f.skill_4), SUM(f.skill_3),
            SUM(f.skill_2), SUM(f.skill_1), SUM(f.migrant_n), SUM(f.hardship_n)
        FROM new_rows r CROSS JOIN LATERAL (SELECT x.ancestor_id FROM org_ancestors x WHERE x.org_id = r.org_id OFFSET 0) a,
            member_figures(1, r.status, r.skill_level, r.is_migrant_worker, r.is_hardship) f
        GROUP BY a.ancestor_id ORDER BY a.ancestor_id
        ON CONFLICT (org_id) DO UPDATE SET
            n = org_subtree_figures.n + EXCLUDED.n,
            on_roll = org_subtree_figures.on_roll + EXCLUDED.on_roll,
            skill_5 = org_subtree_figures.skill_5 + EXCLUDED.skill_5,
            skill_4 = org_subtree_figures.skill_4 + EXCLUDED.skill_4,
            skill_3 = org_subtree_figures.skill_3 + EXCLUDED.skill_3,
            skill_2 = org_subtree_figures.skill_2 + EXCLUDED.skill_2,
            skill_1 = org_subtree_figures.skill_1 + EXCLUDED.skill_1,
            migrant = org_subtree_figures.migrant + EXCLUDED.migrant,
            hardship = org_subtree_figures.hardship + EXCLUDED.hardship;
    INSERT INTO org_subtree_months (org_id, month, joined)
        SELECT a.ancestor_id, substr(r.join_date, 1, 7), SUM(r.sign)
        FROM (SELECT 1 AS sign, org_id, join_date FROM new_rows) r
        CROSS JOIN LATERAL (SELECT x.ancestor_id FROM org_ancestors x WHERE x.org_id = r.org_id OFFSET 0) a
        WHERE r.join_date <> ''
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (org_id, month) DO UPDATE SET joined = org_subtree_months.joined + EXCLUDED.joined;
    RETURN NULL;
END
$$;
CREATE TRIGGER members_subtree_counted AFTER INSERT ON members
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION members_subtree_inserted();

CREATE FUNCTION members_subtree_deleted() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    INSERT INTO org_subtree_figures (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
        SELECT a.ancestor_id, SUM(f.n), SUM(f.on_roll), SUM(f.skill_5), SUM(f.skill_4), SUM(f.skill_3),
            SUM(f.skill_2), SUM(f.skill_1), SUM(f.migrant_n), SUM(f.hardship_n)
        FROM old_rows r CROSS JOIN LATERAL (SELECT x.ancestor_id FROM org_ancestors x WHERE x.org_id = r.org_id OFFSET 0) a,
            member_figures(-1, r.status, r.skill_level, r.is_migrant_worker, r.is_hardship) f
        GROUP BY a.ancestor_id ORDER BY a.ancestor_id
        ON CONFLICT (org_id) DO UPDATE SET
            n = org_subtree_figures.n + EXCLUDED.n,
            on_roll = org_subtree_figures.on_roll + EXCLUDED.on_roll,
            skill_5 = org_subtree_figures.skill_5 + EXCLUDED.skill_5,
            skill_4 = org_subtree_figures.skill_4 + EXCLUDED.skill_4,
            skill_3 = org_subtree_figures.skill_3 + EXCLUDED.skill_3,
            skill_2 = org_subtree_figures.skill_2 + EXCLUDED.skill_2,
            skill_1 = org_subtree_figures.skill_1 + EXCLUDED.skill_1,
            migrant = org_subtree_figures.migrant + EXCLUDED.migrant,
            hardship = org_subtree_figures.hardship + EXCLUDED.hardship;
    INSERT INTO org_subtree_months (org_id, month, joined)
        SELECT a.ancestor_id, substr(r.join_date, 1, 7), SUM(r.sign)
        FROM (SELECT -1 AS sign, org_id, join_date FROM old_rows) r
        CROSS JOIN LATERAL (SELECT x.ancestor_id FROM org_ancestors x WHERE x.org_id = r.org_id OFFSET 0) a
        WHERE r.join_date <> ''
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (org_id, month) DO UPDATE SET joined = org_subtree_months.joined + EXCLUDED.joined;
    RETURN NULL;
END
$$;
CREATE TRIGGER members_subtree_uncounted AFTER DELETE ON members
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION members_subtree_deleted();

-- An update of anything counted: the old rows' parts out, the new rows' in.
CREATE FUNCTION members_subtree_updated() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    INSERT INTO org_subtree_figures (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
        SELECT a.ancestor_id, SUM(f.n), SUM(f.on_roll), SUM(f.skill_5), SUM(f.skill_4), SUM(f.skill_3),
            SUM(f.skill_2), SUM(f.skill_1), SUM(f.migrant_n), SUM(f.hardship_n)
        FROM (
            SELECT -1 AS sign, o.org_id, o.status, o.skill_level, o.is_migrant_worker, o.is_hardship
                FROM old_rows o JOIN new_rows w ON w.id = o.id
                WHERE (o.org_id, o.status, o.skill_level, o.is_migrant_worker, o.is_hardship)
                    IS DISTINCT FROM (w.org_id, w.status, w.skill_level, w.is_migrant_worker, w.is_hardship)
            UNION ALL
            SELECT 1, w.org_id, w.status, w.skill_level, w.is_migrant_worker, w.is_hardship
                FROM old_rows o JOIN new_rows w ON w.id = o.id
                WHERE (o.org_id, o.status, o.skill_level, o.is_migrant_worker, o.is_hardship)
                    IS DISTINCT FROM (w.org_id, w.status, w.skill_level, w.is_migrant_worker, w.is_hardship)
        ) r CROSS JOIN LATERAL (SELECT x.ancestor_id FROM org_ancestors x WHERE x.org_id = r.org_id OFFSET 0) a,
            member_figures(r.sign, r.status, r.skill_level, r.is_migrant_worker, r.is_hardship) f
        GROUP BY a.ancestor_id ORDER BY a.ancestor_id
        ON CONFLICT (org_id) DO UPDATE SET
            n = org_subtree_figures.n + EXCLUDED.n,
            on_roll = org_subtree_figures.on_roll + EXCLUDED.on_roll,
            skill_5 = org_subtree_figures.skill_5 + EXCLUDED.skill_5,
            skill_4 = org_subtree_figures.skill_4 + EXCLUDED.skill_4,
            skill_3 = org_subtree_figures.skill_3 + EXCLUDED.skill_3,
            skill_2 = org_subtree_figures.skill_2 + EXCLUDED.skill_2,
            skill_1 = org_subtree_figures.skill_1 + EXCLUDED.skill_1,
            migrant = org_subtree_figures.migrant + EXCLUDED.migrant,
            hardship = org_subtree_figures.hardship + EXCLUDED.hardship;
    INSERT INTO org_subtree_months (org_id, month, joined)
        SELECT a.ancestor_id, substr(r.join_date, 1, 7), SUM(r.sign)
        FROM (
            SELECT -1 AS sign, o.org_id, o.join_date FROM old_rows o JOIN new_rows w ON w.id = o.id
                WHERE (o.org_id, o.join_date) IS DISTINCT FROM (w.org_id, w.join_date)
            UNION ALL
            SELECT 1, w.org_id, w.join_date FROM old_rows o JOIN new_rows w ON w.id = o.id
                WHERE (o.org_id, o.join_date) IS DISTINCT FROM (w.org_id, w.join_date)
        ) r
        CROSS JOIN LATERAL (SELECT x.ancestor_id FROM org_ancestors x WHERE x.org_id = r.org_id OFFSET 0) a
        WHERE r.join_date <> ''
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (org_id, month) DO UPDATE SET joined = org_subtree_months.joined + EXCLUDED.joined;
    RETURN NULL;
END
$$;
CREATE TRIGGER members_subtree_recounted AFTER UPDATE ON members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION members_subtree_updated();

-- A transfer counts into every subtree it enters and out of every one it leaves.
CREATE FUNCTION member_transfers_cross() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t member_transfers;
    sign INTEGER;
BEGIN
    IF TG_OP = 'INSERT' THEN t := NEW; sign := 1; ELSE t := OLD; sign := -1; END IF;
    INSERT INTO org_subtree_months (org_id, month, transferred_in)
        SELECT ancestor_id, month_of_ms(t.at), sign FROM org_ancestors
        WHERE org_id = t.to_org_id
            AND ancestor_id NOT IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = t.from_org_id)
        ORDER BY 1
        ON CONFLICT (org_id, month) DO UPDATE SET
            transferred_in = org_subtree_months.transferred_in + EXCLUDED.transferred_in;
    INSERT INTO org_subtree_months (org_id, month, transferred_out)
        SELECT ancestor_id, month_of_ms(t.at), sign FROM org_ancestors
        WHERE org_id = t.from_org_id
            AND ancestor_id NOT IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = t.to_org_id)
        ORDER BY 1
        ON CONFLICT (org_id, month) DO UPDATE SET
            transferred_out = org_subtree_months.transferred_out + EXCLUDED.transferred_out;
    RETURN NULL;
END
$$;
CREATE TRIGGER member_transfers_crossed AFTER INSERT OR DELETE ON member_transfers
    FOR EACH ROW EXECUTE FUNCTION member_transfers_cross();
