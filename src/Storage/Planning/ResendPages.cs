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
/// outcomes named, then the numbers linked to its push deliveries that did (a re-send by SMS of a push campaign), streamed from the original's deliveries in keyset pages of recipient (ux_deliveries
/// is (campaign_id, recipient, channel): it serves the filter and the order, so a page never sorts and
/// the audience is never held whole), with the same routing and suppression facts a list page has.
/// The preview's reads are here too, each driven by a small table (ported numbers, opt-outs, the day's
/// contacts, the test allow-list) probing the original's deliveries by key; the recipients themselves
/// are counted from the original's counters (DeliveryReads), never from its rows.
/// </summary>
public sealed class ResendPages(Database database)
{
    // An unknown outcome is a failed row with Loa's own reason; a row failed for any other reason is 'failed'.
    private static string Outcomes(string row) => $"""
        (({row}.status = 'expired' AND @Expired = 1)
          OR ({row}.status = 'failed' AND (CASE WHEN {row}.error = @UnknownReason THEN @Unknown ELSE @Failed END) = 1))
        """;

    private static readonly string InStates = $"d.channel = 'sms' AND {Outcomes("d")}";

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

    // The numbers linked to the original's push deliveries in the outcomes named (a dead token pruned the device:
    // its number is in pruned_devices), with the facts an SMS to them needs. A topic delivery (recipient
    // <app>-<province>-<language>) has no device and so no number. "Texted": the original has an SMS delivery for
    // the number: in the outcomes named, the SMS source (Members) already holds it; in any other, the original
    // reached that person by SMS (lists, or its push fallback) and a second SMS would be a duplicate.
    private const string LinkedSelect = """
        d.recipient AS Device, COALESCE(v.msisdn, g.msisdn) AS Msisdn, d.province AS Province, p.carrier AS Ported,
        CASE WHEN o.msisdn IS NULL THEN 0 ELSE 1 END AS OptedOut,
        CASE WHEN @Cap > 0 AND COALESCE(v.msisdn, g.msisdn) IS NOT NULL
                  AND (SELECT COUNT(*) FROM awareness_contacts c WHERE c.msisdn = COALESCE(v.msisdn, g.msisdn) AND c.at > @Since) >= @Cap
             THEN 1 ELSE 0 END AS Capped,
        CASE WHEN EXISTS (SELECT 1 FROM deliveries s WHERE s.campaign_id = @CampaignId AND s.recipient = COALESCE(v.msisdn, g.msisdn) AND s.channel = 'sms')
             THEN 1 ELSE 0 END AS Texted
        """;

    // A push delivery's device, live or pruned, by its id (deviceId: the dialect's cast of the recipient), and its
    // number's port and opt-out.
    private static string LinkedFrom(string deviceId) => $"""
        FROM deliveries d
        LEFT JOIN devices v ON v.id = {deviceId} AND d.recipient NOT LIKE '%-%'
        LEFT JOIN pruned_devices g ON g.id = {deviceId} AND d.recipient NOT LIKE '%-%'
        LEFT JOIN ported_numbers p ON p.msisdn = COALESCE(v.msisdn, g.msisdn)
        LEFT JOIN optouts o ON o.msisdn = COALESCE(v.msisdn, g.msisdn)
        """;

    private const string SqliteDeviceId = "CAST(d.recipient AS INTEGER)";
    private const string SqlServerDeviceId = "TRY_CAST(d.recipient AS BIGINT)";

    private static readonly string PushInStates = $"d.channel = 'push' AND {Outcomes("d")}";

    private static readonly Sql LinkedPage = new(
        Sqlite: $"""
            SELECT {LinkedSelect} {LinkedFrom(SqliteDeviceId)}
            WHERE d.campaign_id = @CampaignId AND d.recipient > @After AND {PushInStates}
            ORDER BY d.recipient LIMIT @Limit
            """,
        SqlServer: $"""
            SELECT TOP (@Limit) {LinkedSelect} {LinkedFrom(SqlServerDeviceId)}
            WHERE d.campaign_id = @CampaignId AND d.recipient > @After AND {PushInStates}
            ORDER BY d.recipient
            """);

