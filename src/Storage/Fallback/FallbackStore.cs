using Dapper;
using Loa.Contracts;

namespace Loa.Storage.Fallback;

/// <summary>A campaign whose push fallback is not over, with what the sweep needs of the campaign.</summary>
/// <remarks>Properties, not a positional record: Dapper converts each column to them (a CASE is an int on SQL Server, a long on SQLite).</remarks>
public sealed class OpenFallback
{
    public required string CampaignId { get; init; }
    public long AfterMs { get; init; }
    public long Position { get; init; }
    public required string Status { get; init; }

    /// <summary>True when the planner had written every delivery when this was read: no push row can come after.</summary>
    public bool Planned { get; init; }
    public required string Kind { get; init; }
    public long? SmsParts { get; init; }
}

/// <summary>One push delivery of a campaign as the fallback sweep reads it, in id order.</summary>
public sealed class FallbackCandidate
{
    public long Id { get; init; }
    public required string Status { get; init; }

    /// <summary>When FCM or APNs accepted it (unix ms), for <c>delivered</c>.</summary>
    public long? FinalAt { get; init; }
    public string Province { get; init; } = "";
    public bool Acked { get; init; }

    /// <summary>The device's linked number now (E.164), or null: no number, or the device was removed.</summary>
    public string? Msisdn { get; init; }

    /// <summary>The carrier the number is ported to, or null.</summary>
    public string? Ported { get; init; }
    public bool OptedOut { get; init; }

    /// <summary>The linked number already had the day's awareness messages (only asked for awareness campaigns).</summary>
    public bool Capped { get; init; }
}

/// <summary>What one page of the sweep settles: its keyset move, the SMS it saved, and whether the sweep is over.</summary>
public sealed record FallbackStep(long From, long To, long Saved, bool Done);

/// <summary>
/// The push fallback's reads and its bookkeeping (<c>push_fallbacks</c>, see 0022_push_fallback.sql): a
/// campaign with <c>options.fallback</c> is opened when it is launched, the sweep walks its push
/// deliveries in id order from the stored position, and the position moves with the SMS planned for each
/// page (<see cref="Planning.PlanWriter.WriteFallbackAsync"/>). The walk never holds more than one page.
/// </summary>
public sealed class FallbackStore(Database database, TimeProvider time)
{
    private static readonly Sql Open = new(
        Sqlite: """
            INSERT INTO push_fallbacks (campaign_id, after_ms, position, created_at) VALUES (@campaign, @afterMs, 0, @now)
            ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO push_fallbacks (campaign_id, after_ms, position, created_at)
            SELECT @campaign, @afterMs, 0, @now WHERE NOT EXISTS (SELECT 1 FROM push_fallbacks WITH (UPDLOCK, HOLDLOCK) WHERE campaign_id = @campaign)
            """);

    // A handful of rows: campaigns with a fallback still running.
    private static readonly Sql OpenOnes = Sql.Both("""
        SELECT f.campaign_id AS CampaignId, f.after_ms AS AfterMs, f.position AS Position, c.status AS Status,
               CASE WHEN c.planned_at IS NULL THEN 0 ELSE 1 END AS Planned, c.kind AS Kind, c.sms_parts AS SmsParts
        FROM push_fallbacks f JOIN campaigns c ON c.id = f.campaign_id
        WHERE f.done_at IS NULL
        """);

    // One page of the campaign's push deliveries after the position, whatever their state: the sweep
    // stops at the first that is not settled yet, so the page must show it. SQLite walks the rowid
    // between the campaign's bounds (no index on campaign_id, see 0009_delivery_bounds.sql); SQL Server
    // its clustered (campaign_id, id). The device, its acknowledgement, the number's port and opt-out
    // are each one key probe per row; the frequency cap (awareness only, @Cap > 0) a range of the
    // contacts' primary key (msisdn, campaign_id), a handful of rows per number. A topic delivery (an app on topics, recipient <app>-<province>-<language>)
    // joins no device, never even one whose id a digits-only app name would parse to: it has no number, so
    // the sweep passes it without an SMS (a topic send cannot say which phones it missed). A push that failed
    // because its token was dead pruned the device (PushTargets): its number is then read from pruned_devices.
    private static readonly Sql Page = new(
        Sqlite: """
            SELECT d.id AS Id, d.status AS Status, d.final_at AS FinalAt, d.province AS Province,
                   CASE WHEN a.delivery_id IS NULL THEN 0 ELSE 1 END AS Acked, COALESCE(v.msisdn, g.msisdn) AS Msisdn, p.carrier AS Ported,
                   CASE WHEN o.msisdn IS NULL THEN 0 ELSE 1 END AS OptedOut,
                   CASE WHEN @Cap > 0 AND COALESCE(v.msisdn, g.msisdn) IS NOT NULL
                             AND (SELECT COUNT(*) FROM awareness_contacts c WHERE c.msisdn = COALESCE(v.msisdn, g.msisdn) AND c.at > @Since) >= @Cap
                        THEN 1 ELSE 0 END AS Capped
            FROM deliveries d
            LEFT JOIN push_acks a ON a.delivery_id = d.id
            LEFT JOIN devices v ON v.id = CAST(d.recipient AS INTEGER) AND d.recipient NOT LIKE '%-%'
            LEFT JOIN pruned_devices g ON g.id = CAST(d.recipient AS INTEGER) AND d.recipient NOT LIKE '%-%' AND d.status = 'failed'
            LEFT JOIN ported_numbers p ON p.msisdn = COALESCE(v.msisdn, g.msisdn)
            LEFT JOIN optouts o ON o.msisdn = COALESCE(v.msisdn, g.msisdn)
            WHERE d.id > MAX(@After, (SELECT COALESCE(first_delivery_id, 1) - 1 FROM campaigns WHERE id = @CampaignId))
              AND d.id <= (SELECT COALESCE(last_delivery_id, -1) FROM campaigns WHERE id = @CampaignId)
              AND +d.campaign_id = @CampaignId AND d.channel = 'push'
            ORDER BY d.id LIMIT @Limit
            """,
        SqlServer: """
            SELECT TOP (@Limit) d.id AS Id, d.status AS Status, d.final_at AS FinalAt, d.province AS Province,
                   CASE WHEN a.delivery_id IS NULL THEN 0 ELSE 1 END AS Acked, COALESCE(v.msisdn, g.msisdn) AS Msisdn, p.carrier AS Ported,
                   CASE WHEN o.msisdn IS NULL THEN 0 ELSE 1 END AS OptedOut,
                   CASE WHEN @Cap > 0 AND COALESCE(v.msisdn, g.msisdn) IS NOT NULL
                             AND (SELECT COUNT(*) FROM awareness_contacts c WHERE c.msisdn = COALESCE(v.msisdn, g.msisdn) AND c.at > @Since) >= @Cap
                        THEN 1 ELSE 0 END AS Capped
            FROM deliveries d
            LEFT JOIN push_acks a ON a.delivery_id = d.id
            LEFT JOIN devices v ON v.id = TRY_CAST(d.recipient AS BIGINT) AND d.recipient NOT LIKE '%-%'
            LEFT JOIN pruned_devices g ON g.id = TRY_CAST(d.recipient AS BIGINT) AND d.recipient NOT LIKE '%-%' AND d.status = 'failed'
            LEFT JOIN ported_numbers p ON p.msisdn = COALESCE(v.msisdn, g.msisdn)
            LEFT JOIN optouts o ON o.msisdn = COALESCE(v.msisdn, g.msisdn)
            WHERE d.campaign_id = @CampaignId AND d.id > @After AND d.channel = 'push'
            ORDER BY d.id
            """);

