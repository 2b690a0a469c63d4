-- The academy's and the cadres' figures per subtree (issue 12), kept like
-- those of 0018–0020 by triggers in the same transaction as each write:
-- courses and cadres in office per subtree; sessions and check-ins by the
-- month the session starts (Beijing time), and cadre points by the month of
-- the day they were earned, per subtree and month. Sessions and courses are
-- never moved or deleted, an attendance is final, a cadre keeps its union,
-- and cadre entries are append-only (a reversal is an entry): these triggers
-- are all that is needed.
ALTER TABLE org_subtree_figures ADD COLUMN courses BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_subtree_figures ADD COLUMN cadres_in_office BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_subtree_months ADD COLUMN sessions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_subtree_months ADD COLUMN checkins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_subtree_months ADD COLUMN cadre_points BIGINT NOT NULL DEFAULT 0;

UPDATE org_subtree_figures SET
    courses = (SELECT COUNT(*) FROM courses c JOIN org_ancestors a ON a.org_id = c.org_id
               WHERE a.ancestor_id = org_subtree_figures.org_id),
    cadres_in_office = (SELECT COUNT(*) FROM cadres c JOIN org_ancestors a ON a.org_id = c.org_id
                        WHERE a.ancestor_id = org_subtree_figures.org_id AND c.active <> 0);

INSERT INTO org_subtree_months (org_id, month, sessions)
    SELECT a.ancestor_id, strftime('%Y-%m', s.starts_at / 1000 + 28800, 'unixepoch'), COUNT(*)
    FROM course_sessions s JOIN org_ancestors a ON a.org_id = s.org_id
    WHERE true GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET sessions = excluded.sessions;
INSERT INTO org_subtree_months (org_id, month, checkins)
    SELECT a.ancestor_id, strftime('%Y-%m', s.starts_at / 1000 + 28800, 'unixepoch'), COUNT(*)
    FROM enrolments e JOIN course_sessions s ON s.id = e.target_id JOIN org_ancestors a ON a.org_id = s.org_id
    WHERE e.kind = 'course_session' AND e.state = 'attended' GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET checkins = excluded.checkins;
INSERT INTO org_subtree_months (org_id, month, cadre_points)
    SELECT a.ancestor_id, substr(e.occurred_on, 1, 7), SUM(e.points)
    FROM cadre_entries e JOIN cadres c ON c.id = e.cadre_id JOIN org_ancestors a ON a.org_id = c.org_id
    WHERE true GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET cadre_points = excluded.cadre_points;

CREATE TRIGGER courses_counted AFTER INSERT ON courses BEGIN
    UPDATE org_subtree_figures SET courses = courses + 1
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
END;

CREATE TRIGGER course_sessions_counted AFTER INSERT ON course_sessions BEGIN
    INSERT INTO org_subtree_months (org_id, month, sessions)
        SELECT ancestor_id, strftime('%Y-%m', NEW.starts_at / 1000 + 28800, 'unixepoch'), 1
        FROM org_ancestors WHERE org_id = NEW.org_id
        ON CONFLICT (org_id, month) DO UPDATE SET sessions = sessions + 1;
END;

-- A check-in counts at the session's union and above, in the month the session starts.
CREATE TRIGGER enrolments_attended AFTER UPDATE OF state ON enrolments
    WHEN NEW.kind = 'course_session' AND NEW.state = 'attended' AND OLD.state <> 'attended'
BEGIN
    INSERT INTO org_subtree_months (org_id, month, checkins)
        SELECT a.ancestor_id, strftime('%Y-%m', s.starts_at / 1000 + 28800, 'unixepoch'), 1
        FROM course_sessions s JOIN org_ancestors a ON a.org_id = s.org_id WHERE s.id = NEW.target_id
        ON CONFLICT (org_id, month) DO UPDATE SET checkins = checkins + 1;
END;

CREATE TRIGGER enrolments_attended_at_once AFTER INSERT ON enrolments
    WHEN NEW.kind = 'course_session' AND NEW.state = 'attended'
BEGIN
    INSERT INTO org_subtree_months (org_id, month, checkins)
        SELECT a.ancestor_id, strftime('%Y-%m', s.starts_at / 1000 + 28800, 'unixepoch'), 1
        FROM course_sessions s JOIN org_ancestors a ON a.org_id = s.org_id WHERE s.id = NEW.target_id
        ON CONFLICT (org_id, month) DO UPDATE SET checkins = checkins + 1;
END;

CREATE TRIGGER cadres_counted AFTER INSERT ON cadres WHEN NEW.active <> 0 BEGIN
    UPDATE org_subtree_figures SET cadres_in_office = cadres_in_office + 1
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
END;

CREATE TRIGGER cadres_recounted AFTER UPDATE OF active ON cadres
    WHEN (OLD.active <> 0) <> (NEW.active <> 0)
BEGIN
    UPDATE org_subtree_figures SET cadres_in_office = cadres_in_office + CASE WHEN NEW.active <> 0 THEN 1 ELSE -1 END
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
END;

CREATE TRIGGER cadre_entries_counted AFTER INSERT ON cadre_entries BEGIN
    INSERT INTO org_subtree_months (org_id, month, cadre_points)
        SELECT a.ancestor_id, substr(NEW.occurred_on, 1, 7), NEW.points
        FROM cadres c JOIN org_ancestors a ON a.org_id = c.org_id WHERE c.id = NEW.cadre_id
        ON CONFLICT (org_id, month) DO UPDATE SET cadre_points = cadre_points + excluded.cadre_points;
END;
