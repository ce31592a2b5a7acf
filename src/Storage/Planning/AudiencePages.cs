using Dapper;

namespace Loa.Storage.Planning;

/// <param name="Tags">The member's tag set as stored (<see cref="SegmentTags"/>), or null.</param>
public sealed record AudienceMember(string Msisdn, string Province, string? Commune = null, string? Tags = null);

/// <summary>What an awareness page is checked against: opt-outs, and the frequency cap (0 = none) since a time (unix ms).</summary>
public sealed record SuppressionChecks(bool OptOuts, int CapPerDay, long CapSince)
{
    public static readonly SuppressionChecks None = new(false, 0, 0);
}

/// <summary>
/// One keyset page of a list, with what the planner needs to route and suppress it: the ported
/// numbers among its members, and (for awareness) those who opted out or reached the cap.
/// </summary>
public sealed record AudiencePage(
    IReadOnlyList<AudienceMember> Members,
    IReadOnlyDictionary<string, string> Ported,
    IReadOnlySet<string> OptedOut,
    IReadOnlySet<string> Capped);

/// <summary>
/// The planner's reads: a list streamed in keyset pages (<c>WHERE msisdn &gt; @After ORDER BY msisdn</c>,
/// never OFFSET), and for each page its ported numbers and suppressions, one query each over the
/// page's key range, never one per number. Reads need no write lock (SQLite WAL), so the planner reads
/// the next page while the last one is written.
/// </summary>
public sealed class AudiencePages(Database database)
{
    private static readonly Sql Members = new(
        Sqlite: """
            SELECT msisdn AS Msisdn, province AS Province, commune AS Commune, tags AS Tags FROM list_members
            WHERE list_id = @ListId AND msisdn > @After ORDER BY msisdn LIMIT @Limit
            """,
        SqlServer: """
            SELECT TOP (@Limit) msisdn AS Msisdn, province AS Province, commune AS Commune, tags AS Tags FROM list_members
            WHERE list_id = @ListId AND msisdn > @After ORDER BY msisdn
            """);

    private static readonly Sql PortedInRange = Sql.Both("""
        SELECT m.msisdn AS Msisdn, p.carrier AS Carrier
        FROM list_members m JOIN ported_numbers p ON p.msisdn = m.msisdn
        WHERE m.list_id = @ListId AND m.msisdn > @After AND m.msisdn <= @Last
        """);

    // The small table drives the join.
    private static readonly Sql OptedOutInRange = Sql.Both("""
        SELECT m.msisdn FROM list_members m JOIN optouts o ON o.msisdn = m.msisdn
        WHERE m.list_id = @ListId AND m.msisdn > @After AND m.msisdn <= @Last
        """);

    // Members that already had @Cap awareness messages since @Since (contacts are written by PlanWriter).
    private static readonly Sql CappedInRange = Sql.Both("""
        SELECT m.msisdn FROM list_members m JOIN awareness_contacts a ON a.msisdn = m.msisdn
        WHERE m.list_id = @ListId AND m.msisdn > @After AND m.msisdn <= @Last AND a.at > @Since
        GROUP BY m.msisdn HAVING COUNT(*) >= @Cap
        """);

    /// <summary>Up to <paramref name="limit"/> members of a list after <paramref name="after"/>, in key order, with their routing and suppression facts.</summary>
    public async Task<AudiencePage> ReadAsync(string listId, string after, int limit, SuppressionChecks checks, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var members = (await connection.QueryAsync<AudienceMember>(new CommandDefinition(
            database.Text(Members), new { ListId = listId, After = after, Limit = limit }, cancellationToken: cancellationToken))).AsList();
        if (members.Count == 0)
            return new AudiencePage(members, new Dictionary<string, string>(), new HashSet<string>(), new HashSet<string>());

        var range = new { ListId = listId, After = after, Last = members[^1].Msisdn };
        var ported = (await connection.QueryAsync<(string Msisdn, string Carrier)>(database.Text(PortedInRange), range))
            .ToDictionary(x => x.Msisdn, x => x.Carrier);
        HashSet<string> optedOut = [], capped = [];
        if (checks.OptOuts)
            optedOut = (await connection.QueryAsync<string>(database.Text(OptedOutInRange), range)).ToHashSet();
        if (checks.CapPerDay > 0)
        {
            capped = (await connection.QueryAsync<string>(database.Text(CappedInRange), new
            {
                range.ListId, range.After, range.Last, Cap = checks.CapPerDay, Since = checks.CapSince,
            })).ToHashSet();
        }
        return new AudiencePage(members, ported, optedOut, capped);
    }
}