    private static readonly Sql Close = Sql.Both("UPDATE push_fallbacks SET done_at = @now WHERE campaign_id = @campaign AND done_at IS NULL");

    /// <summary>
    /// Opens the fallback of a campaign about to be planned (before its first page, so that no page can end
    /// the campaign before the fallback is known). Opening again changes nothing.
    /// </summary>
    public async Task OpenAsync(string campaignId, TimeSpan after, CancellationToken cancellationToken = default) =>
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(database.Text(Open),
            new { campaign = campaignId, afterMs = (long)after.TotalMilliseconds, now = time.Ms() }, transaction, cancellationToken: cancellationToken)), cancellationToken);

    public async Task<IReadOnlyList<OpenFallback>> OpenOnesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<OpenFallback>(new CommandDefinition(database.Text(OpenOnes), cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// Up to <paramref name="limit"/> of the campaign's push deliveries after id <paramref name="after"/>, in id order;
    /// <see cref="FallbackCandidate.Capped"/> tells whether the linked number had <paramref name="capPerDay"/> awareness
    /// messages since <paramref name="capSince"/> (unix ms; a cap of 0 asks nothing).
    /// </summary>
    public async Task<IReadOnlyList<FallbackCandidate>> PageAsync(
        string campaignId, long after, int limit, int capPerDay = 0, long capSince = 0, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<FallbackCandidate>(new CommandDefinition(database.Text(Page),
            new { CampaignId = campaignId, After = after, Limit = limit, Cap = capPerDay, Since = capSince }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Ends the fallback of a campaign that stopped (cancelled, superseded): nothing more is sent for it.</summary>
    public async Task CloseAsync(string campaignId, CancellationToken cancellationToken = default) =>
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(database.Text(Close),
            new { campaign = campaignId, now = time.Ms() }, transaction, cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>
    /// Where the sweep stands after a page read at <paramref name="now"/>: the rows settled, in id order up to
    /// the first that is not (still queued or at the provider, or accepted less than <paramref name="afterMs"/>
    /// ago); those of them owed the SMS (a linked number, and accepted but not acknowledged, or failed); and the step to write.
    /// Pure, so that the rule is specified without a database.
    /// </summary>
    /// <param name="planned">Every delivery of the campaign was written before the page was read.</param>
    public static (IReadOnlyList<FallbackCandidate> Owed, FallbackStep Step) Settle(
        IReadOnlyList<FallbackCandidate> page, long position, int limit, long afterMs, long now, bool planned)
    {
        var owed = new List<FallbackCandidate>();
        var saved = 0L;
        var to = position;
        var settled = 0;
        foreach (var row in page)
        {
            var open = row.Status is DeliveryStatus.Queued or DeliveryStatus.Submitted
                       || (row.Status == DeliveryStatus.Delivered && (row.FinalAt ?? now) + afterMs > now);
            if (open)
                break;
            settled++;
            to = row.Id;
            // A topic send has no number (no device): who it missed is unknown, so it owes nobody the SMS.
            if (row.Msisdn is null)
                continue;
            // A push that failed (dead token, refused, retries spent) certainly reached nobody: its SMS is owed at
            // once, with no wait for an ack that cannot come. An expired one is past the campaign's expiresAt, so
            // its SMS would be too; a cancelled or suppressed one was stopped on purpose.
            if (row.Status == DeliveryStatus.Failed)
            {
                owed.Add(row);
                continue;
            }
            if (row.Status != DeliveryStatus.Delivered)
                continue;
            if (row.Acked)
                saved++;
            else
                owed.Add(row);
        }
        var done = planned && settled == page.Count && page.Count < limit;
        return (owed, new FallbackStep(position, to, saved, done));
    }
}
