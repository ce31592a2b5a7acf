using System.Security.Cryptography;
using System.Text;
using Dapper;

namespace Loa.Storage.Keys;

public sealed record ApiKeyRow(string Id, string Name, string Tenant, string Roles);

/// <summary>A key as an administrator sees it: everything but the secret, which is never stored.</summary>
public sealed record ApiKeyListing(string Id, string Name, string Tenant, string Roles, long CreatedAt, long? RevokedAt);

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

    private const string ListingColumns = "id AS Id, name AS Name, tenant AS Tenant, roles AS Roles, created_at AS CreatedAt, revoked_at AS RevokedAt";

    private static readonly Sql Page = new(
        Sqlite: $"""
            SELECT {ListingColumns} FROM api_keys
            WHERE (@Tenant IS NULL OR tenant = @Tenant) AND id > @After
            ORDER BY id LIMIT @Limit
            """,
        SqlServer: $"""
            SELECT TOP (@Limit) {ListingColumns} FROM api_keys
            WHERE (@Tenant IS NULL OR tenant = @Tenant) AND id > @After
            ORDER BY id
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

    /// <summary>Stores a new key by its hash; the caller hands the key itself to its owner once and forgets it.</summary>
    public async Task<ApiKeyListing> CreateAsync(string key, string name, string tenant, IEnumerable<string> roles, CancellationToken cancellationToken = default)
    {
        var row = new ApiKeyListing(Guid.CreateVersion7().ToString("n"), name, tenant, string.Join(' ', roles), time.Ms(), null);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO api_keys (id, key_hash, name, tenant, roles, created_at) VALUES (@Id, @Hash, @Name, @Tenant, @Roles, @CreatedAt)",
            new { row.Id, Hash = Hash(key), row.Name, row.Tenant, row.Roles, row.CreatedAt });
        return row;
    }

    /// <summary>Keyset paging by id; a null tenant means every tenant.</summary>
    public async Task<IReadOnlyList<ApiKeyListing>> PageAsync(string? tenant, string after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ApiKeyListing>(database.Text(Page), new { Tenant = tenant, After = after, Limit = limit })).ToList();
    }

    public async Task<ApiKeyListing?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApiKeyListing>(
            $"SELECT {ListingColumns} FROM api_keys WHERE id = @Id", new { Id = id });
    }

    /// <summary>
    /// The names of these keys, by id, revoked keys included (what a key did stays done under its name);
    /// an id with no key is left out. Labels for the principal ids recorded on campaigns, read for a whole
    /// page at once: only the name, nothing else of a key that may belong to another tenant.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> NamesAsync(IEnumerable<string> ids, CancellationToken cancellationToken = default)
    {
        var wanted = ids.Distinct(StringComparer.Ordinal).ToList();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (wanted.Count == 0)
            return names;
        await using var connection = await database.OpenAsync(cancellationToken);
        // SQL Server takes at most 2,100 parameters a statement: a page of 500 campaigns names at most
        // 1,500 keys (one query), and only a larger set needs a second.
        foreach (var chunk in wanted.Chunk(2000))
        {
            foreach (var (id, name) in await connection.QueryAsync<(string Id, string Name)>(
                "SELECT id AS Id, name AS Name FROM api_keys WHERE id IN @Ids", new { Ids = chunk }))
                names[id] = name;
        }
        return names;
    }

    /// <summary>
    /// Revokes one key (a key already revoked keeps its first revocation time) and returns its hash,
    /// so that caches of lookups can forget it; null when there is no such key.
    /// </summary>
    public async Task<string?> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "UPDATE api_keys SET revoked_at = @At WHERE id = @Id AND revoked_at IS NULL", new { Id = id, At = time.Ms() });
        return await connection.QuerySingleOrDefaultAsync<string>("SELECT key_hash FROM api_keys WHERE id = @Id", new { Id = id });
    }

    /// <summary>Revokes every key with one of these names (used to remove development keys outside Development).</summary>
    public async Task<int> RevokeByNameAsync(IEnumerable<string> names, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE api_keys SET revoked_at = @At WHERE name IN @Names AND revoked_at IS NULL",
            new { Names = names.ToArray(), At = time.Ms() });
    }

    /// <summary>Revokes every key whose secret is one of these, whatever it is named.</summary>
    public async Task<int> RevokeByKeyAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE api_keys SET revoked_at = @At WHERE key_hash IN @Hashes AND revoked_at IS NULL",
            new { Hashes = keys.Select(Hash).ToArray(), At = time.Ms() });
    }
}
