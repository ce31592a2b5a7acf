-- A correction is a new campaign to the same audience; both rows point at each other so that an
-- approver sees what is being corrected and an operator sees that a correction exists.
ALTER TABLE campaigns ADD COLUMN corrects TEXT NULL;
ALTER TABLE campaigns ADD COLUMN corrected_by TEXT NULL;
