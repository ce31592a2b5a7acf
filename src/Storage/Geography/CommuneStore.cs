using Dapper;

namespace Loa.Storage.Geography;

/// <summary>A commune of today: <c>Province</c> the canonical 2-digit code of the unit it belongs to.</summary>
public sealed record Commune(string Code, string Name, string Province);

/// <summary>A list whose members' communes the loaded table contradicts: how many it does not hold, how many it places in another province.</summary>
/// <remarks>Properties, not a positional record: Dapper converts each column to them (SQLite types a SUM by its value, or as a blob when no row comes).</remarks>
public sealed class ListToReview
{
    public required string ListId { get; init; }
    public required string Name { get; init; }
    public required string Tenant { get; init; }
    public long UnknownCommune { get; init; }
    public long OtherProvince { get; init; }
}

/// <summary>
/// The commune table as one read saw it, for checks on a hot path (a list upload of millions of rows, CAP
/// intake): looked up in memory, never by a query per row. <see cref="IsEmpty"/> means no table is loaded,
/// and communes are checked for their form only.
/// </summary>
public sealed class CommuneTable
{
    public static readonly CommuneTable Empty = new([], 0);

    private readonly Dictionary<string, Commune> byCode;

    /// <param name="version">The load's stamp (<c>updated_at</c>); any number but 0 for a table built by hand.</param>
    public CommuneTable(IEnumerable<Commune> communes, long version)
    {
        byCode = communes.ToDictionary(c => c.Code, StringComparer.Ordinal);
        Version = version;
    }

    /// <summary>The <c>updated_at</c> of the load this snapshot is of; 0 for none.</summary>
    public long Version { get; }

    public int Count => byCode.Count;

    public bool IsEmpty => byCode.Count == 0;

    public Commune? Find(string code) => byCode.GetValueOrDefault(code);
}

/// <summary>
/// The table <c>communes</c> (issue 19): loaded whole by an operator (Loa ships no commune data), replaced
/// whole, read whole into a <see cref="CommuneTable"/> that is kept until a load changes it.
/// </summary>
public sealed class CommuneStore(Database database, TimeProvider time)
{
    private readonly SemaphoreSlim reading = new(1, 1);
    private CommuneTable? snapshot;

    /// <summary>
    /// Replaces every row with <paramref name="communes"/> in one transaction: a reader sees the old table or
    /// the new, never half of each. Each load is stamped with a time later than the last's, which is how every
    /// host (not only this one) sees that its snapshot is stale.
    /// </summary>
    public async Task ReplaceAsync(IReadOnlyList<Commune> communes, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var last = await connection.ExecuteScalarAsync<long?>("SELECT MAX(updated_at) FROM communes", transaction: transaction) ?? 0;
        var stamp = Math.Max(time.GetUtcNow().ToUnixTimeMilliseconds(), last + 1);
        await connection.ExecuteAsync("DELETE FROM communes", transaction: transaction);
        await connection.ExecuteAsync(
            "INSERT INTO communes (code, name, province, updated_at) VALUES (@Code, @Name, @Province, @Stamp)",
            communes.Select(c => new { c.Code, c.Name, c.Province, Stamp = stamp }), transaction);
        await transaction.CommitAsync(cancellationToken);
        snapshot = null;
    }

    /// <summary>
    /// Empties the table if it holds <paramref name="expected"/> rows, in one transaction (a load committing
    /// meanwhile is never removed unseen). Answers whether it did, and the table's size as it found it.
    /// </summary>
    public async Task<(bool Cleared, int Size)> ClearAsync(int expected, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var size = await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM communes", transaction: transaction);
        if (size != expected)
            return (false, size);
        await connection.ExecuteAsync("DELETE FROM communes", transaction: transaction);
        await transaction.CommitAsync(cancellationToken);
        snapshot = null;
        return (true, size);
    }

