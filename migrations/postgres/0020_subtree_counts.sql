-- Unions and enterprises per subtree (issue 12), kept beside the member
-- figures of 0018 by triggers, so the dashboard of the root counts neither
-- the 33,000 unions nor the enterprises below it on every view.
ALTER TABLE org_subtree_figures
    ADD COLUMN orgs BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN enterprises BIGINT NOT NULL DEFAULT 0;

UPDATE org_subtree_figures s SET orgs = t.n
FROM (SELECT ancestor_id, COUNT(*) AS n FROM org_ancestors GROUP BY ancestor_id) t
WHERE s.org_id = t.ancestor_id;
UPDATE org_subtree_figures s SET enterprises = t.n
FROM (SELECT a.ancestor_id, COUNT(*) AS n FROM enterprises e JOIN org_ancestors a ON a.org_id = e.org_id
      GROUP BY a.ancestor_id) t
WHERE s.org_id = t.ancestor_id;

-- A new organisation: its ancestors, its empty total, and one more union in every subtree it joins.
CREATE OR REPLACE FUNCTION orgs_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_ancestors (org_id, ancestor_id)
        SELECT NEW.id, ancestor_id FROM org_ancestors WHERE org_id = NEW.parent_id
        UNION ALL SELECT NEW.id, NEW.id;
    INSERT INTO org_subtree_figures (org_id) VALUES (NEW.id);
    UPDATE org_subtree_figures SET orgs = orgs + 1
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.id);
    RETURN NULL;
END
$$;

-- `delta` enterprises more (or fewer) in the subtrees of `org` and every union above it.
CREATE FUNCTION enterprises_add(org BIGINT, delta BIGINT) RETURNS void LANGUAGE sql AS $$
    UPDATE org_subtree_figures SET enterprises = enterprises + delta
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = org)
$$;

CREATE FUNCTION enterprises_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM enterprises_add(OLD.org_id, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM enterprises_add(NEW.org_id, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER enterprises_counted AFTER INSERT OR DELETE ON enterprises
    FOR EACH ROW EXECUTE FUNCTION enterprises_count();
CREATE TRIGGER enterprises_moved AFTER UPDATE OF org_id ON enterprises
    FOR EACH ROW WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id) EXECUTE FUNCTION enterprises_count();
