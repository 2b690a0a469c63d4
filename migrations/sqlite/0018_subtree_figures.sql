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
    SELECT a.ancestor_id, strftime('%Y-%m', t.at / 1000 + 28800, 'unixepoch'), COUNT(*)
    FROM member_transfers t JOIN org_ancestors a ON a.org_id = t.to_org_id
    WHERE a.ancestor_id NOT IN (SELECT f.ancestor_id FROM org_ancestors f WHERE f.org_id = t.from_org_id)
    GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET transferred_in = excluded.transferred_in;
INSERT INTO org_subtree_months (org_id, month, transferred_out)
    SELECT a.ancestor_id, strftime('%Y-%m', t.at / 1000 + 28800, 'unixepoch'), COUNT(*)
    FROM member_transfers t JOIN org_ancestors a ON a.org_id = t.from_org_id
    WHERE a.ancestor_id NOT IN (SELECT d.ancestor_id FROM org_ancestors d WHERE d.org_id = t.to_org_id)
    GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET transferred_out = excluded.transferred_out;

-- A new organisation: its parent's ancestors and itself, and an empty total.
-- (A move is kept by the organisation store, in the move's transaction.)
CREATE TRIGGER orgs_placed AFTER INSERT ON orgs BEGIN
    INSERT INTO org_ancestors (org_id, ancestor_id)
        SELECT NEW.id, ancestor_id FROM org_ancestors WHERE org_id = NEW.parent_id
        UNION ALL SELECT NEW.id, NEW.id;
    INSERT INTO org_subtree_figures (org_id) VALUES (NEW.id);
END;

CREATE TRIGGER members_subtree_counted AFTER INSERT ON members BEGIN
    UPDATE org_subtree_figures SET
        n = n + 1,
        on_roll = on_roll + (NEW.status = '在册'),
        skill_5 = skill_5 + (NEW.status = '在册' AND NEW.skill_level = '初级工'),
        skill_4 = skill_4 + (NEW.status = '在册' AND NEW.skill_level = '中级工'),
        skill_3 = skill_3 + (NEW.status = '在册' AND NEW.skill_level = '高级工'),
        skill_2 = skill_2 + (NEW.status = '在册' AND NEW.skill_level = '技师'),
        skill_1 = skill_1 + (NEW.status = '在册' AND NEW.skill_level = '高级技师'),
        migrant = migrant + (NEW.status = '在册' AND NEW.is_migrant_worker <> 0),
        hardship = hardship + (NEW.status = '在册' AND NEW.is_hardship <> 0)
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
    INSERT INTO org_subtree_months (org_id, month, joined)
        SELECT ancestor_id, substr(NEW.join_date, 1, 7), 1 FROM org_ancestors
        WHERE org_id = NEW.org_id AND NEW.join_date <> ''
        ON CONFLICT (org_id, month) DO UPDATE SET joined = joined + 1;
END;

CREATE TRIGGER members_subtree_uncounted AFTER DELETE ON members BEGIN
    UPDATE org_subtree_figures SET
        n = n - 1,
        on_roll = on_roll - (OLD.status = '在册'),
        skill_5 = skill_5 - (OLD.status = '在册' AND OLD.skill_level = '初级工'),
        skill_4 = skill_4 - (OLD.status = '在册' AND OLD.skill_level = '中级工'),
        skill_3 = skill_3 - (OLD.status = '在册' AND OLD.skill_level = '高级工'),
        skill_2 = skill_2 - (OLD.status = '在册' AND OLD.skill_level = '技师'),
        skill_1 = skill_1 - (OLD.status = '在册' AND OLD.skill_level = '高级技师'),
        migrant = migrant - (OLD.status = '在册' AND OLD.is_migrant_worker <> 0),
        hardship = hardship - (OLD.status = '在册' AND OLD.is_hardship <> 0)
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.org_id);
    UPDATE org_subtree_months SET joined = joined - 1
    WHERE OLD.join_date <> '' AND month = substr(OLD.join_date, 1, 7)
        AND org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.org_id);
END;

-- A change of anything counted: the old row's part out of its ancestors, the new row's in.
CREATE TRIGGER members_subtree_recounted
    AFTER UPDATE OF org_id, status, skill_level, is_migrant_worker, is_hardship ON members
    WHEN OLD.org_id <> NEW.org_id OR OLD.status <> NEW.status OR OLD.skill_level <> NEW.skill_level
        OR OLD.is_migrant_worker <> NEW.is_migrant_worker OR OLD.is_hardship <> NEW.is_hardship
