-- Issue 19, geography as it is today: the communes (xã, phường, đặc khu) of the 2025 units, which
-- operators load (PUT /api/v1/geography/communes, CommuneStore.ReplaceAsync): Loa ships none, no
-- table of the 3,321 communes being available from a source that could be checked. While it is
-- empty a member's commune is checked for its form only; once loaded, a commune must be one of it
-- and of the member's province, and a 5-digit CAP geocode is placed in its province.
CREATE TABLE communes (
    code        TEXT    NOT NULL PRIMARY KEY,     -- 5 digits, numbered across the country (no province prefix)
    name        TEXT    NOT NULL,
    province    TEXT    NOT NULL,                 -- provinces.code, canonical 2 digits
    updated_at  INTEGER NOT NULL                  -- unix ms of the load that wrote it (every row of a load alike)
);
CREATE INDEX ix_communes_province ON communes (province, code);
