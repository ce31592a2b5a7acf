-- The devices apps register for push (issue 17). The token is a secret: it is kept only as its
-- SHA-256 (lowercase hex, the lookup key) and as a Data Protection payload the sender unprotects
-- (purpose "Loa.Devices.Token"), never as written. A device belongs to the tenant of the key that
-- last registered it.
--
-- Keyed for 10M devices: the token hash finds one device (register, update, delete), and the
-- planner will walk an audience by (app, province, language) in id order, a keyset page at a time,
-- never a scan. id is the rowid: stable across VACUUM because it is declared, and the order a
-- page cursor follows. In SQLite a TEXT primary key would be one more unique index beside the rowid
-- anyway, so the hash's uniqueness is that index, by name.
CREATE TABLE devices (
    id          INTEGER NOT NULL PRIMARY KEY,
    token_hash  TEXT    NOT NULL,                 -- lowercase hex SHA-256 of the token (UTF-8)
    token       TEXT    NOT NULL,                 -- the token, protected (Data Protection), for sending
    platform    TEXT    NOT NULL,                 -- android | ios
    app         TEXT    NOT NULL,
    province    TEXT    NOT NULL,
    language    TEXT    NOT NULL,                 -- vi | en
    msisdn      TEXT    NULL,                     -- E.164, for cross-channel dedup and fallback
    tenant      TEXT    NOT NULL,
    registered_by TEXT  NOT NULL,                 -- principal id of the last registration
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX ux_devices_token_hash ON devices (token_hash);
CREATE INDEX ix_devices_audience ON devices (app, province, language, id);
