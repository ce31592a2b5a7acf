using Dapper;

namespace Loa.Storage.Suppression;

public sealed record OptOutRow(string Msisdn, string Tenant, string Source, string CreatedBy, long CreatedAt);

/// <param name="Duplicates">Numbers opted out already (by any tenant) or met earlier in this upload.</param>
/// <param name="RepeatsInUpload">Of those, the ones met earlier in this upload: all a province may be told.</param>
public sealed record OptOutImport(int Accepted, int Duplicates, int RepeatsInUpload);

/// <summary>Opt-outs and the awareness frequency cap: who an awareness campaign must leave out.</summary>
public sealed class SuppressionStore(Database database, TimeProvider time)
{
    private static readonly Sql InsertOptOut = new(
        Sqlite: """
            INSERT INTO optouts (msisdn, tenant, source, created_by, created_at) VALUES (@msisdn, @tenant, @source, @by, @now)
            ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO optouts (msisdn, tenant, source, created_by, created_at)
            SELECT @msisdn, @tenant, @source, @by, @now WHERE NOT EXISTS (SELECT 1 FROM optouts WHERE msisdn = @msisdn)
            """);

    // One statement per chunk of an upload: @rows is a JSON array of distinct numbers. (SQLite needs
    // the WHERE to tell the upsert's ON from a join's.)
    private static readonly Sql InsertOptOuts = new(
        Sqlite: """
            INSERT INTO optouts (msisdn, tenant, source, created_by, created_at)
            SELECT value, @tenant, 'csv', @by, @now FROM json_each(@rows) WHERE true
            ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO optouts (msisdn, tenant, source, created_by, created_at)
            SELECT j.m, @tenant, 'csv', @by, @now FROM OPENJSON(@rows) WITH (m VARCHAR(32) '$') j
            WHERE NOT EXISTS (SELECT 1 FROM optouts o WHERE o.msisdn = j.m)
            """);

    /// <returns>False when the number had opted out already.</returns>
    public async Task<bool> OptOutAsync(string msisdn, string tenant, string source, string by, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(database.Text(InsertOptOut), new { msisdn, tenant, source, by, now = time.Ms() }) == 1;
    }

    /// <summary>Numbers per statement of an upload: one JSON parameter each, not a statement per number.</summary>
    public const int OptOutChunkRows = 5_000;

    /// <summary>
    /// Writes an upload's numbers in one transaction, all or nothing, a chunk per statement. The
    /// transaction holds the write lock while <paramref name="msisdns"/> is read: the caller hands
    /// in an upload it has already received in full (see OptOutsApi), never one still arriving.
    /// </summary>
    public async Task<OptOutImport> ImportOptOutsAsync(IAsyncEnumerable<string> msisdns, string tenant, string by, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        int accepted = 0, duplicates = 0, repeats = 0;
        // Repeats within a chunk are dropped here, so that SQL Server's NOT EXISTS never meets two equal keys in one statement.
        var chunk = new HashSet<string>(OptOutChunkRows, StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await foreach (var msisdn in msisdns.WithCancellation(cancellationToken))
        {
            if (!chunk.Add(msisdn))
            {
                duplicates++;
                repeats++;
                continue;
            }
            if (chunk.Count >= OptOutChunkRows)
                await FlushAsync();
        }
        await FlushAsync();
        await transaction.CommitAsync(cancellationToken);
        return new OptOutImport(accepted, duplicates, repeats);

        async Task FlushAsync()
        {
            if (chunk.Count == 0)
                return;
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                database.Text(InsertOptOuts), new { rows = JsonRows.Of(chunk), tenant, by, now }, transaction, cancellationToken: cancellationToken));
            accepted += inserted;
            duplicates += chunk.Count - inserted; // opted out already, or earlier in this upload
            chunk.Clear();
        }
    }

    public async Task<OptOutRow?> GetOptOutAsync(string msisdn, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<OptOutRow>(
            "SELECT msisdn AS Msisdn, tenant AS Tenant, source AS Source, created_by AS CreatedBy, created_at AS CreatedAt FROM optouts WHERE msisdn = @msisdn",
            new { msisdn });
    }

    public async Task<bool> RemoveOptOutAsync(string msisdn, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM optouts WHERE msisdn = @msisdn", new { msisdn }) == 1;
    }

    // The opt-outs (small) drive the join, probing the list's key once each. CROSS JOIN fixes that order on
    // SQLite, whose planner otherwise took the list as the outer loop and walked all its members: 0.5-1 s of
    // an awareness preview of a 1M list with 1,000 opt-outs (issue 19). SQL Server orders it by its statistics.
    internal static readonly Sql OptedOutMembers = Sql.Both("""
        SELECT m.msisdn, m.province, m.commune, m.tags
        FROM optouts o CROSS JOIN list_members m
        WHERE m.list_id = @listId AND m.msisdn = o.msisdn
        """);

    /// <summary>
    /// Members of a list who opted out, with their province, commune and tags, for the preview: the opt-outs (small) drive
    /// the join, probing the list's key once each.
    /// </summary>
    public async Task<IReadOnlyList<(string Msisdn, string Province, string? Commune, string? Tags)>> OptedOutMembersAsync(string listId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<(string, string, string?, string?)>(new CommandDefinition(
            database.Text(OptedOutMembers), new { listId }, cancellationToken: cancellationToken))).AsList();
    }

    // The numbers that had @Cap awareness messages since @Since (the last 24 hours' contacts, which the
    // planner prunes), probed in the list by key: the same rule the planner applies page by page. The
    // CROSS JOIN keeps the capped numbers the outer loop on SQLite, as for the opt-outs above.
    internal static readonly Sql CappedMembers = Sql.Both("""
        SELECT m.msisdn, m.province, m.commune, m.tags
        FROM (SELECT msisdn FROM awareness_contacts WHERE at > @since GROUP BY msisdn HAVING COUNT(*) >= @cap) a
        CROSS JOIN list_members m
        WHERE m.list_id = @listId AND m.msisdn = a.msisdn
        """);

    /// <summary>Members of a list that reached the frequency cap (<paramref name="cap"/> awareness messages since <paramref name="since"/>, unix ms), for the preview.</summary>
    public async Task<IReadOnlyList<(string Msisdn, string Province, string? Commune, string? Tags)>> CappedMembersAsync(string listId, int cap, long since, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<(string, string, string?, string?)>(new CommandDefinition(
            database.Text(CappedMembers), new { listId, cap, since }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Members of a list that are among <paramref name="msisdns"/> (the test allow-list, which is short), with their province.</summary>
    public async Task<IReadOnlyList<(string Msisdn, string Province, string? Commune, string? Tags)>> MembersAmongAsync(string listId, IReadOnlyCollection<string> msisdns, CancellationToken cancellationToken = default)
    {
        if (msisdns.Count == 0)
            return [];
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<(string, string, string?, string?)>(new CommandDefinition(
            "SELECT msisdn, province, commune, tags FROM list_members WHERE list_id = @listId AND msisdn IN @msisdns",
            new { listId, msisdns }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Forgets awareness contacts older than the cap's 24 hours.</summary>
    public async Task<int> PruneContactsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM awareness_contacts WHERE at < @before", new { before = time.Ms() - (long)TimeSpan.FromDays(1).TotalMilliseconds });
    }
}
