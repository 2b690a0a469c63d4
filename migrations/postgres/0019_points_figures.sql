-- The points on the dashboard (issue 12), kept per subtree like the member
-- figures of 0018, by triggers in the same transaction as every write:
-- points earned (what the unions paid out, refunds aside) and redeemed (net of
-- refunds) by the month of the entry at the union that wrote it, and the
-- balances outstanding at each member's union of today.
ALTER TABLE org_subtree_figures ADD COLUMN points_outstanding BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_subtree_months
    ADD COLUMN points_earned BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN points_redeemed BIGINT NOT NULL DEFAULT 0;

UPDATE org_subtree_figures s SET points_outstanding = t.total
FROM (SELECT a.ancestor_id, SUM(b.balance) AS total FROM point_balances b JOIN members m ON m.id = b.member_id
      JOIN org_ancestors a ON a.org_id = m.org_id GROUP BY a.ancestor_id) t
WHERE s.org_id = t.ancestor_id;

INSERT INTO org_subtree_months (org_id, month, points_earned, points_redeemed)
    SELECT a.ancestor_id, month_of_ms(e.created_at),
        SUM(CASE WHEN e.amount > 0 AND e.source <> 'refund' THEN e.amount ELSE 0 END),
        SUM(CASE WHEN e.source IN ('redeem', 'refund') THEN -e.amount ELSE 0 END)
    FROM point_entries e JOIN org_ancestors a ON a.org_id = e.org_id
    GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET
        points_earned = EXCLUDED.points_earned, points_redeemed = EXCLUDED.points_redeemed;

CREATE FUNCTION point_entries_figure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_subtree_months (org_id, month, points_earned, points_redeemed)
        SELECT ancestor_id, month_of_ms(NEW.created_at),
            CASE WHEN NEW.amount > 0 AND NEW.source <> 'refund' THEN NEW.amount ELSE 0 END,
            CASE WHEN NEW.source IN ('redeem', 'refund') THEN -NEW.amount ELSE 0 END
        FROM org_ancestors WHERE org_id = NEW.org_id
        ORDER BY 1
        ON CONFLICT (org_id, month) DO UPDATE SET
            points_earned = org_subtree_months.points_earned + EXCLUDED.points_earned,
            points_redeemed = org_subtree_months.points_redeemed + EXCLUDED.points_redeemed;
    RETURN NULL;
END
$$;
CREATE TRIGGER point_entries_figured AFTER INSERT ON point_entries
    FOR EACH ROW WHEN ((NEW.amount > 0 AND NEW.source <> 'refund') OR NEW.source IN ('redeem', 'refund'))
    EXECUTE FUNCTION point_entries_figure();

-- `delta` points more (or fewer) outstanding at the member's union and every one above it.
CREATE FUNCTION points_outstanding_add(member BIGINT, delta BIGINT) RETURNS void LANGUAGE sql AS $$
    UPDATE org_subtree_figures SET points_outstanding = points_outstanding + delta
    WHERE org_id IN (SELECT a.ancestor_id FROM org_ancestors a JOIN members m ON m.org_id = a.org_id
                     WHERE m.id = member)
$$;

CREATE FUNCTION point_balances_figure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM points_outstanding_add(NEW.member_id, NEW.balance);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM points_outstanding_add(NEW.member_id, NEW.balance - OLD.balance);
    ELSE
        PERFORM points_outstanding_add(OLD.member_id, -OLD.balance);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER point_balances_figured AFTER INSERT OR UPDATE OF balance OR DELETE ON point_balances
    FOR EACH ROW EXECUTE FUNCTION point_balances_figure();

-- A member's balance goes with them to their new union.
CREATE FUNCTION members_points_move() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    held BIGINT := COALESCE((SELECT balance FROM point_balances WHERE member_id = NEW.id), 0);
BEGIN
    IF held <> 0 THEN
        UPDATE org_subtree_figures SET points_outstanding = points_outstanding - held
        WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.org_id);
        UPDATE org_subtree_figures SET points_outstanding = points_outstanding + held
        WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER members_points_moved AFTER UPDATE OF org_id ON members
    FOR EACH ROW WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id)
    EXECUTE FUNCTION members_points_move();
