using System.Security.Cryptography;
using System.Text;
using Dapper;

namespace Loa.Storage.Keys;

public sealed record ApiKeyRow(string Id, string Name, string Tenant, string Roles);

/// <summary>Bearer keys, stored only as SHA-256 hashes.</summary>
public sealed class ApiKeyStore(Database database, TimeProvider time)
{
    private static readonly Sql Upsert = new(
        Sqlite: """
            INSERT INTO api_keys (id, key_hash, name, tenant, roles, created_at) VALUES (@Id, @Hash, @Name, @Tenant, @Roles, @At)
            ON CONFLICT (key_hash) DO UPDATE SET name = excluded.name, tenant = excluded.tenant, roles = excluded.roles, revoked_at = NULL
            """,
        SqlServer: """
            MERGE api_keys AS t USING (SELECT @Hash AS key_hash) AS s ON t.key_hash = s.key_hash
            WHEN MATCHED THEN UPDATE SET name = @Name, tenant = @Tenant, roles = @Roles, revoked_at = NULL
            WHEN NOT MATCHED THEN INSERT (id, key_hash, name, tenant, roles, created_at) VALUES (@Id, @Hash, @Name, @Tenant, @Roles, @At);
            """);

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public async Task<ApiKeyRow?> FindAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(
            "SELECT id AS Id, name AS Name, tenant AS Tenant, roles AS Roles FROM api_keys WHERE key_hash = @Hash AND revoked_at IS NULL",
            new { Hash = Hash(key) });
    }

    public async Task UpsertAsync(string key, string name, string tenant, IEnumerable<string> roles, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(database.Text(Upsert), new
        {
            Id = Guid.CreateVersion7().ToString("n"),
            Hash = Hash(key),
            Name = name,
            Tenant = tenant,
            Roles = string.Join(' ', roles),
            At = time.Ms(),
        });
    }

    /// <summary>Revokes every key with one of these names (used to remove development keys outside Development).</summary>
    public async Task<int> RevokeByNameAsync(IEnumerable<string> names, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE api_keys SET revoked_at = @At WHERE name IN @Names AND revoked_at IS NULL",
            new { Names = names.ToArray(), At = time.Ms() });
    }
}
