-- The academy's and the cadres' figures per subtree (issue 12), kept like
-- those of 0018–0020 by triggers in the same transaction as each write:
-- courses and cadres in office per subtree; sessions and check-ins by the
-- month the session starts (Beijing time), and cadre points by the month of
-- the day they were earned, per subtree and month. Sessions and courses are
-- never moved or deleted, an attendance is final, a cadre keeps its union,
-- and cadre entries are append-only (a reversal is an entry): these triggers
-- are all that is needed.
ALTER TABLE org_subtree_figures
    ADD COLUMN courses BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN cadres_in_office BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_subtree_months
    ADD COLUMN sessions BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN checkins BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN cadre_points BIGINT NOT NULL DEFAULT 0;

UPDATE org_subtree_figures s SET courses = t.n
FROM (SELECT a.ancestor_id, COUNT(*) AS n FROM courses c JOIN org_ancestors a ON a.org_id = c.org_id
      GROUP BY a.ancestor_id) t
WHERE s.org_id = t.ancestor_id;
UPDATE org_subtree_figures s SET cadres_in_office = t.n
FROM (SELECT a.ancestor_id, COUNT(*) AS n FROM cadres c JOIN org_ancestors a ON a.org_id = c.org_id
      WHERE c.active <> 0 GROUP BY a.ancestor_id) t
WHERE s.org_id = t.ancestor_id;

INSERT INTO org_subtree_months (org_id, month, sessions)
    SELECT a.ancestor_id, month_of_ms(s.starts_at), COUNT(*)
    FROM course_sessions s JOIN org_ancestors a ON a.org_id = s.org_id GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET sessions = EXCLUDED.sessions;
INSERT INTO org_subtree_months (org_id, month, checkins)
    SELECT a.ancestor_id, month_of_ms(s.starts_at), COUNT(*)
    FROM enrolments e JOIN course_sessions s ON s.id = e.target_id JOIN org_ancestors a ON a.org_id = s.org_id
    WHERE e.kind = 'course_session' AND e.state = 'attended' GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET checkins = EXCLUDED.checkins;
INSERT INTO org_subtree_months (org_id, month, cadre_points)
    SELECT a.ancestor_id, substr(e.occurred_on, 1, 7), SUM(e.points)
    FROM cadre_entries e JOIN cadres c ON c.id = e.cadre_id JOIN org_ancestors a ON a.org_id = c.org_id
    GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET cadre_points = EXCLUDED.cadre_points;

CREATE FUNCTION courses_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE org_subtree_figures SET courses = courses + 1
    WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER courses_counted AFTER INSERT ON courses FOR EACH ROW EXECUTE FUNCTION courses_count();

CREATE FUNCTION course_sessions_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_subtree_months (org_id, month, sessions)
        SELECT ancestor_id, month_of_ms(NEW.starts_at), 1 FROM org_ancestors WHERE org_id = NEW.org_id
        ORDER BY 1
        ON CONFLICT (org_id, month) DO UPDATE SET sessions = org_subtree_months.sessions + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER course_sessions_counted AFTER INSERT ON course_sessions
    FOR EACH ROW EXECUTE FUNCTION course_sessions_count();

-- A check-in counts at the session's union and above, in the month the session starts.
CREATE FUNCTION enrolments_attend() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_subtree_months (org_id, month, checkins)
        SELECT a.ancestor_id, month_of_ms(s.starts_at), 1
        FROM course_sessions s JOIN org_ancestors a ON a.org_id = s.org_id WHERE s.id = NEW.target_id
        ORDER BY 1
        ON CONFLICT (org_id, month) DO UPDATE SET checkins = org_subtree_months.checkins + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER enrolments_attended AFTER UPDATE OF state ON enrolments
    FOR EACH ROW WHEN (NEW.kind = 'course_session' AND NEW.state = 'attended' AND OLD.state <> 'attended')
    EXECUTE FUNCTION enrolments_attend();
CREATE TRIGGER enrolments_attended_at_once AFTER INSERT ON enrolments
    FOR EACH ROW WHEN (NEW.kind = 'course_session' AND NEW.state = 'attended')
    EXECUTE FUNCTION enrolments_attend();

CREATE FUNCTION cadres_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta BIGINT := (CASE WHEN NEW.active <> 0 THEN 1 ELSE 0 END)
        - (CASE WHEN TG_OP = 'UPDATE' AND OLD.active <> 0 THEN 1 ELSE 0 END);
BEGIN
    IF delta <> 0 THEN
        UPDATE org_subtree_figures SET cadres_in_office = cadres_in_office + delta
        WHERE org_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = NEW.org_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER cadres_counted AFTER INSERT OR UPDATE OF active ON cadres
    FOR EACH ROW EXECUTE FUNCTION cadres_count();

CREATE FUNCTION cadre_entries_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_subtree_months (org_id, month, cadre_points)
        SELECT a.ancestor_id, substr(NEW.occurred_on, 1, 7), NEW.points
        FROM cadres c JOIN org_ancestors a ON a.org_id = c.org_id WHERE c.id = NEW.cadre_id
        ORDER BY 1
        ON CONFLICT (org_id, month) DO UPDATE SET
            cadre_points = org_subtree_months.cadre_points + EXCLUDED.cadre_points;
    RETURN NULL;
END
$$;
CREATE TRIGGER cadre_entries_counted AFTER INSERT ON cadre_entries
    FOR EACH ROW EXECUTE FUNCTION cadre_entries_count();