BEGIN
    UPDATE org_subtree_figures SET
        n = n - 1,
        on_roll = on_roll - (OLD.status = '在册'),
        skill_5 = skill_5 - (OLD.status = '在册' AND OLD.skill_level = '初级工'),
        skill_4 = skill_4 - (OLD.status = '在册' AND OLD.skill_level = '中级工'),
        skill_3 = skill_3 - (OLD.status = '在册' AND OLD.skill_level = '高级工'),
        skill_2 = skill_2 - (OLD.status = '在册' AND OLD.skill_level = '技师'),
        skill_1 = skill_1 - (OLD.status = '在册' AND OLD.skill_level = '高级技师'),
        migrant = migrant - (OLD.status = '在册' AND OLD.is_migrant_worker <> 0),
        hardship = hardship - (OLD.status = '在册' AND OLD.is_hardship <> 0)
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.org_id);
    UPDATE org_subtree_figures SET
        n = n + 1,
        on_roll = on_roll + (NEW.status = '在册'),
        skill_5 = skill_5 + (NEW.status = '在册' AND NEW.skill_level = '初级工'),
        skill_4 = skill_4 + (NEW.status = '在册' AND NEW.skill_level = '中级工'),
        skill_3 = skill_3 + (NEW.status = '在册' AND NEW.skill_level = '高级工'),
        skill_2 = skill_2 + (NEW.status = '在册' AND NEW.skill_level = '技师'),
        skill_1 = skill_1 + (NEW.status = '在册' AND NEW.skill_level = '高级技师'),
        migrant = migrant + (NEW.status = '在册' AND NEW.is_migrant_worker <> 0),
        hardship = hardship + (NEW.status = '在册' AND NEW.is_hardship <> 0)
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
END;

CREATE TRIGGER members_subtree_rejoined
    AFTER UPDATE OF org_id, join_date ON members
    WHEN OLD.org_id <> NEW.org_id OR OLD.join_date <> NEW.join_date
BEGIN
    UPDATE org_subtree_months SET joined = joined - 1
    WHERE OLD.join_date <> '' AND month = substr(OLD.join_date, 1, 7)
        AND org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.org_id);
    INSERT INTO org_subtree_months (org_id, month, joined)
        SELECT ancestor_id, substr(NEW.join_date, 1, 7), 1 FROM org_ancestors
        WHERE org_id = NEW.org_id AND NEW.join_date <> ''
        ON CONFLICT (org_id, month) DO UPDATE SET joined = joined + 1;
END;

-- A transfer counts into every subtree it enters and out of every one it leaves.
CREATE TRIGGER member_transfers_crossed AFTER INSERT ON member_transfers BEGIN
    INSERT INTO org_subtree_months (org_id, month, transferred_in)
        SELECT ancestor_id, strftime('%Y-%m', NEW.at / 1000 + 28800, 'unixepoch'), 1 FROM org_ancestors
        WHERE org_id = NEW.to_org_id
            AND ancestor_id NOT IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.from_org_id)
        ON CONFLICT (org_id, month) DO UPDATE SET transferred_in = transferred_in + 1;
    INSERT INTO org_subtree_months (org_id, month, transferred_out)
        SELECT ancestor_id, strftime('%Y-%m', NEW.at / 1000 + 28800, 'unixepoch'), 1 FROM org_ancestors
        WHERE org_id = NEW.from_org_id
            AND ancestor_id NOT IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.to_org_id)
        ON CONFLICT (org_id, month) DO UPDATE SET transferred_out = transferred_out + 1;
END;

CREATE TRIGGER member_transfers_uncrossed AFTER DELETE ON member_transfers BEGIN
    UPDATE org_subtree_months SET transferred_in = transferred_in - 1
    WHERE month = strftime('%Y-%m', OLD.at / 1000 + 28800, 'unixepoch')
        AND org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.to_org_id)
        AND org_id NOT IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.from_org_id);
    UPDATE org_subtree_months SET transferred_out = transferred_out - 1
    WHERE month = strftime('%Y-%m', OLD.at / 1000 + 28800, 'unixepoch')
        AND org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.from_org_id)
        AND org_id NOT IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.to_org_id);
END;
