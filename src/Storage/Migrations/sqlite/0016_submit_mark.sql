-- When a lane began handing a batch to a carrier that cannot recognise a repeat (SMPP has no
-- idempotency key), set just before the submit and cleared when its answer is recorded or the batch
-- is given back. A batch claimed again with the mark still set was being sent when its lane died: its
-- still-queued messages may be at the carrier, so they are resent only for the kinds where a duplicate
-- is better than a miss and otherwise end "unknown outcome" (issue 16). NULL for every batch before.
ALTER TABLE batches ADD COLUMN submit_started_at INTEGER NULL;
