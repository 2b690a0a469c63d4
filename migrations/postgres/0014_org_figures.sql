-- The dashboard's member figures (issue 12), kept beside each organisation's
-- member count by the same statement triggers, in the same transaction as
-- every write that changes them: a subtree's figures are a sum over its
-- organisations, so the dashboard of a million members answers at once.
-- Every figure but `n` counts members on the roll (在册) only. Skill levels
-- by their national numbers: skill_5 五级/初级工 … skill_1 一级/高级技师.
ALTER TABLE org_member_counts
    ADD COLUMN on_roll BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN skill_5 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN skill_4 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN skill_3 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN skill_2 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN skill_1 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN migrant BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN hardship BIGINT NOT NULL DEFAULT 0;

-- One member's part of its organisation's figures, times `dir` (+1 in, −1 out).
CREATE FUNCTION member_figures(dir INTEGER, status TEXT, skill_level TEXT, migrant INTEGER, hardship INTEGER,
    OUT n BIGINT, OUT on_roll BIGINT, OUT skill_5 BIGINT, OUT skill_4 BIGINT, OUT skill_3 BIGINT,
    OUT skill_2 BIGINT, OUT skill_1 BIGINT, OUT migrant_n BIGINT, OUT hardship_n BIGINT)
LANGUAGE sql IMMUTABLE AS $$
    SELECT dir::BIGINT,
        dir * (status = '在册')::INT,
        dir * (status = '在册' AND skill_level = '初级工')::INT,
        dir * (status = '在册' AND skill_level = '中级工')::INT,
        dir * (status = '在册' AND skill_level = '高级工')::INT,
        dir * (status = '在册' AND skill_level = '技师')::INT,
        dir * (status = '在册' AND skill_level = '高级技师')::INT,
        dir * (status = '在册' AND migrant <> 0)::INT,
        dir * (status = '在册' AND hardship <> 0)::INT
$$;

DELETE FROM org_member_counts;
INSERT INTO org_member_counts (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
    SELECT m.org_id, SUM(f.n), SUM(f.on_roll), SUM(f.skill_5), SUM(f.skill_4), SUM(f.skill_3),
        SUM(f.skill_2), SUM(f.skill_1), SUM(f.migrant_n), SUM(f.hardship_n)
    FROM members m, member_figures(1, m.status, m.skill_level, m.is_migrant_worker, m.is_hardship) f
    GROUP BY m.org_id;

CREATE OR REPLACE FUNCTION members_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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

CREATE OR REPLACE FUNCTION members_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_member_counts (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
        SELECT r.org_id, SUM(f.n), SUM(f.on_roll), SUM(f.skill_5), SUM(f.skill_4), SUM(f.skill_3),
            SUM(f.skill_2), SUM(f.skill_1), SUM(f.migrant_n), SUM(f.hardship_n)
        FROM old_rows r, member_figures(-1, r.status, r.skill_level, r.is_migrant_worker, r.is_hardship) f
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

-- An update of anything counted: the old rows' parts out, the new rows' in.
CREATE OR REPLACE FUNCTION members_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_member_counts (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
        SELECT c.org_id, SUM(f.n), SUM(f.on_roll), SUM(f.skill_5), SUM(f.skill_4), SUM(f.skill_3),
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
        ) c, member_figures(c.sign, c.status, c.skill_level, c.is_migrant_worker, c.is_hardship) f
        GROUP BY c.org_id ORDER BY c.org_id
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

-- Joins in a period within a subtree: one range of join dates, the path read
-- from the index.
CREATE INDEX members_joined ON members(join_date, org_path);
