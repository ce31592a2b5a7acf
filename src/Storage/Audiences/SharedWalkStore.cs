using Dapper;

namespace Loa.Storage.Audiences;

/// <summary>A set of lists' shared numbers as walked (0036_shared_walks.sql): <c>Groups</c> is the walker's JSON (column <c>shapes</c>).</summary>
public sealed record SharedWalkRow(string Routes, long Numbers, long ComputedAt, string Groups);

/// <summary>
/// The kept results of walking a set of lists for the numbers they share, one row per set (keyed by
/// the sorted ids' hash). Lists never change after upload, so a row is replaced only when walked again
/// under another prefix table.
/// </summary>
public sealed class SharedWalkStore(Database database, TimeProvider time)
{
    private static readonly Sql Find = Sql.Both(
        "SELECT routes AS Routes, numbers AS Numbers, computed_at AS ComputedAt, shapes AS Groups FROM shared_walks WHERE lists_key = @key");

    private static readonly Sql Save = new(
        Sqlite: """
            INSERT INTO shared_walks (lists_key, lists, routes, numbers, computed_at, shapes) VALUES (@key, @lists, @routes, @numbers, @at, @groups)
            ON CONFLICT (lists_key) DO UPDATE SET routes = excluded.routes, numbers = excluded.numbers, computed_at = excluded.computed_at, shapes = excluded.shapes
            """,
        SqlServer: """
            MERGE shared_walks WITH (HOLDLOCK) AS w
            USING (SELECT @key AS lists_key) AS s ON w.lists_key = s.lists_key
            WHEN MATCHED THEN UPDATE SET routes = @routes, numbers = @numbers, computed_at = @at, shapes = @groups
            WHEN NOT MATCHED THEN INSERT (lists_key, lists, routes, numbers, computed_at, shapes) VALUES (@key, @lists, @routes, @numbers, @at, @groups);
            """);

    /// <summary>The key of a set of lists: the same whatever their order or repeats.</summary>
    public static (string Key, string Lists) KeyOf(IEnumerable<string> listIds)
    {
        var lists = string.Join(',', listIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return (Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(lists))), lists);
    }

    public async Task<SharedWalkRow?> FindAsync(IEnumerable<string> listIds, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SharedWalkRow>(new CommandDefinition(
            database.Text(Find), new { key = KeyOf(listIds).Key }, cancellationToken: cancellationToken));
    }

    public async Task SaveAsync(IEnumerable<string> listIds, string routes, long numbers, string groups, CancellationToken cancellationToken = default)
    {
        var (key, lists) = KeyOf(listIds);
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            database.Text(Save), new { key, lists, routes, numbers, at = time.Ms(), groups }, transaction, cancellationToken: cancellationToken)), cancellationToken);
    }
}
