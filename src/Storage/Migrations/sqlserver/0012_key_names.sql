-- Key names become unique among a tenant's active keys (SQL Server). Same rule and meaning as
-- sqlite/0012_key_names.sql; "ignoring case" is the database's default collation here (the
-- usual _CI_ collations), as it is for every other name column.
--
-- Existing duplicates: the oldest active key of each name keeps it, each later one is renamed
-- '<name> (<id>)', cut so that it fits the column. No key is revoked.
UPDATE k
SET name = LEFT(k.name, 197 - LEN(k.id)) + N' (' + k.id + N')'
FROM api_keys k
WHERE k.revoked_at IS NULL
  AND EXISTS (
    SELECT 1 FROM api_keys older
    WHERE older.revoked_at IS NULL
      AND older.tenant = k.tenant
      AND older.name = k.name
      AND (older.created_at < k.created_at OR (older.created_at = k.created_at AND older.id < k.id)));
GO
CREATE UNIQUE INDEX ux_api_keys_tenant_name ON api_keys (tenant, name) WHERE revoked_at IS NULL;
