-- 工会干部积分制: union cadres are scored by their own rule items, apart from
-- the members' points ledger. A cadre serves a union (org_id); a cadre may
-- also be a member on a roster and may have a login account.
CREATE TABLE cadres (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    member_id BIGINT REFERENCES members(id),
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cadres_org ON cadres(org_id);
CREATE UNIQUE INDEX cadres_member ON cadres(org_id, member_id) WHERE member_id IS NOT NULL;

-- Rule items a union's admin configures (组织培训一次 +5, 按时报送 +2, 未按时 −2);
-- a union's items apply to the cadres of its whole subtree.
CREATE TABLE cadre_rule_items (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    label TEXT NOT NULL,
    points BIGINT NOT NULL CHECK (points <> 0),
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, label)
);

-- Append-only: a mistake is undone by a reversing entry (reverses_id), never
-- by editing. `occurred_on` (YYYY-MM-DD) decides the year an entry counts in.
CREATE TABLE cadre_entries (
    id INTEGER PRIMARY KEY,
    cadre_id BIGINT NOT NULL REFERENCES cadres(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    item_id BIGINT REFERENCES cadre_rule_items(id),
    points BIGINT NOT NULL,
    label TEXT NOT NULL,
    evidence TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    reverses_id BIGINT UNIQUE REFERENCES cadre_entries(id),
    account_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX cadre_entries_cadre ON cadre_entries(cadre_id, occurred_on);
CREATE INDEX cadre_entries_org_year ON cadre_entries(org_id, occurred_on);