    /// <summary>
    /// The whole table (some 3,300 rows at most), read again only when a load has changed it since: one
    /// cheap aggregate per call (on this host or another), never a read per commune looked up.
    /// </summary>
    public async Task<CommuneTable> TableAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var version = await VersionAsync(connection);
        if (snapshot is { } kept && kept.Version == version)
            return kept;
        await reading.WaitAsync(cancellationToken);
        try
        {
            if (snapshot is { } again && again.Version == version)
                return again;
            if (version == 0)
                return snapshot = CommuneTable.Empty;
            // Read in one statement: a load committing in between is seen whole or not at all; its stamp is the version.
            var rows = (await connection.QueryAsync<(string Code, string Name, string Province, long UpdatedAt)>(
                "SELECT code, name, province, updated_at FROM communes")).ToList();
            return snapshot = rows.Count == 0 ? CommuneTable.Empty : new CommuneTable(
                rows.Select(r => new Commune(r.Code, r.Name, r.Province)), rows.Max(r => r.UpdatedAt));
        }
        finally
        {
            reading.Release();
        }
    }

    /// <summary>True while no operator has loaded a table: communes are then checked for their form only.</summary>
    public async Task<bool> IsEmptyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>("SELECT CASE WHEN EXISTS (SELECT 1 FROM communes) THEN 0 ELSE 1 END") == 1;
    }

    /// <summary>The canonical code of the province <paramref name="code"/> belongs to; null for a commune the table does not hold.</summary>
    public async Task<string?> ProvinceOfAsync(string code, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<string>(
            "SELECT province FROM communes WHERE code = @code", new { code = new DbString { Value = code, IsAnsi = true, Length = 5 } });
    }

    /// <summary>A page of communes by code, after <paramref name="after"/> (exclusive), of one province or all.</summary>
    public async Task<IReadOnlyList<Commune>> PageAsync(string? province, string after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var sql = database.Text(province is null
            ? new Sql(
                "SELECT code AS Code, name AS Name, province AS Province FROM communes WHERE code > @after ORDER BY code LIMIT @limit",
                "SELECT TOP (@limit) code AS Code, name AS Name, province AS Province FROM communes WHERE code > @after ORDER BY code")
            : new Sql(
                "SELECT code AS Code, name AS Name, province AS Province FROM communes WHERE province = @province AND code > @after ORDER BY code LIMIT @limit",
                "SELECT TOP (@limit) code AS Code, name AS Name, province AS Province FROM communes WHERE province = @province AND code > @after ORDER BY code"));
        return (await connection.QueryAsync<Commune>(sql, new
        {
            province = new DbString { Value = province, IsAnsi = true, Length = 2 },
            after = new DbString { Value = after, IsAnsi = true },
            limit,
        })).ToList();
    }

    // From the lists' counters (kept at upload, a row per carrier, province, commune and tag set), never from
    // the members: a member whose commune the table does not hold, or holds in another province than the
    // member's own. A member with no province stated is placed by its commune and never counts as elsewhere.
    private const string ListsToReview = """
        SELECT lc.list_id AS ListId, l.name AS Name, l.tenant AS Tenant,
               SUM(CASE WHEN c.code IS NULL THEN lc.recipients ELSE 0 END) AS UnknownCommune,
               SUM(CASE WHEN c.code IS NULL THEN 0 ELSE lc.recipients END) AS OtherProvince
        FROM list_counts lc
        JOIN lists l ON l.id = lc.list_id
        LEFT JOIN communes c ON c.code = lc.commune
        WHERE lc.commune <> '' AND (c.code IS NULL OR (lc.province <> '' AND c.province <> lc.province))
          AND (@tenant IS NULL OR l.tenant = @tenant)
        GROUP BY lc.list_id, l.name, l.tenant
        """;

    /// <summary>
    /// The lists whose members name a commune the loaded table does not hold, or holds in another province
    /// (members uploaded before the table was loaded, or under an earlier one, were checked for their form
    /// only), of <paramref name="tenant"/> or of every tenant when null; null while no table is loaded.
    /// Read from the lists' counters: one pass over them, rows per list, not members.
    /// </summary>
    public async Task<IReadOnlyList<ListToReview>?> ListsToReviewAsync(string? tenant, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (await VersionAsync(connection) == 0)
            return null;
        return (await connection.QueryAsync<ListToReview>(ListsToReview, new { tenant })).ToList();
    }

    private static async Task<long> VersionAsync(System.Data.Common.DbConnection connection) =>
        await connection.ExecuteScalarAsync<long?>("SELECT MAX(updated_at) FROM communes") ?? 0;
}
