-- Unions and enterprises per subtree (issue 12), kept beside the member
-- figures of 0018 by triggers, so the dashboard of the root counts neither
-- the 33,000 unions nor the enterprises below it on every view.
ALTER TABLE org_subtree_figures ADD COLUMN orgs BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_subtree_figures ADD COLUMN enterprises BIGINT NOT NULL DEFAULT 0;

UPDATE org_subtree_figures SET
    orgs = (SELECT COUNT(*) FROM org_ancestors a WHERE a.ancestor_id = org_subtree_figures.org_id),
    enterprises = (SELECT COUNT(*) FROM enterprises e JOIN org_ancestors a ON a.org_id = e.org_id
                   WHERE a.ancestor_id = org_subtree_figures.org_id);

-- A new organisation: its ancestors, its empty total, and one more union in every subtree it joins.
DROP TRIGGER orgs_placed;
CREATE TRIGGER orgs_placed AFTER INSERT ON orgs BEGIN
    INSERT INTO org_ancestors (org_id, ancestor_id)
        SELECT NEW.id, ancestor_id FROM org_ancestors WHERE org_id = NEW.parent_id
        UNION ALL SELECT NEW.id, NEW.id;
    INSERT INTO org_subtree_figures (org_id) VALUES (NEW.id);
    UPDATE org_subtree_figures SET orgs = orgs + 1
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.id);
END;

CREATE TRIGGER enterprises_counted AFTER INSERT ON enterprises BEGIN
    UPDATE org_subtree_figures SET enterprises = enterprises + 1
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
END;

CREATE TRIGGER enterprises_uncounted AFTER DELETE ON enterprises BEGIN
    UPDATE org_subtree_figures SET enterprises = enterprises - 1
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.org_id);
END;

CREATE TRIGGER enterprises_moved AFTER UPDATE OF org_id ON enterprises
    WHEN OLD.org_id <> NEW.org_id
BEGIN
    UPDATE org_subtree_figures SET enterprises = enterprises - 1
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.org_id);
    UPDATE org_subtree_figures SET enterprises = enterprises + 1
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
END;
