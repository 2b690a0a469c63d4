-- Points that expire (a rule sets how many days its points stay valid).
-- An earning entry with `expires_at` is a lot: `remaining` is what is left of
-- it to spend. Spending takes from the lots that expire first; points without
-- an expiry are not tracked as lots (they never leave except by spending).
-- When a lot expires, the sweep appends a debit entry (source 'expiry') for
-- what remains, so the balance stays the sum of the entries.
ALTER TABLE point_rules ADD COLUMN valid_days BIGINT;
ALTER TABLE point_entries ADD COLUMN expires_at BIGINT;
ALTER TABLE point_entries ADD COLUMN remaining BIGINT;
CREATE INDEX point_entries_lots ON point_entries(member_id, expires_at) WHERE remaining > 0;
CREATE INDEX point_entries_due ON point_entries(expires_at) WHERE remaining > 0;

-- Which lots a debit took from, so that a refund (an order cancelled) gives
-- the points back to the lots they came from, with their own expiry.
CREATE TABLE point_lot_uses (
    debit_id BIGINT NOT NULL REFERENCES point_entries(id),
    lot_id BIGINT NOT NULL REFERENCES point_entries(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    PRIMARY KEY (debit_id, lot_id)
);

-- A catalogue item may be redeemable only until a day (兑换截止): `valid_until`
-- is the first moment it no longer is (Beijing midnight after that day).
ALTER TABLE catalog_items ADD COLUMN valid_until BIGINT;
