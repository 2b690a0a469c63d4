-- Imports of the union tree and the enterprise register beside rosters:
-- which register a job imports into.
ALTER TABLE imports ADD COLUMN kind TEXT NOT NULL DEFAULT 'members';

-- A union's contact: who leads it and the office's telephone.
ALTER TABLE orgs ADD COLUMN leader TEXT NOT NULL DEFAULT '';
ALTER TABLE orgs ADD COLUMN phone TEXT NOT NULL DEFAULT '';

-- An enterprise's address and contact person; an employer registered from a
-- roster by its name alone waits for its credit code (the code column then
-- holds a placeholder that is never shown and can match no real code).
ALTER TABLE enterprises ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE enterprises ADD COLUMN contact TEXT NOT NULL DEFAULT '';
ALTER TABLE enterprises ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE enterprises ADD COLUMN credit_code_pending BIGINT NOT NULL DEFAULT 0;

-- A worker's account made by staff in bulk waits for its worker: the keyed
-- hash of a one-time activation code (never the code itself) and when it
-- lapses. Until activated the password hash is unusable ("!").
ALTER TABLE accounts ADD COLUMN activation_hash TEXT;
ALTER TABLE accounts ADD COLUMN activation_expires_at BIGINT NOT NULL DEFAULT 0;
