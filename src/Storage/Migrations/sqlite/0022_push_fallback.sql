-- Issue 17, acknowledgements and fallback: phones tell Loa a push arrived (received) or was opened,
-- and the recipients a push reached who said nothing within options.fallback.after get the SMS.

-- One row per push delivery a phone acknowledged, ever: the primary key is what makes an ack count
-- once however often the app repeats it (insert-or-ignore), and an `opened` sets opened_at once.
-- Keyed by the delivery alone, so the fallback sweep probes it by the delivery's id.
CREATE TABLE push_acks (
    delivery_id  INTEGER NOT NULL PRIMARY KEY,
    received_at  INTEGER NOT NULL,
    opened_at    INTEGER NULL
);

-- Counters beside campaign_progress, moved in the same transaction as the rows they count, so that
-- progress never counts acks or deliveries: per campaign and carrier ('push-<app>' for received and
-- opened; '' for the campaign's fallbacks and SMS saved), per counter. Not in campaign_progress:
-- its rows sum to the campaign's total, and an ack is not a delivery.
CREATE TABLE campaign_push_counts (
    campaign_id  TEXT    NOT NULL,
    carrier      TEXT    NOT NULL,
    counter      TEXT    NOT NULL,                -- received | opened | fallback | saved
    count        INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, carrier, counter)
) WITHOUT ROWID;

-- A campaign with options.fallback, from its launch until the sweep has passed its last push
-- delivery: `position` is the sweep's keyset (the last push delivery id it settled), moved in the
-- transaction that plans that page's SMS, so a sweep that dies resumes there and a number is never
-- planned twice (ux_deliveries drops a repeat anyway). While done_at is null the campaign is not over.
CREATE TABLE push_fallbacks (
    campaign_id  TEXT    NOT NULL PRIMARY KEY,
    after_ms     INTEGER NOT NULL,                -- how long a push may go unacknowledged
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    done_at      INTEGER NULL
);
CREATE INDEX ix_push_fallbacks_open ON push_fallbacks (campaign_id) WHERE done_at IS NULL;
