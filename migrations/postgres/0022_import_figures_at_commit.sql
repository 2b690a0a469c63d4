-- A large import adds its members' parts to the kept figures once, just
-- before it commits, instead of through the insert triggers of every batch
-- (issues 11 and 12). Batch by batch, each statement upserted its unions'
-- counts and every ancestor's subtree totals, ~5 rows in three tables, so a
-- 100,000-row import took 5.5 times a COPY of the same rows; and the root's
-- totals stayed locked from the first batch to the commit, so every other
-- writer of members in the province waited for the whole import.
--
-- The import sets `gongjiang.defer_member_figures` for its own transaction
-- (set_config(…, true): gone at commit or rollback, never seen by another
-- connection), and before committing puts the rows it added into the
-- temporary table `member_parts` and calls `member_parts_add()`. Only the
-- insert triggers defer: the import's updates and everything else count at once.

CREATE OR REPLACE FUNCTION members_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('gongjiang.defer_member_figures', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO org_member_counts (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
        SELECT r.org_id, SUM(f.n), SUM(f.on_roll), SUM(f.skill_5), SUM(f.skill_4), SUM(f.skill_3),
            SUM(f.skill_2), SUM(f.skill_1), SUM(f.migrant_n), SUM(f.hardship_n)
        FROM new_rows r, member_figures(1, r.status, r.skill_level, r.is_migrant_worker, r.is_hardship) f
        GROUP BY r.org_id ORDER BY r.org_id
        ON CONFLICT (org_id) DO UPDATE SET
            n = org_member_counts.n + EXCLUDED.n,
            on_roll = org_member_counts.on_roll + EXCLUDED.on_roll,
            skill_5 = org_member_counts.skill_5 + EXCLUDED.skill_5,
            skill_4 = org_member_counts.skill_4 + EXCLUDED.skill_4,
            skill_3 = org_member_counts.skill_3 + EXCLUDED.skill_3,
            skill_2 = org_member_counts.skill_2 + EXCLUDED.skill_2,
            skill_1 = org_member_counts.skill_1 + EXCLUDED.skill_1,
            migrant = org_member_counts.migrant + EXCLUDED.migrant,
            hardship = org_member_counts.hardship + EXCLUDED.hardship;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION members_subtree_inserted() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    IF current_setting('gongjiang.defer_member_figures', true) = 'on' THEN
        RETURN NULL;
    END IF;
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
        SELECT a.ancestor_id, substr(r.join_date, 1, 7), COUNT(*)
        FROM new_rows r
        CROSS JOIN LATERAL (SELECT x.ancestor_id FROM org_ancestors x WHERE x.org_id = r.org_id OFFSET 0) a
        WHERE r.join_date <> ''
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (org_id, month) DO UPDATE SET joined = org_subtree_months.joined + EXCLUDED.joined;
    RETURN NULL;
END
$$;

-- The deferred part: the same three upserts as the two insert triggers above,
-- over `member_parts` (org_id, status, skill_level, is_migrant_worker,
-- is_hardship, join_date), the rows an import added. A function cannot be
-- handed a trigger's transition table, hence the second copy. Each upsert is
-- one statement in id order, so it locks its rows in the order every other
-- writer does, and only from here to the commit.
CREATE FUNCTION member_parts_add() RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    INSERT INTO org_member_counts (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
        SELECT r.org_id, SUM(f.n), SUM(f.on_roll), SUM(f.skill_5), SUM(f.skill_4), SUM(f.skill_3),
            SUM(f.skill_2), SUM(f.skill_1), SUM(f.migrant_n), SUM(f.hardship_n)
        FROM member_parts r, member_figures(1, r.status, r.skill_level, r.is_migrant_worker, r.is_hardship) f
        GROUP BY r.org_id ORDER BY r.org_id
        ON CONFLICT (org_id) DO UPDATE SET
            n = org_member_counts.n + EXCLUDED.n,
            on_roll = org_member_counts.on_roll + EXCLUDED.on_roll,
            skill_5 = org_member_counts.skill_5 + EXCLUDED.skill_5,
            skill_4 = org_member_counts.skill_4 + EXCLUDED.skill_4,
            skill_3 = org_member_counts.skill_3 + EXCLUDED.skill_3,
            skill_2 = org_member_counts.skill_2 + EXCLUDED.skill_2,
            skill_1 = org_member_counts.skill_1 + EXCLUDED.skill_1,
            migrant = org_member_counts.migrant + EXCLUDED.migrant,
            hardship = org_member_counts.hardship + EXCLUDED.hardship;
    -- Grouped by union first (tens of thousands of unions, not a million
    -- rows, meet the closure table).
    INSERT INTO org_subtree_figures (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
        SELECT a.ancestor_id, SUM(c.n), SUM(c.on_roll), SUM(c.skill_5), SUM(c.skill_4), SUM(c.skill_3),
            SUM(c.skill_2), SUM(c.skill_1), SUM(c.migrant_n), SUM(c.hardship_n)
        FROM (
            SELECT r.org_id, SUM(f.n) AS n, SUM(f.on_roll) AS on_roll, SUM(f.skill_5) AS skill_5,
                SUM(f.skill_4) AS skill_4, SUM(f.skill_3) AS skill_3, SUM(f.skill_2) AS skill_2,
                SUM(f.skill_1) AS skill_1, SUM(f.migrant_n) AS migrant_n, SUM(f.hardship_n) AS hardship_n
            FROM member_parts r, member_figures(1, r.status, r.skill_level, r.is_migrant_worker, r.is_hardship) f
            GROUP BY r.org_id
        ) c JOIN org_ancestors a ON a.org_id = c.org_id
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
        SELECT a.ancestor_id, c.month, SUM(c.n)
        FROM (
            SELECT org_id, substr(join_date, 1, 7) AS month, COUNT(*) AS n
            FROM member_parts WHERE join_date <> '' GROUP BY 1, 2
        ) c JOIN org_ancestors a ON a.org_id = c.org_id
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (org_id, month) DO UPDATE SET joined = org_subtree_months.joined + EXCLUDED.joined;
END
$$;
