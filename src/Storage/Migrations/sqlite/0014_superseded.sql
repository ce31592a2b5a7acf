-- A campaign is superseded when a correction of it is approved (issue 15): it is cancelled in the
-- approval's transaction and names the correction, so that its unsent messages end "superseded by
-- <id>" and approving, resuming or launching it is refused with the campaign to look at instead.
-- NULL for every campaign before this migration: none was superseded then.
ALTER TABLE campaigns ADD COLUMN superseded_by TEXT NULL;
-- The chain of corrections is walked down by `corrects` (a cancel with ?chain=true, a CAP Cancel).
CREATE INDEX ix_campaigns_corrects ON campaigns (corrects);
