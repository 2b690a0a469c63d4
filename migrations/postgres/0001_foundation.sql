-- The union tree, enterprises, the roster, accounts and sessions.
-- Types kept to what sqlx's Any driver decodes on both backends:
-- BIGINT ids and epoch-millisecond times, TEXT, BYTEA ciphertext, 0/1 flags.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE orgs (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES orgs(id),
    -- materialised path of ids, '/1/5/23/'; a subtree is a range of it
    path TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Unique, so a subtree listed in (path, member id) order needs no sort.
CREATE UNIQUE INDEX orgs_path ON orgs(path);
CREATE INDEX orgs_parent ON orgs(parent_id);

CREATE TABLE enterprises (
    id BIGSERIAL PRIMARY KEY,
    credit_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    industry TEXT NOT NULL DEFAULT '',
    size TEXT NOT NULL DEFAULT '',
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX enterprises_org ON enterprises(org_id);

CREATE TABLE members (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    enterprise_id BIGINT REFERENCES enterprises(id),
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    id_number_enc BYTEA NOT NULL,
    id_number_hash TEXT NOT NULL UNIQUE,
    phone_enc BYTEA,
    phone_hash TEXT,
    ethnicity TEXT NOT NULL DEFAULT '',
    education TEXT NOT NULL DEFAULT '',
    political_status TEXT NOT NULL DEFAULT '',
    occupation TEXT NOT NULL DEFAULT '',
    skill_level TEXT NOT NULL DEFAULT '',
    card_no TEXT NOT NULL DEFAULT '',
    join_date TEXT NOT NULL DEFAULT '',
    is_migrant_worker INTEGER NOT NULL DEFAULT 0,
    is_hardship INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT '在册',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX members_org ON members(org_id, id);
CREATE INDEX members_enterprise ON members(enterprise_id);
-- org_id in the search indexes: the subtree check is answered from the index.
CREATE INDEX members_name ON members(name, org_id);
CREATE INDEX members_phone_hash ON members(phone_hash);

-- 会员转会: every move between union organisations, kept for good.
CREATE TABLE member_transfers (
    id BIGSERIAL PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members(id),
    from_org_id BIGINT NOT NULL REFERENCES orgs(id),
    to_org_id BIGINT NOT NULL REFERENCES orgs(id),
    reason TEXT NOT NULL DEFAULT '',
    account_id BIGINT,
    at BIGINT NOT NULL
);
CREATE INDEX member_transfers_member ON member_transfers(member_id, at);

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    member_id BIGINT REFERENCES members(id),
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- An assignment is (role, organisation); its scope is that organisation's subtree.
CREATE TABLE assignments (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    UNIQUE (account_id, role, org_id)
);
CREATE INDEX assignments_org ON assignments(org_id);

-- Page sessions and API tokens; only a hash of the token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);
