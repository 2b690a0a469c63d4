-- The academy (金领学院): courses taught at a union, offline sessions with
-- enrolment, check-in and attendance, and feedback.

CREATE TABLE courses (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    teacher_member_id BIGINT REFERENCES members(id),
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX courses_org ON courses(org_id);

CREATE TABLE course_sessions (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    place TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity > 0),
    centralised INTEGER NOT NULL DEFAULT 0,
    -- what the session's QR code carries: only someone shown the code checks in
    checkin_token TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX course_sessions_course ON course_sessions(course_id);

-- The enrolment engine, shared by every program with places to fill:
-- (kind, target) names the session, event or service; a place is 'enrolled',
-- 'waiting' (in `position` order), 'cancelled' or 'attended'.
-- Each target's capacity; its row is what an enrolment locks, so places are
-- counted one enrolment at a time on both backends.
CREATE TABLE enrolment_targets (
    kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    capacity BIGINT NOT NULL CHECK (capacity > 0),
    PRIMARY KEY (kind, target_id)
);

CREATE TABLE enrolments (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    state TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (kind, target_id, member_id)
);
CREATE INDEX enrolments_target ON enrolments(kind, target_id, state, position);
CREATE INDEX enrolments_member ON enrolments(member_id);

CREATE TABLE course_feedback (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    rating BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (course_id, member_id)
);

-- Online lessons (课程回放): a video link and its length. Completion by watching
-- needs `watch_percent` of the course's lessons watched.
ALTER TABLE courses ADD COLUMN watch_percent BIGINT NOT NULL DEFAULT 90;
CREATE TABLE lessons (
    id INTEGER PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    video_url TEXT NOT NULL,
    duration_ms BIGINT NOT NULL CHECK (duration_ms > 0),
    created_at BIGINT NOT NULL
);
CREATE INDEX lessons_course ON lessons(course_id);

-- Watch progress as the server credits it: never faster than the video plays,
-- whatever the player reports (scripts that fake study time are common).
CREATE TABLE lesson_progress (
    lesson_id BIGINT NOT NULL REFERENCES lessons(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    watched_ms BIGINT NOT NULL,
    position_ms BIGINT NOT NULL,
    reported_at BIGINT NOT NULL,
    PRIMARY KEY (lesson_id, member_id)
);

-- Campuses: "1 总院 + N 企业分院". A main academy at a federation union; a branch at
-- an enterprise (or joint) union belongs to the nearest main academy above it.
CREATE TABLE academies (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL UNIQUE REFERENCES orgs(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES academies(id),
    created_at BIGINT NOT NULL
);
CREATE TABLE academy_staff (
    academy_id BIGINT NOT NULL REFERENCES academies(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    role TEXT NOT NULL,
    PRIMARY KEY (academy_id, member_id)
);
