-- Key names become unique among a tenant's active keys, ignoring case (issue 14): a key's name is a
-- label people read in key listings and audit rows, and two active "dev-operator"s in one tenant
-- cannot be told apart. Per tenant, not across tenants: a province refused a name because a national
-- key holds it would learn that key exists. Revoked keys give their name up for a replacement.
--
-- A database may already hold duplicates. The oldest active key of each name keeps it; each later
-- one is renamed '<name> (<id>)', which is unique because ids are. No key is revoked: every key
-- keeps working, and principals are recorded by id, so no record changes meaning.
UPDATE api_keys
SET name = substr(name, 1, 197 - length(id)) || ' (' || id || ')'
WHERE revoked_at IS NULL
  AND EXISTS (
    SELECT 1 FROM api_keys older
    WHERE older.revoked_at IS NULL
      AND older.tenant = api_keys.tenant
      AND older.name = api_keys.name COLLATE NOCASE
      AND (older.created_at < api_keys.created_at OR (older.created_at = api_keys.created_at AND older.id < api_keys.id)));

CREATE UNIQUE INDEX ux_api_keys_tenant_name ON api_keys (tenant, name COLLATE NOCASE) WHERE revoked_at IS NULL;