    // The same rows, every one, for the preview: numbers in order, so that a number linked to several devices
    // is met in one run and counted once without holding the set.
    private static string LinkedAllOf(string deviceId) => $"""
        SELECT {LinkedSelect} {LinkedFrom(deviceId)}
        WHERE d.campaign_id = @CampaignId AND {PushInStates} AND COALESCE(v.msisdn, g.msisdn) IS NOT NULL
        ORDER BY Msisdn
        """;

    private static readonly Sql LinkedAll = new(Sqlite: LinkedAllOf(SqliteDeviceId), SqlServer: LinkedAllOf(SqlServerDeviceId));

    /// <summary>
    /// One keyset page of the original's push deliveries in the outcomes named (by recipient, the device id),
    /// as the numbers linked to them: a device with no number, a topic, or a number the original texted is
    /// passed over (see LinkedSelect). <c>Last</c> is the page's last device (null: no more); <c>Read</c> how many
    /// deliveries the page covered, kept or not. A number linked to two devices comes twice: the delivery
    /// index keeps the first.
    /// </summary>
    public async Task<(AudiencePage Page, string? Last, int Read)> ReadLinkedAsync(
        string campaignId, ResendStates states, string after, int limit, SuppressionChecks checks, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var parameters = Bind(campaignId, states, new { After = after, Limit = limit, Cap = checks.CapPerDay, Since = checks.CapSince });
        var rows = (await connection.QueryAsync<LinkedNumber>(new CommandDefinition(
            database.Text(LinkedPage), parameters, cancellationToken: cancellationToken))).AsList();
        var members = new List<AudienceMember>(rows.Count);
        var ported = new Dictionary<string, string>(StringComparer.Ordinal);
        HashSet<string> optedOut = [], capped = [];
        foreach (var row in rows)
        {
            if (row.Msisdn is null || row.Texted)
                continue;
            members.Add(new AudienceMember(row.Msisdn, row.Province));
            if (row.Ported is not null)
                ported[row.Msisdn] = row.Ported;
            if (checks.OptOuts && row.OptedOut)
                optedOut.Add(row.Msisdn);
            if (row.Capped)
                capped.Add(row.Msisdn);
        }
        return (new AudiencePage(members, ported, optedOut, capped), rows.Count == 0 ? null : rows[^1].Device, rows.Count);
    }

    /// <summary>
    /// Every number a re-send will text from the original's push deliveries (see <see cref="ReadLinkedAsync"/>), each
    /// once, with its facts: streamed in number order, never held. Reads the original's push rows in the outcomes
    /// named (a push has no per-number counters to read instead), so its cost grows with those rows.
    /// </summary>
    public async IAsyncEnumerable<LinkedNumber> LinkedNumbersAsync(
        string campaignId, ResendStates states, int capPerDay, long capSince,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var parameters = Bind(campaignId, states, new { Cap = capPerDay, Since = capSince });
        string? last = null;
        await foreach (var row in connection.QueryUnbufferedAsync<LinkedNumber>(database.Text(LinkedAll), parameters).WithCancellation(cancellationToken))
        {
            if (row.Texted || row.Msisdn == last)
                continue;
            last = row.Msisdn;
            yield return row;
        }
    }

    // A re-send through push: the devices linked to the numbers of the original's SMS deliveries in the outcomes
    // named (ix_devices_msisdn, one probe per number), except a device the original's push reached (a push
    // delivery to it that ended otherwise: delivered, or still on its way).
    private static string DevicesOf(string idText, string flag, string range) => $"""
        SELECT v.id AS Id, v.app AS App, v.province AS Province, v.msisdn AS Msisdn, {flag} AS AwarenessOptOut
        FROM deliveries d JOIN devices v ON v.msisdn = d.recipient
        WHERE d.campaign_id = @CampaignId {range} AND {InStates}
          AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.campaign_id = @CampaignId AND p.recipient = {idText} AND p.channel = 'push'
                          AND NOT {Outcomes("p")})
        """;

