-- Issue 17, fallback for pushes that failed: a device whose token FCM or APNs reports dead is deleted
-- by the lane (PushTargets.PruneAsync) in the same answer that fails its delivery, and with it went
-- the only copy of its linked number, so the fallback sweep could not text the very people a push
-- missed for certain. The number of a pruned device that had one is kept here, by device id, for
-- the sweep to find; rows older than a week (the longest a fallback can still owe a failed push
-- is its `after`, at most a day, plus a paused campaign) are deleted by the next prune.
CREATE TABLE pruned_devices (
    id         INTEGER NOT NULL PRIMARY KEY,   -- devices.id of the pruned device
    msisdn     TEXT    NOT NULL,               -- E.164, as devices.msisdn held it
    pruned_at  INTEGER NOT NULL
);
CREATE INDEX ix_pruned_devices_at ON pruned_devices (pruned_at);
