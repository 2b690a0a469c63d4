-- Transfers in a period (the dashboard's 转入 / 转出, issue 12): one range of times.
CREATE INDEX member_transfers_at ON member_transfers(at);
