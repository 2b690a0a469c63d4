-- The points ledger and the redemption catalogue.

-- Append-only: a balance is the sum of a member's entries. Earned entries may expire.
CREATE TABLE point_entries (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    amount BIGINT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    source_id BIGINT,
    idempotency_key TEXT,
    account_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX point_entries_key ON point_entries(idempotency_key);
CREATE INDEX point_entries_member ON point_entries(member_id, id);

-- The running balance, kept in the same transaction as each entry; the CHECK is
-- the last guard that no interleaving of writes takes it below zero.
CREATE TABLE point_balances (
    member_id BIGINT PRIMARY KEY REFERENCES members(id),
    balance BIGINT NOT NULL CHECK (balance >= 0),
    lifetime BIGINT NOT NULL
);

CREATE TABLE catalog_items (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price BIGINT NOT NULL CHECK (price > 0),
    stock BIGINT NOT NULL CHECK (stock >= 0),
    per_member_limit BIGINT NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX catalog_items_org ON catalog_items(org_id);

CREATE TABLE redemption_orders (
    id INTEGER PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES catalog_items(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    points BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX redemption_orders_item_member ON redemption_orders(item_id, member_id);
CREATE INDEX redemption_orders_member ON redemption_orders(member_id, id);

-- Earning rules of a union (参加培训 +10, 提交反馈 +2 …): a rule pays once per
-- member and source event (the ledger's idempotency key is rule:CODE:MEMBER:EVENT). A union's
-- rule applies to its whole subtree; the nearest union's rule of a code wins.
CREATE TABLE point_rules (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    points BIGINT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, code)
);
CREATE INDEX point_entries_org_time ON point_entries(org_id, created_at);
