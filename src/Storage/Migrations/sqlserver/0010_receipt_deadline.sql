-- How long a batch's accepted messages wait for their receipts (same as sqlite/0010_receipt_deadline.sql).
ALTER TABLE batches ADD receipts_until BIGINT NULL;
GO
CREATE INDEX ix_batches_receipts ON batches (receipts_until) WHERE receipts_until IS NOT NULL;
GO
UPDATE batches SET receipts_until = done_at + 86400000
WHERE status = 'done' AND done_at IS NOT NULL
  AND campaign_id IN (SELECT id FROM campaigns WHERE status IN ('running', 'paused'));
GO
