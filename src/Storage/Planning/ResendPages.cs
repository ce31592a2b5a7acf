using Dapper;
using Loa.Contracts;
using Loa.Storage.Deliveries;

namespace Loa.Storage.Planning;

/// <summary>Which of a campaign's outcomes a re-send aims at, as the queries below bind them.</summary>
public sealed record ResendStates(bool Failed, bool Expired, bool Unknown)
{
    public static ResendStates Of(IEnumerable<string> statuses)
    {
        var set = statuses.ToHashSet(StringComparer.Ordinal);
        return new(set.Contains(ResendStatus.Failed), set.Contains(ResendStatus.Expired), set.Contains(ResendStatus.Unknown));
    }

    /// <summary>The outcome a delivery row's status and error stand for, as a re-send names it (null: not one it can aim at).</summary>
    public static string? OutcomeOf(string status, string? error) => status switch
    {
        DeliveryStatus.Expired => ResendStatus.Expired,
        DeliveryStatus.Failed => error == DeliveryReason.UnknownAfterCrash ? ResendStatus.Unknown : ResendStatus.Failed,
        _ => null,
    };
}

/// <summary>
/// The audience of a re-send: the SMS recipients of the original campaign whose delivery ended in the
/// outcomes named, streamed from the original's deliveries in keyset pages of recipient (ux_deliveries
/// is (campaign_id, recipient, channel): it serves the filter and the order, so a page never sorts and
/// the audience is never held whole), with the same routing and suppression facts a list page has.
/// The preview's reads are here too, each driven by a small table (ported numbers, opt-outs, the day's
/// contacts, the test allow-list) probing the original's deliveries by key; the recipients themselves
/// are counted from the original's counters (DeliveryReads), never from its rows.
/// </summary>
public sealed class ResendPages(Database database)
{
    // An unknown outcome is a failed row with Loa's own reason; a row failed for any other reason is 'failed'.
    private const string InStates = """
        d.channel = 'sms'
        AND ((d.status = 'expired' AND @Expired = 1)
          OR (d.status = 'failed' AND (CASE WHEN d.error = @UnknownReason THEN @Unknown ELSE @Failed END) = 1))
        """;

    private static readonly Sql Members = new(
        Sqlite: $"""
            SELECT d.recipient AS Msisdn, d.province AS Province, d.tags AS Tags FROM deliveries d
            WHERE d.campaign_id = @CampaignId AND d.recipient > @After AND {InStates}
            ORDER BY d.recipient LIMIT @Limit
            """,
        SqlServer: $"""
            SELECT TOP (@Limit) d.recipient AS Msisdn, d.province AS Province, d.tags AS Tags FROM deliveries d
            WHERE d.campaign_id = @CampaignId AND d.recipient > @After AND {InStates}
            ORDER BY d.recipient
            """);

    private static readonly Sql PortedInRange = Sql.Both($"""
        SELECT d.recipient, p.carrier FROM deliveries d JOIN ported_numbers p ON p.msisdn = d.recipient
        WHERE d.campaign_id = @CampaignId AND d.recipient > @After AND d.recipient <= @Last AND {InStates}
        """);

    private static readonly Sql OptedOutInRange = Sql.Both($"""
        SELECT d.recipient FROM deliveries d JOIN optouts o ON o.msisdn = d.recipient
        WHERE d.campaign_id = @CampaignId AND d.recipient > @After AND d.recipient <= @Last AND {InStates}
        """);

    private static readonly Sql CappedInRange = Sql.Both($"""
        SELECT d.recipient FROM deliveries d JOIN awareness_contacts a ON a.msisdn = d.recipient
        WHERE d.campaign_id = @CampaignId AND d.recipient > @After AND d.recipient <= @Last AND a.at > @Since AND {InStates}
        GROUP BY d.recipient HAVING COUNT(*) >= @Cap
        """);

