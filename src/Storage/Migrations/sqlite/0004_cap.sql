-- CAP 1.2 alerts received at POST /api/v1/alerts/cap (SQLite). One row per alert message, keyed by
-- what CAP itself uses to name an alert in `references`: sender, identifier and sent. The key
-- makes a repeated alert a conflict instead of a second campaign.

CREATE TABLE cap_alerts (
    sender              TEXT    NOT NULL,
    identifier          TEXT    NOT NULL,
    sent                INTEGER NOT NULL,         -- unix ms: the same instant written with another offset is the same alert
    msg_type            TEXT    NOT NULL,         -- Alert | Update | Cancel
    status              TEXT    NOT NULL,         -- Actual | Exercise | Test
    tenant              TEXT    NOT NULL,         -- of the key that posted it
    campaign_id         TEXT    NULL,             -- the campaign this alert created (Alert, Update); NULL for Cancel
    updates_campaign_id TEXT    NULL,             -- Update: the campaign of the referenced alert it corrects
    received_by         TEXT    NOT NULL,
    received_at         INTEGER NOT NULL,
    PRIMARY KEY (sender, identifier, sent)
) WITHOUT ROWID;
CREATE INDEX ix_cap_alerts_campaign ON cap_alerts (campaign_id);
