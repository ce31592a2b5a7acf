-- Who did what, from where, with what outcome: every state-changing API call and every unmasked
-- read. Append-only and hash-chained: hash = SHA-256 over the row's fields and prev_hash (see
-- AuditStore.Hash), so an edited or deleted row breaks the chain at GET /api/v1/audit/verify.
-- id is assigned by the single writer (last id + 1) inside a BEGIN IMMEDIATE transaction, so the
-- chain never forks.
CREATE TABLE audit_log (
    id          INTEGER NOT NULL PRIMARY KEY,
    at          INTEGER NOT NULL,                 -- unix ms
    who         TEXT    NOT NULL,                 -- principal name; '' when unauthenticated
    tenant      TEXT    NOT NULL,
    action      TEXT    NOT NULL,                 -- 'POST /api/v1/campaigns/{id}/approve'
    target      TEXT,                             -- route value(s), e.g. the campaign id
    from_ip     TEXT,
    outcome     INTEGER NOT NULL,                 -- HTTP status
    details     TEXT,                             -- JSON; numbers masked
    prev_hash   TEXT    NOT NULL,                 -- '' for the first row
    hash        TEXT    NOT NULL                  -- lowercase hex
);

-- Not a defence against whoever owns the file (the hash chain is), but it stops a stray UPDATE.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
