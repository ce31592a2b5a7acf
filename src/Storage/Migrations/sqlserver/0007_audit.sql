-- Who did what, from where, with what outcome: every state-changing API call and every unmasked
-- read. Append-only and hash-chained (see AuditStore.Hash). id is assigned by the single writer
-- (last id + 1) under sp_getapplock, so the chain never forks.
CREATE TABLE audit_log (
    id          BIGINT         NOT NULL PRIMARY KEY,
    at          BIGINT         NOT NULL,
    who         NVARCHAR(200)  NOT NULL,
    tenant      NVARCHAR(16)   NOT NULL,
    action      NVARCHAR(300)  NOT NULL,
    target      NVARCHAR(300)  NULL,
    from_ip     VARCHAR(64)    NULL,
    outcome     INT            NOT NULL,
    details     NVARCHAR(MAX)  NULL,
    prev_hash   VARCHAR(64)    NOT NULL,      -- '' for the first row
    hash        VARCHAR(64)    NOT NULL
);
GO
-- Not a defence against whoever owns the database (the hash chain is), but it stops a stray UPDATE.
CREATE TRIGGER audit_log_append_only ON audit_log INSTEAD OF UPDATE, DELETE
AS
BEGIN
    THROW 51000, 'audit_log is append-only', 1;
END
GO
