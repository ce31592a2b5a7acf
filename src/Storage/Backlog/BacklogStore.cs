using Dapper;

namespace Loa.Storage.Backlog;

/// <param name="Queued">Deliveries planned and not yet handed to the carrier, for running campaigns (a paused one waits on purpose).</param>
/// <param name="OldestDueAt">Since when the longest-waiting batch that may be sent now has been waiting (unix ms), or null.</param>
public sealed record CarrierBacklog(string Carrier, long Queued, long? OldestDueAt);

/// <summary>
/// What is waiting per carrier, for the backlog gauges. Read from the progress counters and the
/// open part of the batches table (its partial index), never by counting deliveries.
/// </summary>
public sealed class BacklogStore(Database database, TimeProvider time)
{
    private const string QueuedByCarrier = """
        SELECT p.carrier AS Carrier, SUM(p.count) AS Queued
        FROM campaigns c JOIN campaign_progress p ON p.campaign_id = c.id
        WHERE c.status = 'running' AND p.status = 'queued'
        GROUP BY p.carrier
        """;

    // A batch held for a paused campaign, or deferred (retry backoff, awareness window), is not
    // late: only batches that may go now count, from the moment they became due.
    private const string OldestDue = """
        SELECT carrier AS Carrier, MIN(COALESCE(next_attempt_at, created_at)) AS DueAt
        FROM batches
        WHERE status IN ('pending', 'sending') AND (next_attempt_at IS NULL OR next_attempt_at <= @Now)
        GROUP BY carrier
        """;

    // Failed campaigns are few: ix_campaigns_due (status, …) finds them without reading the others.
    private const string FailedSince = """
        SELECT kind AS Kind, COUNT(*) AS Campaigns FROM campaigns
        WHERE status = 'failed' AND completed_at >= @Since
        GROUP BY kind
        """;

    /// <summary>Campaigns that ended <c>failed</c> (reached nobody) since <paramref name="since"/>, by kind.</summary>
    public async Task<IReadOnlyDictionary<string, long>> FailedCampaignsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<(string Kind, long Campaigns)>(FailedSince, new { Since = since.Ms() })).ToDictionary(r => r.Kind, r => r.Campaigns);
    }

    public async Task<IReadOnlyList<CarrierBacklog>> ByCarrierAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var queued = (await connection.QueryAsync<(string Carrier, long Queued)>(QueuedByCarrier)).ToDictionary(r => r.Carrier, r => r.Queued);
        var due = (await connection.QueryAsync<(string Carrier, long DueAt)>(OldestDue, new { Now = time.Ms() })).ToDictionary(r => r.Carrier, r => r.DueAt);
        return queued.Keys.Union(due.Keys)
            .Select(carrier => new CarrierBacklog(carrier, queued.GetValueOrDefault(carrier), due.TryGetValue(carrier, out var at) ? at : null))
            .ToList();
    }
}
