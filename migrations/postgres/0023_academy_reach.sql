-- The academy's last two dashboard figures (issue 12): completions and the
-- people reached. See the SQLite file of the same number for the why; the
-- tables and rules are the same.
CREATE TABLE course_completions (
    course_id BIGINT NOT NULL REFERENCES courses(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    completed_at BIGINT NOT NULL,
    -- 'session' (checked in at a session) or 'online' (watched every lesson)
    via TEXT NOT NULL,
    PRIMARY KEY (course_id, member_id)
);
CREATE INDEX course_completions_at ON course_completions(completed_at);

INSERT INTO course_completions (course_id, member_id, completed_at, via)
    SELECT s.course_id, e.member_id, MIN(e.updated_at), 'session'
    FROM enrolments e JOIN course_sessions s ON s.id = e.target_id
    WHERE e.kind = 'course_session' AND e.state = 'attended'
    GROUP BY s.course_id, e.member_id
    ON CONFLICT DO NOTHING;
INSERT INTO course_completions (course_id, member_id, completed_at, via)
    SELECT l.course_id, p.member_id, MAX(p.reported_at), 'online'
    FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id JOIN courses c ON c.id = l.course_id
    WHERE p.watched_ms * 100 >= l.duration_ms * GREATEST(1, LEAST(100, c.watch_percent))
    GROUP BY l.course_id, p.member_id
    HAVING COUNT(*) = (SELECT COUNT(*) FROM lessons x WHERE x.course_id = l.course_id)
    ON CONFLICT DO NOTHING;

ALTER TABLE org_subtree_months ADD COLUMN completions BIGINT NOT NULL DEFAULT 0;
INSERT INTO org_subtree_months (org_id, month, completions)
    SELECT a.ancestor_id, month_of_ms(k.completed_at), COUNT(*)
    FROM course_completions k JOIN courses c ON c.id = k.course_id JOIN org_ancestors a ON a.org_id = c.org_id
    GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET completions = EXCLUDED.completions;

CREATE FUNCTION course_completions_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_subtree_months (org_id, month, completions)
        SELECT a.ancestor_id, month_of_ms(NEW.completed_at), 1
        FROM courses c JOIN org_ancestors a ON a.org_id = c.org_id WHERE c.id = NEW.course_id
        ORDER BY 1
        ON CONFLICT (org_id, month) DO UPDATE SET completions = org_subtree_months.completions + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER course_completions_counted AFTER INSERT ON course_completions
    FOR EACH ROW EXECUTE FUNCTION course_completions_count();

CREATE TABLE org_subtree_reach (
    org_id BIGINT NOT NULL,
    year TEXT NOT NULL,
    member_id BIGINT NOT NULL,
    PRIMARY KEY (org_id, year, member_id)
);
CREATE TABLE org_subtree_years (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    year TEXT NOT NULL,
    reached BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, year)
);
INSERT INTO org_subtree_reach (org_id, year, member_id)
    SELECT DISTINCT a.ancestor_id, substr(month_of_ms(s.starts_at), 1, 4), e.member_id
    FROM enrolments e JOIN course_sessions s ON s.id = e.target_id JOIN org_ancestors a ON a.org_id = s.org_id
    WHERE e.kind = 'course_session' AND e.state = 'attended';
INSERT INTO org_subtree_years (org_id, year, reached)
    SELECT org_id, year, COUNT(*) FROM org_subtree_reach GROUP BY org_id, year;

-- A check-in adds its member to each subtree above the session's union that
-- has not had them this year; those it added count one more.
CREATE FUNCTION enrolments_reach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH fresh AS (
        INSERT INTO org_subtree_reach (org_id, year, member_id)
            SELECT a.ancestor_id, substr(month_of_ms(s.starts_at), 1, 4), NEW.member_id
            FROM course_sessions s JOIN org_ancestors a ON a.org_id = s.org_id WHERE s.id = NEW.target_id
            ON CONFLICT DO NOTHING
            RETURNING org_id, year
    )
    INSERT INTO org_subtree_years (org_id, year, reached)
        SELECT org_id, year, 1 FROM fresh ORDER BY 1
        ON CONFLICT (org_id, year) DO UPDATE SET reached = org_subtree_years.reached + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER enrolments_reached AFTER UPDATE OF state ON enrolments
    FOR EACH ROW WHEN (NEW.kind = 'course_session' AND NEW.state = 'attended' AND OLD.state <> 'attended')
    EXECUTE FUNCTION enrolments_reach();
CREATE TRIGGER enrolments_reached_at_once AFTER INSERT ON enrolments
    FOR EACH ROW WHEN (NEW.kind = 'course_session' AND NEW.state = 'attended')
    EXECUTE FUNCTION enrolments_reach();

ANALYZE course_completions;
ANALYZE org_subtree_reach;
ANALYZE org_subtree_years;
