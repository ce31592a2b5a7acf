-- Issue 17, topics: an app on topics (Loa:Push:Apps:<app>:UseTopics) is sent one notification per
-- province and language, recorded as one delivery per topic, so a phone's acknowledgement has no
-- delivery of its own to be keyed by (push_acks). It is kept here instead, one row per campaign and
-- device ever: the primary key makes an ack count once however often the app repeats it, and an
-- `opened` sets opened_at once, as in push_acks. Written at the rate phones wake: one key insert.
-- No fallback reads it (a topic send says nothing of who it reached: the sweep passes topic deliveries).
CREATE TABLE push_topic_acks (
    campaign_id  TEXT    NOT NULL,
    device_id    INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    opened_at    INTEGER NULL,
    PRIMARY KEY (campaign_id, device_id)
) WITHOUT ROWID;
