-- Course categories an admin adds beside the four built in; a union's
-- categories are offered to the courses of its subtree.
CREATE TABLE course_categories (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

-- A course belongs to the campus (main academy or branch) at its union, when
-- that union has one.
ALTER TABLE courses ADD COLUMN academy_id BIGINT REFERENCES academies(id);

-- Free-form feedback (意见反馈) a worker sends to the academy, and its answer.
CREATE TABLE academy_messages (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    body TEXT NOT NULL,
    answer TEXT,
    answered_by BIGINT,
    answered_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX academy_messages_member ON academy_messages(member_id, id);
CREATE INDEX academy_messages_org ON academy_messages(org_id, id);

-- Videos uploaded to the server's file store: the lesson keeps the stored
-- file's name under the files directory (its extension gives its type).
ALTER TABLE lessons ADD COLUMN video_file TEXT;
