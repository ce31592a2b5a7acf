-- Subscribers who asked not to get awareness messages. Emergency and warning still reach them.
-- tenant is who recorded the opt-out (what a province may see and remove); the opt-out itself
-- holds for every campaign.
CREATE TABLE optouts (
    msisdn      TEXT    NOT NULL PRIMARY KEY,     -- E.164
    tenant      TEXT    NOT NULL,
    source      TEXT    NOT NULL,                 -- 'api' or 'csv'
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Awareness messages planned per number, for the rolling 24-hour frequency cap. Rows older than a
-- day are pruned by the planner.
CREATE TABLE awareness_contacts (
    msisdn      TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    campaign_id TEXT    NOT NULL,
    PRIMARY KEY (msisdn, campaign_id)
) WITHOUT ROWID;
CREATE INDEX ix_awareness_contacts_at ON awareness_contacts (at);

-- Suppressed recipients get a delivery row with status 'suppressed' and the reason in error;
-- campaign_progress counts them as status 'suppressed:<reason>' (opted-out, frequency-cap,
-- not-test-number), so progress and reports give reasons without counting rows.