    /// <summary>Up to <paramref name="limit"/> recipients after <paramref name="after"/>, in key order, with their routing and suppression facts.</summary>
    public async Task<AudiencePage> ReadAsync(
        string campaignId, ResendStates states, string after, int limit, SuppressionChecks checks, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // The original's tags go with the re-send, so its reach counts under the same target groups.
        var members = (await connection.QueryAsync<(string Msisdn, string Province, string? Tags)>(new CommandDefinition(
            database.Text(Members), Bind(campaignId, states, new { After = after, Limit = limit }), cancellationToken: cancellationToken)))
            .Select(m => new AudienceMember(m.Msisdn, m.Province, Tags: m.Tags)).ToList();
        if (members.Count == 0)
            return new AudiencePage(members, new Dictionary<string, string>(), new HashSet<string>(), new HashSet<string>());

        var range = new { After = after, Last = members[^1].Msisdn };
        var ported = (await connection.QueryAsync<(string Msisdn, string Carrier)>(database.Text(PortedInRange), Bind(campaignId, states, range)))
            .ToDictionary(x => x.Msisdn, x => x.Carrier);
        HashSet<string> optedOut = [], capped = [];
        if (checks.OptOuts)
            optedOut = (await connection.QueryAsync<string>(database.Text(OptedOutInRange), Bind(campaignId, states, range))).ToHashSet();
        if (checks.CapPerDay > 0)
        {
            capped = (await connection.QueryAsync<string>(database.Text(CappedInRange), Bind(campaignId, states, new
            {
                range.After, range.Last, Cap = checks.CapPerDay, Since = checks.CapSince,
            }))).ToHashSet();
        }
        return new AudiencePage(members, ported, optedOut, capped);
    }

    /// <summary>The re-send's recipients whose number is ported, with the carrier the original routed them to and the one they are ported to now.</summary>
    public async Task<IReadOnlyList<(string Msisdn, string Carrier, string PortedTo)>> PortedAsync(
        string campaignId, ResendStates states, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<(string, string, string)>(new CommandDefinition(
            $"SELECT d.recipient, d.carrier, p.carrier FROM ported_numbers p JOIN deliveries d ON d.campaign_id = @CampaignId AND d.recipient = p.msisdn WHERE {InStates}",
            Bind(campaignId, states, new { }), cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The re-send's recipients who opted out (the opt-outs drive the join).</summary>
    public async Task<IReadOnlyList<string>> OptedOutAsync(string campaignId, ResendStates states, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT d.recipient FROM optouts o JOIN deliveries d ON d.campaign_id = @CampaignId AND d.recipient = o.msisdn WHERE {InStates}",
            Bind(campaignId, states, new { }), cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The re-send's recipients at the frequency cap (<paramref name="cap"/> awareness messages since <paramref name="since"/>).</summary>
    public async Task<IReadOnlyList<string>> CappedAsync(string campaignId, ResendStates states, int cap, long since, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            $"""
            SELECT d.recipient
            FROM (SELECT msisdn FROM awareness_contacts WHERE at > @since GROUP BY msisdn HAVING COUNT(*) >= @cap) a
            JOIN deliveries d ON d.campaign_id = @CampaignId AND d.recipient = a.msisdn
            WHERE {InStates}
            """,
            Bind(campaignId, states, new { cap, since }), cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The re-send's recipients among <paramref name="msisdns"/> (the test allow-list, which is short).</summary>
    public async Task<IReadOnlyList<string>> AmongAsync(string campaignId, ResendStates states, IReadOnlyCollection<string> msisdns, CancellationToken cancellationToken = default)
    {
        if (msisdns.Count == 0)
            return [];
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT d.recipient FROM deliveries d WHERE d.campaign_id = @CampaignId AND d.recipient IN @msisdns AND {InStates}",
            Bind(campaignId, states, new { msisdns }), cancellationToken: cancellationToken))).AsList();
    }

    private static DynamicParameters Bind(string campaignId, ResendStates states, object more)
    {
        var parameters = new DynamicParameters(more);
        parameters.Add("CampaignId", campaignId);
        parameters.Add("Failed", states.Failed ? 1 : 0);
        parameters.Add("Expired", states.Expired ? 1 : 0);
        parameters.Add("Unknown", states.Unknown ? 1 : 0);
        parameters.Add("UnknownReason", DeliveryReason.UnknownAfterCrash);
        return parameters;
    }
}
