-- A union's yearly targets for its dashboard figures (issue 12), e.g. 婺城区
-- 2025: 技能劳动者 80,000 人, 高技能人才占比 30 %. A count target is people;
-- a share target is per mille of the figure it is a share of (30 % → 300).
CREATE TABLE dashboard_targets (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    year BIGINT NOT NULL,
    figure_key TEXT NOT NULL,
    -- the figure's name when the target was set, for the audit log and reports
    figure_label TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('count', 'share')),
    target BIGINT NOT NULL CHECK (target > 0),
    account_id BIGINT,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, year, figure_key)
);
