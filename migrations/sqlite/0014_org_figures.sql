-- The dashboard's member figures (issue 12), kept beside each organisation's
-- member count by the same triggers, in the same transaction as every write
-- that changes them: a subtree's figures are a sum over its organisations,
-- so the dashboard of a million members answers at once. Every figure but
-- `n` counts members on the roll (在册) only. Skill levels by their national
-- numbers: skill_5 五级/初级工 … skill_1 一级/高级技师.
ALTER TABLE org_member_counts ADD COLUMN on_roll INTEGER NOT NULL DEFAULT 0;
ALTER TABLE org_member_counts ADD COLUMN skill_5 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE org_member_counts ADD COLUMN skill_4 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE org_member_counts ADD COLUMN skill_3 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE org_member_counts ADD COLUMN skill_2 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE org_member_counts ADD COLUMN skill_1 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE org_member_counts ADD COLUMN migrant INTEGER NOT NULL DEFAULT 0;
ALTER TABLE org_member_counts ADD COLUMN hardship INTEGER NOT NULL DEFAULT 0;

DELETE FROM org_member_counts;
INSERT INTO org_member_counts (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
    SELECT org_id, COUNT(*),
        SUM(status = '在册'),
        SUM(status = '在册' AND skill_level = '初级工'),
        SUM(status = '在册' AND skill_level = '中级工'),
        SUM(status = '在册' AND skill_level = '高级工'),
        SUM(status = '在册' AND skill_level = '技师'),
        SUM(status = '在册' AND skill_level = '高级技师'),
        SUM(status = '在册' AND is_migrant_worker <> 0),
        SUM(status = '在册' AND is_hardship <> 0)
    FROM members GROUP BY org_id;

DROP TRIGGER members_counted;
DROP TRIGGER members_uncounted;
DROP TRIGGER members_recounted;

CREATE TRIGGER members_counted AFTER INSERT ON members BEGIN
    INSERT INTO org_member_counts (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
    VALUES (NEW.org_id, 1,
        NEW.status = '在册',
        NEW.status = '在册' AND NEW.skill_level = '初级工',
        NEW.status = '在册' AND NEW.skill_level = '中级工',
        NEW.status = '在册' AND NEW.skill_level = '高级工',
        NEW.status = '在册' AND NEW.skill_level = '技师',
        NEW.status = '在册' AND NEW.skill_level = '高级技师',
        NEW.status = '在册' AND NEW.is_migrant_worker <> 0,
        NEW.status = '在册' AND NEW.is_hardship <> 0)
    ON CONFLICT (org_id) DO UPDATE SET
        n = n + 1,
        on_roll = on_roll + excluded.on_roll,
        skill_5 = skill_5 + excluded.skill_5,
        skill_4 = skill_4 + excluded.skill_4,
        skill_3 = skill_3 + excluded.skill_3,
        skill_2 = skill_2 + excluded.skill_2,
        skill_1 = skill_1 + excluded.skill_1,
        migrant = migrant + excluded.migrant,
        hardship = hardship + excluded.hardship;
END;

CREATE TRIGGER members_uncounted AFTER DELETE ON members BEGIN
    UPDATE org_member_counts SET
        n = n - 1,
        on_roll = on_roll - (OLD.status = '在册'),
        skill_5 = skill_5 - (OLD.status = '在册' AND OLD.skill_level = '初级工'),
        skill_4 = skill_4 - (OLD.status = '在册' AND OLD.skill_level = '中级工'),
        skill_3 = skill_3 - (OLD.status = '在册' AND OLD.skill_level = '高级工'),
        skill_2 = skill_2 - (OLD.status = '在册' AND OLD.skill_level = '技师'),
        skill_1 = skill_1 - (OLD.status = '在册' AND OLD.skill_level = '高级技师'),
        migrant = migrant - (OLD.status = '在册' AND OLD.is_migrant_worker <> 0),
        hardship = hardship - (OLD.status = '在册' AND OLD.is_hardship <> 0)
    WHERE org_id = OLD.org_id;
END;

-- A change of anything counted: the old row's part out, the new row's in.
CREATE TRIGGER members_recounted
    AFTER UPDATE OF org_id, status, skill_level, is_migrant_worker, is_hardship ON members
    WHEN OLD.org_id <> NEW.org_id OR OLD.status <> NEW.status OR OLD.skill_level <> NEW.skill_level
        OR OLD.is_migrant_worker <> NEW.is_migrant_worker OR OLD.is_hardship <> NEW.is_hardship
BEGIN
    UPDATE org_member_counts SET
        n = n - 1,
        on_roll = on_roll - (OLD.status = '在册'),
        skill_5 = skill_5 - (OLD.status = '在册' AND OLD.skill_level = '初级工'),
        skill_4 = skill_4 - (OLD.status = '在册' AND OLD.skill_level = '中级工'),
        skill_3 = skill_3 - (OLD.status = '在册' AND OLD.skill_level = '高级工'),
        skill_2 = skill_2 - (OLD.status = '在册' AND OLD.skill_level = '技师'),
        skill_1 = skill_1 - (OLD.status = '在册' AND OLD.skill_level = '高级技师'),
        migrant = migrant - (OLD.status = '在册' AND OLD.is_migrant_worker <> 0),
        hardship = hardship - (OLD.status = '在册' AND OLD.is_hardship <> 0)
    WHERE org_id = OLD.org_id;
    INSERT INTO org_member_counts (org_id, n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship)
    VALUES (NEW.org_id, 1,
        NEW.status = '在册',
        NEW.status = '在册' AND NEW.skill_level = '初级工',
        NEW.status = '在册' AND NEW.skill_level = '中级工',
        NEW.status = '在册' AND NEW.skill_level = '高级工',
        NEW.status = '在册' AND NEW.skill_level = '技师',
        NEW.status = '在册' AND NEW.skill_level = '高级技师',
        NEW.status = '在册' AND NEW.is_migrant_worker <> 0,
        NEW.status = '在册' AND NEW.is_hardship <> 0)
    ON CONFLICT (org_id) DO UPDATE SET
        n = n + 1,
        on_roll = on_roll + excluded.on_roll,
        skill_5 = skill_5 + excluded.skill_5,
        skill_4 = skill_4 + excluded.skill_4,
        skill_3 = skill_3 + excluded.skill_3,
        skill_2 = skill_2 + excluded.skill_2,
        skill_1 = skill_1 + excluded.skill_1,
        migrant = migrant + excluded.migrant,
        hardship = hardship + excluded.hardship;
END;

-- Joins in a period within a subtree: one range of join dates, the path read
-- from the index.
CREATE INDEX members_joined ON members(join_date, org_path);
