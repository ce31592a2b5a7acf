-- A batch whose messages a carrier took waits for their delivery receipts until receipts_until
-- (set with its results, Loa:Dispatcher:ReceiptTimeout later). The sweeper then ends whatever is
-- still submitted as expired, with the reason, so a receipt the carrier never sends cannot keep a
-- campaign running forever. Cleared once swept: the partial index holds only batches still waiting.
ALTER TABLE batches ADD COLUMN receipts_until INTEGER NULL;
CREATE INDEX ix_batches_receipts ON batches (receipts_until) WHERE receipts_until IS NOT NULL;
-- Batches answered before the upgrade, of campaigns not over yet: a day from their answer.
UPDATE batches SET receipts_until = done_at + 86400000
WHERE status = 'done' AND done_at IS NOT NULL
  AND campaign_id IN (SELECT id FROM campaigns WHERE status IN ('running', 'paused'));
