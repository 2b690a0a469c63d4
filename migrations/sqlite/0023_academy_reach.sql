-- The academy's last two dashboard figures (issue 12): completions and the
-- people reached.
--
-- A course was completed when a member checked in at one of its sessions or
-- watched every lesson far enough, and that was worked out afresh each time
-- (and paid in points once); now it is recorded, once per member and course,
-- when it happens, so it can be counted by month. Back-filled from the
-- check-ins and the watch progress kept so far.
CREATE TABLE course_completions (
    course_id BIGINT NOT NULL REFERENCES courses(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    completed_at BIGINT NOT NULL,
    -- 'session' (checked in at a session) or 'online' (watched every lesson)
    via TEXT NOT NULL,
    PRIMARY KEY (course_id, member_id)
);
CREATE INDEX course_completions_at ON course_completions(completed_at);

INSERT OR IGNORE INTO course_completions (course_id, member_id, completed_at, via)
    SELECT s.course_id, e.member_id, MIN(e.updated_at), 'session'
    FROM enrolments e JOIN course_sessions s ON s.id = e.target_id
    WHERE e.kind = 'course_session' AND e.state = 'attended'
    GROUP BY s.course_id, e.member_id;
INSERT OR IGNORE INTO course_completions (course_id, member_id, completed_at, via)
    SELECT l.course_id, p.member_id, MAX(p.reported_at), 'online'
    FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id JOIN courses c ON c.id = l.course_id
    WHERE p.watched_ms * 100 >= l.duration_ms * MAX(1, MIN(100, c.watch_percent))
    GROUP BY l.course_id, p.member_id
    HAVING COUNT(*) = (SELECT COUNT(*) FROM lessons x WHERE x.course_id = l.course_id);

-- Completions per subtree and month, at the course's union (as sessions and
-- check-ins are counted at the session's).
ALTER TABLE org_subtree_months ADD COLUMN completions BIGINT NOT NULL DEFAULT 0;
INSERT INTO org_subtree_months (org_id, month, completions)
    SELECT a.ancestor_id, strftime('%Y-%m', k.completed_at / 1000 + 28800, 'unixepoch'), COUNT(*)
    FROM course_completions k JOIN courses c ON c.id = k.course_id JOIN org_ancestors a ON a.org_id = c.org_id
    WHERE true GROUP BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET completions = excluded.completions;

CREATE TRIGGER course_completions_counted AFTER INSERT ON course_completions BEGIN
    INSERT INTO org_subtree_months (org_id, month, completions)
        SELECT a.ancestor_id, strftime('%Y-%m', NEW.completed_at / 1000 + 28800, 'unixepoch'), 1
        FROM courses c JOIN org_ancestors a ON a.org_id = c.org_id WHERE c.id = NEW.course_id
        ON CONFLICT (org_id, month) DO UPDATE SET completions = completions + 1;
END;

-- People reached (参训人数): how many different members checked in at the
-- subtree's sessions in a year. A person trained twice, or in two unions of
-- the subtree, counts once, so the figure is not a sum of the children's:
-- the people are kept per subtree and year (`org_subtree_reach`) and their
-- number beside them (`org_subtree_years`), both by the check-in's triggers.
-- A subtree move recounts the unions above it (org::subtree::moved).
CREATE TABLE org_subtree_reach (
    org_id BIGINT NOT NULL,
    year TEXT NOT NULL,
    member_id BIGINT NOT NULL,
    PRIMARY KEY (org_id, year, member_id)
) WITHOUT ROWID;
CREATE TABLE org_subtree_years (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    year TEXT NOT NULL,
    reached BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, year)
);
INSERT OR IGNORE INTO org_subtree_reach (org_id, year, member_id)
    SELECT a.ancestor_id, strftime('%Y', s.starts_at / 1000 + 28800, 'unixepoch'), e.member_id
    FROM enrolments e JOIN course_sessions s ON s.id = e.target_id JOIN org_ancestors a ON a.org_id = s.org_id
    WHERE e.kind = 'course_session' AND e.state = 'attended';
INSERT INTO org_subtree_years (org_id, year, reached)
    SELECT org_id, year, COUNT(*) FROM org_subtree_reach GROUP BY org_id, year;

CREATE TRIGGER enrolments_reached AFTER UPDATE OF state ON enrolments
    WHEN NEW.kind = 'course_session' AND NEW.state = 'attended' AND OLD.state <> 'attended'
BEGIN
    INSERT INTO org_subtree_years (org_id, year, reached)
        SELECT a.ancestor_id, strftime('%Y', s.starts_at / 1000 + 28800, 'unixepoch'), 1
        FROM course_sessions s JOIN org_ancestors a ON a.org_id = s.org_id
        WHERE s.id = NEW.target_id AND NOT EXISTS (
            SELECT 1 FROM org_subtree_reach r WHERE r.org_id = a.ancestor_id
                AND r.year = strftime('%Y', s.starts_at / 1000 + 28800, 'unixepoch') AND r.member_id = NEW.member_id)
        ON CONFLICT (org_id, year) DO UPDATE SET reached = reached + 1;
    INSERT OR IGNORE INTO org_subtree_reach (org_id, year, member_id)
        SELECT a.ancestor_id, strftime('%Y', s.starts_at / 1000 + 28800, 'unixepoch'), NEW.member_id
        FROM course_sessions s JOIN org_ancestors a ON a.org_id = s.org_id WHERE s.id = NEW.target_id;
END;

CREATE TRIGGER enrolments_reached_at_once AFTER INSERT ON enrolments
    WHEN NEW.kind = 'course_session' AND NEW.state = 'attended'
BEGIN
    INSERT INTO org_subtree_years (org_id, year, reached)
        SELECT a.ancestor_id, strftime('%Y', s.starts_at / 1000 + 28800, 'unixepoch'), 1
        FROM course_sessions s JOIN org_ancestors a ON a.org_id = s.org_id
        WHERE s.id = NEW.target_id AND NOT EXISTS (
            SELECT 1 FROM org_subtree_reach r WHERE r.org_id = a.ancestor_id
                AND r.year = strftime('%Y', s.starts_at / 1000 + 28800, 'unixepoch') AND r.member_id = NEW.member_id)
        ON CONFLICT (org_id, year) DO UPDATE SET reached = reached + 1;
    INSERT OR IGNORE INTO org_subtree_reach (org_id, year, member_id)
        SELECT a.ancestor_id, strftime('%Y', s.starts_at / 1000 + 28800, 'unixepoch'), NEW.member_id
        FROM course_sessions s JOIN org_ancestors a ON a.org_id = s.org_id WHERE s.id = NEW.target_id;
END;
