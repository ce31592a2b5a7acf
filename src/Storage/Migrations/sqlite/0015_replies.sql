-- What subscribers send back over a carrier's connection (an SMPP deliver_sm that is not a receipt,
-- issue 16). Kept whole: a reply is what an operator reads when a number complains, and the evidence
-- behind an opt-out that came by SMS (opted_out = 1 when the text was an opt-out keyword).
CREATE TABLE replies (
    id          INTEGER NOT NULL PRIMARY KEY,
    carrier     TEXT    NOT NULL,
    msisdn      TEXT    NOT NULL,                 -- E.164
    to_address  TEXT    NOT NULL,                 -- our sender or short code, as the carrier wrote it
    text        TEXT    NOT NULL,
    opted_out   INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX ix_replies_received ON replies (received_at);
CREATE INDEX ix_replies_msisdn ON replies (msisdn);
