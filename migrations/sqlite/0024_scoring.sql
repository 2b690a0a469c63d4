-- The scoring engine's records (issue 13): rubrics in versions, and per
-- entry a board of the reviewers' sheets, their marks and the locks. The
-- programs that score (honours, mentoring, competitions …) keep their own
-- records and point at a board by (program, entry_ref).

-- A union's rubric, one row per version; a version's body (criteria →
-- aspects, as JSON: scoring::store::RubricDoc) is never edited — a change
-- is the next version.
CREATE TABLE scoring_rubrics (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name, version)
);

-- One entry's marking against one rubric version: who is scored (for
-- conflicts of interest) and the final lock.
CREATE TABLE scoring_boards (
    id INTEGER PRIMARY KEY,
    rubric_id BIGINT NOT NULL REFERENCES scoring_rubrics(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    program TEXT NOT NULL,
    entry_ref BIGINT NOT NULL,
    member_id BIGINT REFERENCES members(id),
    entrant_org_id BIGINT NOT NULL REFERENCES orgs(id),
    enterprise_id BIGINT,
    nominated_by BIGINT,
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    UNIQUE (program, entry_ref)
);

-- A reviewer's sheet on a board, and its lock.
CREATE TABLE scoring_sheets (
    board_id BIGINT NOT NULL REFERENCES scoring_boards(id),
    reviewer_id BIGINT NOT NULL REFERENCES members(id),
    locked_at BIGINT,
    PRIMARY KEY (board_id, reviewer_id)
);
CREATE INDEX scoring_sheets_reviewer ON scoring_sheets(reviewer_id, board_id);

-- A reviewer's mark on one aspect: 'met', 'unmet', 'faults:0,2' (indices
-- into the aspect's deduction table) or 'mark:2' (a judged aspect, 0–3).
CREATE TABLE scoring_marks (
    board_id BIGINT NOT NULL,
    reviewer_id BIGINT NOT NULL,
    aspect_key TEXT NOT NULL,
    given TEXT NOT NULL,
    entered_at BIGINT NOT NULL,
    PRIMARY KEY (board_id, reviewer_id, aspect_key),
    FOREIGN KEY (board_id, reviewer_id) REFERENCES scoring_sheets(board_id, reviewer_id)
);
