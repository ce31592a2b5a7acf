-- Core schema of Loa (SQLite). Times are unix milliseconds (UTC) in INTEGER columns, so that
-- comparisons are numeric and identical in both dialects.

CREATE TABLE api_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    key_hash    TEXT    NOT NULL UNIQUE,          -- SHA-256 hex of the bearer key; the key itself is never stored
    name        TEXT    NOT NULL,
    tenant      TEXT    NOT NULL,                 -- 'national' or a province code
    roles       TEXT    NOT NULL,                 -- space-separated
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER NULL
);

CREATE TABLE lists (
    id          TEXT    NOT NULL PRIMARY KEY,
    tenant      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    accepted    INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    duplicates  INTEGER NOT NULL
);
CREATE INDEX ix_lists_tenant ON lists (tenant, id);

-- One row per number per list; the primary key both drops duplicates and serves keyset paging.
CREATE TABLE list_members (
    list_id     TEXT    NOT NULL,
    msisdn      TEXT    NOT NULL,                 -- E.164
    province    TEXT    NOT NULL DEFAULT '',
    tags        TEXT    NULL,
    name        TEXT    NULL,
    PRIMARY KEY (list_id, msisdn)
) WITHOUT ROWID;

-- Counts kept at upload so that previews and list pages never count members.
CREATE TABLE list_counts (
    list_id     TEXT    NOT NULL,
    carrier     TEXT    NOT NULL,
    province    TEXT    NOT NULL,
    recipients  INTEGER NOT NULL,
    PRIMARY KEY (list_id, carrier, province)
) WITHOUT ROWID;

-- Routing data: operators update these tables; the prefix table is seeded from Seed/carrier-prefixes.csv.
CREATE TABLE carrier_prefixes (
    prefix      TEXT    NOT NULL PRIMARY KEY,     -- national form with the leading 0, e.g. '086'
    carrier     TEXT    NOT NULL
);

CREATE TABLE ported_numbers (
    msisdn      TEXT    NOT NULL PRIMARY KEY,     -- E.164
    carrier     TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE campaigns (
    id              TEXT    NOT NULL PRIMARY KEY,
    tenant          TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,             -- emergency | warning | awareness | test
    status          TEXT    NOT NULL,
    definition      TEXT    NOT NULL,             -- the campaign as created (JSON): message, audience, schedule, options
    sms_text        TEXT    NULL,                 -- the text as it will be sent (after unaccenting)
    sms_encoding    TEXT    NULL,
    sms_parts       INTEGER NULL,
    start_at        INTEGER NULL,
    expires_at      INTEGER NULL,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_by      TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL,
    submitted_by    TEXT    NULL,
    approved_by     TEXT    NULL,
    approved_at     INTEGER NULL,
    rejected_reason TEXT    NULL,
    launched_at     INTEGER NULL,                 -- LaunchCampaign sent
    plan_lease_until INTEGER NULL,                -- a planner holds the campaign until then
    plan_list       INTEGER NOT NULL DEFAULT 0,   -- keyset position of planning: list index ...
    plan_after      TEXT    NOT NULL DEFAULT '',  -- ... and last number planned in it
    planned_at      INTEGER NULL,                 -- every recipient has a delivery row
    started_at      INTEGER NULL,
    completed_at    INTEGER NULL
);
CREATE INDEX ix_campaigns_tenant ON campaigns (tenant, id);
CREATE INDEX ix_campaigns_due ON campaigns (status, start_at);

-- One row per recipient per campaign per channel: the guarantee "never twice" lives in ux_deliveries.
CREATE TABLE deliveries (
    id                  INTEGER NOT NULL PRIMARY KEY,
    campaign_id         TEXT    NOT NULL,
    recipient           TEXT    NOT NULL,
    channel             TEXT    NOT NULL,
    carrier             TEXT    NOT NULL,
    province            TEXT    NOT NULL,
    batch_id            INTEGER NULL,
    status              TEXT    NOT NULL,         -- queued | submitted | delivered | failed | expired | cancelled
    attempts            INTEGER NOT NULL DEFAULT 0,
    carrier_message_id  TEXT    NULL,
    error               TEXT    NULL,
    submitted_at        INTEGER NULL,
    final_at            INTEGER NULL
);
CREATE UNIQUE INDEX ux_deliveries ON deliveries (campaign_id, recipient, channel);
CREATE INDEX ix_deliveries_campaign ON deliveries (campaign_id, id);
CREATE INDEX ix_deliveries_batch ON deliveries (batch_id);
CREATE INDEX ix_deliveries_carrier_message ON deliveries (carrier, carrier_message_id) WHERE carrier_message_id IS NOT NULL;

-- The outbox: a batch is written with its deliveries and published after the commit; the sweeper
-- publishes again whatever was committed but never finished.
CREATE TABLE batches (
    id              INTEGER NOT NULL PRIMARY KEY,
    campaign_id     TEXT    NOT NULL,
    carrier         TEXT    NOT NULL,
    priority        INTEGER NOT NULL,
    messages        INTEGER NOT NULL,
    parts           INTEGER NOT NULL,
    status          TEXT    NOT NULL,             -- pending | sending | done
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    published_at    INTEGER NULL,
    next_attempt_at INTEGER NULL,
    lease_until     INTEGER NULL,
    done_at         INTEGER NULL,
    last_error      TEXT    NULL
);
CREATE INDEX ix_batches_campaign ON batches (campaign_id);
CREATE INDEX ix_batches_open ON batches (status, published_at) WHERE status <> 'done';

-- Exact progress without counting deliveries: moved in the same transaction as every status change.
CREATE TABLE campaign_progress (
    campaign_id TEXT    NOT NULL,
    carrier     TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, carrier, status)
) WITHOUT ROWID;

-- Receipts that matched no submitted message yet: an early receipt waits here for its submit
-- result; one that never matches stays for inspection.
CREATE TABLE parked_receipts (
    carrier             TEXT    NOT NULL,
    carrier_message_id  TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    error               TEXT    NULL,
    at                  INTEGER NOT NULL,
    received_at         INTEGER NOT NULL,
    PRIMARY KEY (carrier, carrier_message_id)
) WITHOUT ROWID;
