using Dapper;
using Loa.Storage.Progress;

namespace Loa.Storage.Deliveries;

public sealed record ProgressRow(string Carrier, string Status, long Count);

public sealed record FailureRow(string Carrier, string Reason, long Count);

/// <param name="BucketStart">Unix ms of the bucket's start.</param>
public sealed record ThroughputRow(long BucketStart, long Submitted, long Delivered, long Failed);

public sealed record DeliveryRow(long Id, string Recipient, string Carrier, string Status, long Attempts, string? Error, long? SubmittedAt, long? FinalAt);

/// <summary>
/// What the API reads of a campaign's deliveries: progress, failure reasons and throughput from the
/// counters (a few hundred rows whatever the campaign's size), and the deliveries themselves in
/// keyset pages. Nothing here counts delivery rows.
/// </summary>
public sealed class DeliveryReads(Database database)
{
    private static readonly Sql Failures = new(
        Sqlite: """
            SELECT carrier AS Carrier, reason AS Reason, count AS Count FROM campaign_failures
            WHERE campaign_id = @CampaignId AND count > 0 ORDER BY count DESC, carrier, reason LIMIT @Limit
            """,
        SqlServer: """
            SELECT TOP (@Limit) carrier AS Carrier, reason AS Reason, count AS Count FROM campaign_failures
            WHERE campaign_id = @CampaignId AND count > 0 ORDER BY count DESC, carrier, reason
            """);

    // SQLite walks the rowid between the campaign's first and last delivery id (kept by the planner:
    // no index on campaign_id, see 0009_delivery_bounds.sql); the unary + keeps the planner off
    // ux_deliveries, which would find the rows by campaign and then sort them all by id.
    private static readonly Sql DeliveriesPage = new(
        Sqlite: """
            SELECT id AS Id, recipient AS Recipient, carrier AS Carrier, status AS Status, attempts AS Attempts, error AS Error,
                   submitted_at AS SubmittedAt, final_at AS FinalAt
            FROM deliveries
            WHERE id > MAX(@After, (SELECT COALESCE(first_delivery_id, 1) - 1 FROM campaigns WHERE id = @CampaignId))
              AND id <= (SELECT COALESCE(last_delivery_id, -1) FROM campaigns WHERE id = @CampaignId)
              AND +campaign_id = @CampaignId AND (@Status IS NULL OR status = @Status)
            ORDER BY id LIMIT @Limit
            """,
        SqlServer: """
            SELECT TOP (@Limit) id AS Id, recipient AS Recipient, carrier AS Carrier, status AS Status, attempts AS Attempts, error AS Error,
                   submitted_at AS SubmittedAt, final_at AS FinalAt
            FROM deliveries WHERE campaign_id = @CampaignId AND id > @After AND (@Status IS NULL OR status = @Status)
            ORDER BY id
            """);

    public async Task<IReadOnlyList<ProgressRow>> ProgressAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Read by hand: SQLite gives a SUM no declared type, so on an empty result (a campaign not yet
        // planned) Dapper would see a BLOB column and refuse to build the record.
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            """
            SELECT carrier, status, SUM(count) FROM campaign_progress
            WHERE campaign_id = @campaignId GROUP BY carrier, status
            """,
            new { campaignId }, cancellationToken: cancellationToken));
        var rows = new List<ProgressRow>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new ProgressRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return rows;
    }

    /// <summary>A campaign's push counters (acks per app, fallback and SMS saved): a few rows, see 0022_push_fallback.sql.</summary>
    public Task<IReadOnlyList<(string Carrier, string Counter, long Count)>> PushCountsAsync(string campaignId, CancellationToken cancellationToken = default) =>
        PushCounts.ReadAsync(database, campaignId, cancellationToken);

    /// <summary>The most frequent failure reasons of a campaign, per carrier, most frequent first.</summary>
    public async Task<IReadOnlyList<FailureRow>> FailuresAsync(string campaignId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<FailureRow>(database.Text(Failures), new { CampaignId = campaignId, Limit = limit })).AsList();
    }

    /// <summary>A campaign's 10-second buckets from <paramref name="from"/> (unix ms, a bucket start) on, oldest first.</summary>
    public async Task<IReadOnlyList<ThroughputRow>> ThroughputAsync(string campaignId, long from, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ThroughputRow>(
            """
            SELECT bucket_start AS BucketStart, submitted AS Submitted, delivered AS Delivered, failed AS Failed FROM campaign_throughput
            WHERE campaign_id = @CampaignId AND bucket_start >= @From ORDER BY bucket_start
            """,
            new { CampaignId = campaignId, From = from })).AsList();
    }

    /// <summary>Bucket width of <see cref="ThroughputAsync"/>.</summary>
    public static TimeSpan ThroughputBucket => TimeSpan.FromMilliseconds(ProgressDeltas.BucketMs);

    /// <summary>The start of the bucket holding <paramref name="at"/>.</summary>
    public static long ThroughputBucketOf(long at) => ProgressDeltas.Bucket(at);

    public async Task<IReadOnlyList<DeliveryRow>> PageAsync(string campaignId, string? status, long after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<DeliveryRow>(
            database.Text(DeliveriesPage), new { CampaignId = campaignId, Status = status, After = after, Limit = limit })).AsList();
    }
}
