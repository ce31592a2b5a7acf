-- The numbers a set of lists shares, walked once in the background and kept (CampaignApi/Campaigns/SharedNumbers):
-- a preview of lists whose walk is over Loa:Lists:SharedWalkLimit reads the result instead of walking
-- millions of members on every create and read. A list never changes after its upload, so a set's
-- result holds until the prefix table changes (routes: its fingerprint; a ported number is corrected
-- at each preview). shapes is JSON: the shared numbers folded by their prefix carrier and their rows (list, place, tags).
CREATE TABLE shared_walks (
    lists_key   TEXT    NOT NULL PRIMARY KEY,   -- SHA-256 of the sorted list ids
    lists       TEXT    NOT NULL,               -- the ids, comma-separated, sorted
    routes      TEXT    NOT NULL,               -- CarrierRouter.Fingerprint when walked
    numbers     INTEGER NOT NULL,               -- shared numbers found
    computed_at INTEGER NOT NULL,
    shapes      TEXT    NOT NULL
);
