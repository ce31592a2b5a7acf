-- Issue 19: message templates, the provinces' campaigns that join a national one, and coverage
-- against the plans' targets with its scheduled exports.

-- A library of message templates. tenant 'national' is readable by every province; a province's
-- own templates only by itself. Deleted templates are kept (deleted_at) for the campaigns made from them.
CREATE TABLE templates (
    id              TEXT    NOT NULL PRIMARY KEY,
    tenant          TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    sms             TEXT    NULL,                 -- accented (UCS-2) form
    sms_unaccented  TEXT    NULL,                 -- the GSM-7 form a carrier or an old phone needs
    push_title      TEXT    NULL,
    push_body       TEXT    NULL,
    tags            TEXT    NOT NULL,             -- JSON array
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_by      TEXT    NULL,
    updated_at      INTEGER NULL,
    deleted_at      INTEGER NULL
);
CREATE INDEX ix_templates_tenant ON templates (tenant, id);

-- Where a campaign came from: the template it was made from and the national campaign it joins.
CREATE TABLE campaign_links (
    campaign_id     TEXT    NOT NULL PRIMARY KEY,
    template_id     TEXT    NULL,
    joins           TEXT    NULL,                 -- a national campaign's id
    tenant          TEXT    NOT NULL
);
CREATE INDEX ix_campaign_links_joins ON campaign_links (joins, campaign_id) WHERE joins IS NOT NULL;

-- Who was reached (delivered at least once, any channel), kept as deliveries become delivered. One
-- row per bucket and recipient: buckets are 'Y2026' (the year), 'Q2026-2' (a quarter) and
-- 'M2026-05' (a month), Vietnam time. The key is the first 8 bytes of SHA-256 of the recipient.
CREATE TABLE coverage_reached (
    bucket          TEXT    NOT NULL,
    recipient_hash  INTEGER NOT NULL,
    PRIMARY KEY (bucket, recipient_hash)
) WITHOUT ROWID;

-- Distinct recipients reached per bucket, by the month (1-12) of the bucket in which each was first
-- reached, province and carrier of that first delivery: moved only when coverage_reached got a new row.
CREATE TABLE coverage_counts (
    bucket          TEXT    NOT NULL,
    first_month     INTEGER NOT NULL,
    province        TEXT    NOT NULL,
    carrier         TEXT    NOT NULL,
    reached         INTEGER NOT NULL,
    PRIMARY KEY (bucket, first_month, province, carrier)
) WITHOUT ROWID;

-- The subscriber base operators enter, with its date and source; history is kept by date. tag ''
-- is every subscriber; carrier '' every carrier.
CREATE TABLE coverage_base (
    province        TEXT    NOT NULL,
    carrier         TEXT    NOT NULL,
    tag             TEXT    NOT NULL,
    as_of           TEXT    NOT NULL,             -- yyyy-MM-dd
    subscribers     INTEGER NOT NULL,
    source          TEXT    NOT NULL,
    entered_by      TEXT    NOT NULL,
    entered_at      INTEGER NOT NULL,
    PRIMARY KEY (province, carrier, tag, as_of)
) WITHOUT ROWID;

-- The plans' targets: a share (percent) of a target group ('' = every subscriber) to reach.
CREATE TABLE coverage_targets (
    tag             TEXT    NOT NULL PRIMARY KEY,
    name            TEXT    NOT NULL,
    target_percent  REAL    NOT NULL
);
INSERT INTO coverage_targets (tag, name, target_percent) VALUES ('', 'Internet users', 80), ('student', 'Students', 100);

-- The yearly and quarterly reports, generated on schedule and kept for download.
CREATE TABLE report_exports (
    id              TEXT    NOT NULL PRIMARY KEY,
    tenant          TEXT    NOT NULL,
    kind            TEXT    NOT NULL,             -- 'yearly' | 'quarterly'
    period          TEXT    NOT NULL,             -- '2026' | '2026-Q3'
    period_from     TEXT    NOT NULL,             -- yyyy-MM-dd, inclusive
    period_to       TEXT    NOT NULL,             -- yyyy-MM-dd, inclusive
    created_at      INTEGER NOT NULL,
    csv             BLOB    NOT NULL,
    xlsx            BLOB    NOT NULL,
    UNIQUE (tenant, kind, period)
);
