-- The points on the dashboard (issue 12), kept per subtree like the member
-- figures of 0018, by triggers in the same transaction as every write:
-- points earned (what the unions paid out, refunds aside) and redeemed (net of
-- refunds) by the month of the entry at the union that wrote it, and the
-- balances outstanding at each member's union of today.
ALTER TABLE org_subtree_figures ADD COLUMN points_outstanding BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_subtree_months ADD COLUMN points_earned BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_subtree_months ADD COLUMN points_redeemed BIGINT NOT NULL DEFAULT 0;

UPDATE org_subtree_figures SET points_outstanding = COALESCE((
    SELECT SUM(b.balance) FROM point_balances b JOIN members m ON m.id = b.member_id
    JOIN org_ancestors a ON a.org_id = m.org_id WHERE a.ancestor_id = org_subtree_figures.org_id), 0);

INSERT INTO org_subtree_months (org_id, month, points_earned, points_redeemed)
    SELECT a.ancestor_id, strftime('%Y-%m', e.created_at / 1000 + 28800, 'unixepoch'),
        SUM(CASE WHEN e.amount > 0 AND e.source <> 'refund' THEN e.amount ELSE 0 END),
        SUM(CASE WHEN e.source IN ('redeem', 'refund') THEN -e.amount ELSE 0 END)
    FROM point_entries e JOIN org_ancestors a ON a.org_id = e.org_id
    WHERE true
    GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET
        points_earned = excluded.points_earned, points_redeemed = excluded.points_redeemed;

CREATE TRIGGER point_entries_figured AFTER INSERT ON point_entries
    WHEN (NEW.amount > 0 AND NEW.source <> 'refund') OR NEW.source IN ('redeem', 'refund')
BEGIN
    INSERT INTO org_subtree_months (org_id, month, points_earned, points_redeemed)
        SELECT ancestor_id, strftime('%Y-%m', NEW.created_at / 1000 + 28800, 'unixepoch'),
            CASE WHEN NEW.amount > 0 AND NEW.source <> 'refund' THEN NEW.amount ELSE 0 END,
            CASE WHEN NEW.source IN ('redeem', 'refund') THEN -NEW.amount ELSE 0 END
        FROM org_ancestors WHERE org_id = NEW.org_id
        ON CONFLICT (org_id, month) DO UPDATE SET
            points_earned = points_earned + excluded.points_earned,
            points_redeemed = points_redeemed + excluded.points_redeemed;
END;

CREATE TRIGGER point_balances_opened AFTER INSERT ON point_balances BEGIN
    UPDATE org_subtree_figures SET points_outstanding = points_outstanding + NEW.balance
    WHERE org_id IN (SELECT a.ancestor_id FROM org_ancestors a JOIN members m ON m.org_id = a.org_id
                     WHERE m.id = NEW.member_id);
END;

CREATE TRIGGER point_balances_moved AFTER UPDATE OF balance ON point_balances
    WHEN OLD.balance <> NEW.balance
BEGIN
    UPDATE org_subtree_figures SET points_outstanding = points_outstanding + NEW.balance - OLD.balance
    WHERE org_id IN (SELECT a.ancestor_id FROM org_ancestors a JOIN members m ON m.org_id = a.org_id
                     WHERE m.id = NEW.member_id);
END;

CREATE TRIGGER point_balances_closed AFTER DELETE ON point_balances BEGIN
    UPDATE org_subtree_figures SET points_outstanding = points_outstanding - OLD.balance
    WHERE org_id IN (SELECT a.ancestor_id FROM org_ancestors a JOIN members m ON m.org_id = a.org_id
                     WHERE m.id = OLD.member_id);
END;

-- A member's balance goes with them to their new union.
CREATE TRIGGER members_points_moved AFTER UPDATE OF org_id ON members
    WHEN OLD.org_id <> NEW.org_id
BEGIN
    UPDATE org_subtree_figures SET points_outstanding = points_outstanding
        - COALESCE((SELECT balance FROM point_balances WHERE member_id = NEW.id), 0)
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = OLD.org_id);
    UPDATE org_subtree_figures SET points_outstanding = points_outstanding
        + COALESCE((SELECT balance FROM point_balances WHERE member_id = NEW.id), 0)
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
END;