    private static readonly Sql DevicesInRange = new(
        Sqlite: DevicesOf("CAST(v.id AS TEXT)", "v.awareness_opt_out", "AND d.recipient > @After AND d.recipient <= @Last"),
        SqlServer: DevicesOf("CAST(v.id AS VARCHAR(20))", "CAST(v.awareness_opt_out AS BIGINT)", "AND d.recipient > @After AND d.recipient <= @Last"));

    private static readonly Sql DevicesAll = new(
        Sqlite: DevicesOf("CAST(v.id AS TEXT)", "v.awareness_opt_out", ""),
        SqlServer: DevicesOf("CAST(v.id AS VARCHAR(20))", "CAST(v.awareness_opt_out AS BIGINT)", ""));

    private static readonly Sql Numbers = new(
        Sqlite: $"SELECT d.recipient FROM deliveries d WHERE d.campaign_id = @CampaignId AND d.recipient > @After AND {InStates} ORDER BY d.recipient LIMIT @Limit",
        SqlServer: $"SELECT TOP (@Limit) d.recipient FROM deliveries d WHERE d.campaign_id = @CampaignId AND d.recipient > @After AND {InStates} ORDER BY d.recipient");

    /// <summary>
    /// A re-send through push, one keyset page: up to <paramref name="limit"/> of the original's SMS recipients in the
    /// outcomes named after <paramref name="after"/>, as the devices linked to them (none, one or several a number).
    /// <c>Last</c> is the page's last number (null: no more); <c>Read</c> how many numbers the page covered.
    /// </summary>
    public async Task<(IReadOnlyList<LinkedDevice> Devices, string? Last, int Read)> ReadDevicesAsync(
        string campaignId, ResendStates states, string after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var numbers = (await connection.QueryAsync<string>(new CommandDefinition(
            database.Text(Numbers), Bind(campaignId, states, new { After = after, Limit = limit }), cancellationToken: cancellationToken))).AsList();
        if (numbers.Count == 0)
            return ([], null, 0);
        var devices = (await connection.QueryAsync<LinkedDevice>(new CommandDefinition(
            database.Text(DevicesInRange), Bind(campaignId, states, new { After = after, Last = numbers[^1] }), cancellationToken: cancellationToken))).AsList();
        return (devices, numbers[^1], numbers.Count);
    }

    /// <summary>
    /// Every device a re-send through push reaches (see <see cref="ReadDevicesAsync"/>), streamed, never held: one
    /// probe of the devices per SMS recipient in the outcomes named, so its cost grows with those, not the campaign.
    /// </summary>
    public async IAsyncEnumerable<LinkedDevice> DevicesOfNumbersAsync(
        string campaignId, ResendStates states, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await foreach (var device in connection.QueryUnbufferedAsync<LinkedDevice>(database.Text(DevicesAll), Bind(campaignId, states, new { })).WithCancellation(cancellationToken))
            yield return device;
    }

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

/// <summary>A number linked to a device the original pushed to, as a re-send by SMS reads it.</summary>
/// <remarks>Properties, not a positional record: Dapper converts each column to them (a CASE is an int on SQL Server, a long on SQLite).</remarks>
public sealed class LinkedNumber
{
    public required string Device { get; init; }
    public string? Msisdn { get; init; }
    public string Province { get; init; } = "";
    public string? Ported { get; init; }
    public bool OptedOut { get; init; }
    public bool Capped { get; init; }
    public bool Texted { get; init; }
}

/// <summary>A device linked to a number the original did not reach by SMS, as a re-send through push reads it.</summary>
public sealed class LinkedDevice
{
    public long Id { get; init; }
    public required string App { get; init; }
    public string Province { get; init; } = "";
    public required string Msisdn { get; init; }

    /// <summary>1 when the owner refused awareness notifications: an awareness re-send plans it suppressed.</summary>
    public long AwarenessOptOut { get; init; }

    public bool RefusesAwareness => AwarenessOptOut != 0;
}
