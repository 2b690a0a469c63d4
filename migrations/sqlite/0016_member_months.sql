-- Each union's subtree figures month by month (issue 12), for the
-- dashboard's trend lines: taken by the server's job from the kept counts
-- (0014) while a month runs, so the last value of a month is its figure.
-- Months before the first snapshot are back-filled from join dates where the
-- roster has them: `estimated` = 1 marks those (members on the roll who had
-- joined by the month's end, counted at their union of today).
CREATE TABLE member_months (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    month TEXT NOT NULL,
    on_roll BIGINT NOT NULL,
    -- NULL where the month is back-filled: levels and flags have no history
    skilled BIGINT,
    high_skilled BIGINT,
    migrant BIGINT,
    hardship BIGINT,
    estimated INTEGER NOT NULL DEFAULT 0,
    taken_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, month)
);
