-- A CAP alert's key gains its tenant (issue 14): (tenant, sender, identifier, sent). With the old
-- key a province author reposting a national alert's sender, identifier and sent got 409 "already
-- received", learning that the national alert exists. Now each tenant has its own space of alerts:
-- a repeat is a repeat within the tenant, and references resolve within it.
-- Existing rows are unique under the old key, so they are unique under the new one.
CREATE TABLE cap_alerts_by_tenant (
    tenant              TEXT    NOT NULL,         -- of the key that posted it
    sender              TEXT    NOT NULL,
    identifier          TEXT    NOT NULL,
    sent                INTEGER NOT NULL,         -- unix ms: the same instant written with another offset is the same alert
    msg_type            TEXT    NOT NULL,         -- Alert | Update | Cancel
    status              TEXT    NOT NULL,         -- Actual | Exercise | Test
    campaign_id         TEXT    NULL,             -- the campaign this alert created (Alert, Update); NULL for Cancel
    updates_campaign_id TEXT    NULL,             -- Update: the campaign of the referenced alert it corrects
    received_by         TEXT    NOT NULL,         -- the principal's id (key:<id>), or a key name before 0012
    received_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant, sender, identifier, sent)
) WITHOUT ROWID;

INSERT INTO cap_alerts_by_tenant (tenant, sender, identifier, sent, msg_type, status, campaign_id, updates_campaign_id, received_by, received_at)
SELECT tenant, sender, identifier, sent, msg_type, status, campaign_id, updates_campaign_id, received_by, received_at FROM cap_alerts;

DROP TABLE cap_alerts;
ALTER TABLE cap_alerts_by_tenant RENAME TO cap_alerts;
CREATE INDEX ix_cap_alerts_campaign ON cap_alerts (campaign_id);
