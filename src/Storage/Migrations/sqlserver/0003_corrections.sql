-- A correction is a new campaign to the same audience; both rows point at each other so that an
-- approver sees what is being corrected and an operator sees that a correction exists.
ALTER TABLE campaigns ADD corrects NVARCHAR(64) NULL, corrected_by NVARCHAR(64) NULL;
