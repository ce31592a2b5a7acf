using Dapper;
using Loa.Contracts;

namespace Loa.Storage.Batches;

/// <summary>
/// The batches table as the outbox, for the publisher and the sweeper: a batch committed with its
/// deliveries is published after the commit, and whatever was committed but is not (or no longer) on
/// the bus — never published, due for a retry, lost by the broker, left by a dead lane — is found
/// here and published again. Repeats are harmless: a lane claims its batch row before sending.
/// </summary>
public sealed class Outbox(Database database, TimeProvider time)
{
    private static readonly Sql Unpublished = new(
        Sqlite: """
            SELECT id AS BatchId, campaign_id AS CampaignId, carrier AS Carrier, priority AS Priority FROM batches
            WHERE status = 'pending' AND (published_at IS NULL OR published_at < @Stale) AND (next_attempt_at IS NULL OR next_attempt_at <= @Now)
            ORDER BY priority, id LIMIT @Limit
            """,
        SqlServer: """
            SELECT TOP (@Limit) id AS BatchId, campaign_id AS CampaignId, carrier AS Carrier, priority AS Priority FROM batches
            WHERE status = 'pending' AND (published_at IS NULL OR published_at < @Stale) AND (next_attempt_at IS NULL OR next_attempt_at <= @Now)
            ORDER BY priority, id
            """);

    public async Task MarkPublishedAsync(IEnumerable<long> batchIds, CancellationToken cancellationToken = default)
    {
        var ids = batchIds.ToArray();
        if (ids.Length == 0)
            return;
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            "UPDATE batches SET published_at = @Now WHERE id IN @ids AND status = 'pending'", new { Now = time.Ms(), ids }, transaction), cancellationToken);
    }

    /// <summary>
    /// Batches committed but not (or no longer) on the bus: never published, due for a retry, or
    /// published longer than <paramref name="republishAfter"/> ago and still untouched (a message the
    /// broker lost or dead-lettered). A copy still queued behind a backlog is harmless: one claim wins.
    /// </summary>
    public async Task<IReadOnlyList<SendBatch>> UnpublishedAsync(int limit, TimeSpan republishAfter, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<OutboxRow>(database.Text(Unpublished), new { Now = now, Stale = now - (long)republishAfter.TotalMilliseconds, Limit = limit }))
            .Select(r => new SendBatch(r.BatchId, r.CampaignId, r.Carrier, (int)r.Priority))
            .ToList();
    }

    /// <summary>A lane that died mid-send left its lease to run out: the batch goes back to the outbox.</summary>
    public async Task<int> RecoverExpiredLeasesAsync(CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        // Asked every sweep, nearly always "none": a read first, so that the sweeper takes no turn at the write lock for nothing.
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            if (!await connection.ExecuteScalarAsync<bool>(
                    "SELECT CASE WHEN EXISTS (SELECT 1 FROM batches WHERE status = 'sending' AND lease_until < @now) THEN 1 ELSE 0 END", new { now }))
                return 0;
        }
        return await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            "UPDATE batches SET status = 'pending', lease_until = NULL, published_at = NULL WHERE status = 'sending' AND lease_until < @now",
            new { now }, transaction), cancellationToken);
    }

    /// <summary>
    /// With an in-memory bus, a restart loses every queued message: everything open goes back to the
    /// outbox. (Never call this with a durable broker shared by other processes.)
    /// </summary>
    public async Task<int> ForgetInFlightAsync(CancellationToken cancellationToken = default)
    {
        return await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            "UPDATE batches SET status = 'pending', lease_until = NULL, published_at = NULL WHERE status IN ('pending', 'sending')",
            transaction: transaction), cancellationToken);
    }

    private sealed record OutboxRow(long BatchId, string CampaignId, string Carrier, long Priority);
}
