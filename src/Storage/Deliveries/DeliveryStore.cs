using System.Data.Common;
using Dapper;
using Loa.Contracts;

namespace Loa.Storage.Deliveries;

/// <param name="Suppressed">Why this recipient gets nothing (a <see cref="Suppression.SuppressionReason"/>), or null.</param>
public sealed record PlannedRecipient(string Msisdn, string Province, string Carrier, string? Suppressed = null);

/// <summary>One keyset page of a campaign's audience, routed, ready to become deliveries and batches.</summary>
public sealed record PlanPage(
    string CampaignId,
    int Priority,
    int PartsPerMessage,
    IReadOnlyList<PlannedRecipient> Recipients,
    Func<string, int> MaxBatchSize,
    long NextList,
    string NextAfter,
    bool Last,
    TimeSpan Lease,
    bool CountsTowardAwarenessCap = false);

/// <param name="Attempts">Submits of this batch that count, this claim's included (a 429 or a hold gives its count back).</param>
public sealed record BatchClaim(long Id, string CampaignId, string Carrier, long Priority, long Attempts);

public sealed record BatchMessage(long Id, string Recipient);

public sealed record SubmitResult(long DeliveryId, bool Accepted, string? CarrierMessageId, string? Error);

public sealed record ProgressRow(string Carrier, string Status, long Count);

public sealed record FailureRow(string Carrier, string Reason, long Count);

/// <param name="BucketStart">Unix ms of the bucket's start.</param>
public sealed record ThroughputRow(long BucketStart, long Submitted, long Delivered, long Failed);

public sealed record DeliveryRow(long Id, string Recipient, string Carrier, string Status, long Attempts, string? Error, long? SubmittedAt, long? FinalAt);

/// <summary>
/// Deliveries and batches: the planner's bulk writes, the send lane's claims and results, the
/// sweeper's recovery, and the read side of progress. Status only moves forward: every UPDATE is
/// guarded by the status it leaves.
/// </summary>
public sealed class DeliveryStore(Database database, TimeProvider time)
{
    private static readonly Sql InsertBatch = new(
        Sqlite: """
            INSERT INTO batches (campaign_id, carrier, priority, messages, parts, status, created_at)
            VALUES (@CampaignId, @Carrier, @Priority, 0, 0, 'pending', @Now) RETURNING id
            """,
        SqlServer: """
            INSERT INTO batches (campaign_id, carrier, priority, messages, parts, status, created_at)
            OUTPUT inserted.id VALUES (@CampaignId, @Carrier, @Priority, 0, 0, 'pending', @Now)
            """);

    // The unique index (campaign, recipient, channel) drops a recipient met twice (overlapping lists,
    // or a page planned again after a crash): "never twice" is enforced here, not by the planner's memory.
    private static readonly Sql InsertDelivery = new(
        Sqlite: """
            INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, batch_id, status, error, final_at)
            VALUES (@campaign, @recipient, 'sms', @carrier, @province, @batch, @status, @error, @final)
            ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, batch_id, status, error, final_at)
            SELECT @campaign, @recipient, 'sms', @carrier, @province, @batch, @status, @error, @final
            WHERE NOT EXISTS (SELECT 1 FROM deliveries WITH (UPDLOCK, HOLDLOCK)
                              WHERE campaign_id = @campaign AND recipient = @recipient AND channel = 'sms')
            """);

    // Returns the province of each row it moves, so that the counters move by province in the same transaction.
    private static readonly Sql FinishQueued = new(
        Sqlite: """
            UPDATE deliveries SET status = @status, error = @reason, final_at = @now, attempts = @attempts
            WHERE batch_id = @Id AND status = 'queued'
            RETURNING province
            """,
        SqlServer: """
            UPDATE deliveries SET status = @status, error = @reason, final_at = @now, attempts = @attempts
            OUTPUT inserted.province
            WHERE batch_id = @Id AND status = 'queued'
            """);

    private static readonly Sql ClaimBatch = Sql.Both("""
        UPDATE batches SET status = 'sending', lease_until = @Until, attempts = attempts + 1
        WHERE id = @Id AND (status = 'pending' OR (status = 'sending' AND lease_until < @Now))
        """);

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

    private static readonly Sql Failures = new(
        Sqlite: """
            SELECT carrier AS Carrier, reason AS Reason, count AS Count FROM campaign_failures
            WHERE campaign_id = @CampaignId AND count > 0 ORDER BY count DESC, carrier, reason LIMIT @Limit
            """,
        SqlServer: """
            SELECT TOP (@Limit) carrier AS Carrier, reason AS Reason, count AS Count FROM campaign_failures
            WHERE campaign_id = @CampaignId AND count > 0 ORDER BY count DESC, carrier, reason
            """);

    private static readonly Sql DeliveriesPage = new(
        Sqlite: """
            SELECT id AS Id, recipient AS Recipient, carrier AS Carrier, status AS Status, attempts AS Attempts, error AS Error,
                   submitted_at AS SubmittedAt, final_at AS FinalAt
            FROM deliveries WHERE campaign_id = @CampaignId AND id > @After AND (@Status IS NULL OR status = @Status)
            ORDER BY id LIMIT @Limit
            """,
        SqlServer: """
            SELECT TOP (@Limit) id AS Id, recipient AS Recipient, carrier AS Carrier, status AS Status, attempts AS Attempts, error AS Error,
                   submitted_at AS SubmittedAt, final_at AS FinalAt
            FROM deliveries WHERE campaign_id = @CampaignId AND id > @After AND (@Status IS NULL OR status = @Status)
            ORDER BY id
            """);

    /// <summary>
    /// Writes one planned page in one transaction: batch rows (the outbox), delivery rows, progress
    /// counters and the planner's keyset position. Returns the batches to publish after the commit, or
    /// null (and writes nothing) when the campaign was cancelled meanwhile.
    /// </summary>
    public async Task<IReadOnlyList<SendBatch>?> WritePlanPageAsync(PlanPage page, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var progress = new ProgressDeltas(database);
        var batches = new List<SendBatch>();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await using var insert = await PrepareInsertDeliveryAsync(connection, transaction, page.CampaignId, cancellationToken);

        await using var contact = page.CountsTowardAwarenessCap
            ? Commands.Prepare(connection, transaction, database.Text(Suppression.SuppressionStore.RecordContact), "msisdn", "at", "campaign")
            : null;
        foreach (var r in page.Recipients.Where(r => r.Suppressed is not null))
        {
            // Kept as rows with the reason, so that reports and progress can say who was left out and why.
            var added = await InsertDeliveryAsync(insert, r, null, DeliveryStatus.Suppressed, r.Suppressed, now, cancellationToken);
            progress.Add(page.CampaignId, r.Carrier, r.Province, Suppression.SuppressionReason.ProgressPrefix + r.Suppressed, added);
        }
        foreach (var group in page.Recipients.Where(r => r.Suppressed is null).GroupBy(r => r.Carrier))
        {
            if (group.Key == Unrouted.Carrier)
            {
                // Nobody can carry these numbers: they fail now, with the reason, instead of waiting forever.
                foreach (var r in group)
                {
                    var added = await InsertDeliveryAsync(insert, r, null, DeliveryStatus.Failed, UnroutedReason, now, cancellationToken);
                    progress.Add(page.CampaignId, Unrouted.Carrier, r.Province, DeliveryStatus.Failed, added, UnroutedReason);
                }
                continue;
            }
            foreach (var chunk in group.Chunk(Math.Max(1, page.MaxBatchSize(group.Key))))
            {
                var batchId = await connection.ExecuteScalarAsync<long>(
                    database.Text(InsertBatch), new { page.CampaignId, Carrier = group.Key, page.Priority, Now = now }, transaction);
                var inserted = 0;
                foreach (var r in chunk)
                {
                    var added = await InsertDeliveryAsync(insert, r, batchId, DeliveryStatus.Queued, null, null, cancellationToken);
                    inserted += added;
                    progress.Add(page.CampaignId, group.Key, r.Province, DeliveryStatus.Queued, added);
                    if (added == 1 && contact is not null)
                        await Commands.RunAsync(contact, cancellationToken, r.Msisdn, now, page.CampaignId);
                }
                if (inserted == 0)
                {
                    await connection.ExecuteAsync("DELETE FROM batches WHERE id = @batchId", new { batchId }, transaction);
                    continue;
                }
                await connection.ExecuteAsync(
                    "UPDATE batches SET messages = @inserted, parts = @parts WHERE id = @batchId",
                    new { inserted, parts = inserted * page.PartsPerMessage, batchId },
                    transaction);
                batches.Add(new SendBatch(batchId, page.CampaignId, group.Key, page.Priority));
            }
        }

        var stillPlanned = await connection.ExecuteAsync(
            """
            UPDATE campaigns SET plan_list = @NextList, plan_after = @NextAfter, plan_lease_until = @Until,
                                 planned_at = CASE WHEN @Last = 1 THEN @Now ELSE NULL END
            WHERE id = @CampaignId AND status IN ('running', 'paused')
            """,
            new { page.NextList, page.NextAfter, Until = now + (long)page.Lease.TotalMilliseconds, Last = page.Last ? 1 : 0, Now = now, page.CampaignId },
            transaction);
        if (stillPlanned == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }
        await progress.FlushAsync(connection, transaction, now);
        if (page.Last)
            await progress.CompleteIfDoneAsync(connection, transaction, page.CampaignId, now);
        await transaction.CommitAsync(cancellationToken);
        progress.Committed();
        return batches;
    }

    /// <summary>Takes a batch for sending; null when it is done or another lane holds a live lease on it.</summary>
    public async Task<BatchClaim?> ClaimBatchAsync(long batchId, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        await using var connection = await database.OpenAsync(cancellationToken);
        var claimed = await connection.ExecuteAsync(database.Text(ClaimBatch), new { Id = batchId, Now = now, Until = now + (long)lease.TotalMilliseconds });
        if (claimed == 0)
            return null;
        return await connection.QuerySingleAsync<BatchClaim>(
            "SELECT id AS Id, campaign_id AS CampaignId, carrier AS Carrier, priority AS Priority, attempts AS Attempts FROM batches WHERE id = @batchId",
            new { batchId });
    }

    public async Task<IReadOnlyList<BatchMessage>> QueuedMessagesAsync(long batchId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<BatchMessage>(
            "SELECT id AS Id, recipient AS Recipient FROM deliveries WHERE batch_id = @batchId AND status = 'queued' ORDER BY id",
            new { batchId })).AsList();
    }

    /// <summary>
    /// Records the carrier's answer for each message, applies receipts that arrived before this answer
    /// (parked), and closes the batch — all in one transaction. Each message keeps the batch's attempts:
    /// it went to the carrier every time its batch did.
    /// </summary>
    public async Task RecordResultsAsync(BatchClaim batch, IReadOnlyList<SubmitResult> results, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var progress = new ProgressDeltas(database);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await using var accept = Commands.Prepare(connection, transaction,
            "UPDATE deliveries SET status = 'submitted', carrier_message_id = @cmid, submitted_at = @now, attempts = @attempts WHERE id = @id AND status = 'queued'",
            "cmid", "now", "attempts", "id");
        await using var reject = Commands.Prepare(connection, transaction,
            "UPDATE deliveries SET status = 'failed', error = @error, final_at = @now, attempts = @attempts WHERE id = @id AND status = 'queued'",
            "error", "now", "attempts", "id");
        // One read per batch (at most a carrier's batch size) for the provinces the counters are kept by.
        var provinces = (await connection.QueryAsync<(long Id, string Province)>(
            "SELECT id, province FROM deliveries WHERE batch_id = @Id", new { batch.Id }, transaction))
            .ToDictionary(d => d.Id, d => d.Province);
        foreach (var r in results)
        {
            var province = provinces.GetValueOrDefault(r.DeliveryId, "");
            if (r.Accepted)
            {
                var moved = await Commands.RunAsync(accept, cancellationToken, r.CarrierMessageId, now, batch.Attempts, r.DeliveryId);
                progress.Move(batch.CampaignId, batch.Carrier, province, DeliveryStatus.Queued, DeliveryStatus.Submitted, moved);
            }
            else
            {
                var error = Truncate(r.Error ?? "rejected by carrier");
                var moved = await Commands.RunAsync(reject, cancellationToken, error, now, batch.Attempts, r.DeliveryId);
                progress.Move(batch.CampaignId, batch.Carrier, province, DeliveryStatus.Queued, DeliveryStatus.Failed, moved, error);
            }
        }

        var early = (await connection.QueryAsync<(long Id, string CarrierMessageId, string Province, string Status, string? Error, long At)>(
            """
            SELECT d.id, d.carrier_message_id, d.province, p.status, p.error, p.at FROM deliveries d
            JOIN parked_receipts p ON p.carrier = d.carrier AND p.carrier_message_id = d.carrier_message_id
            WHERE d.batch_id = @Id AND d.status = 'submitted'
            """,
            new { batch.Id }, transaction)).AsList();
        foreach (var receipt in early)
        {
            var to = ReceiptStore.FinalStatus(receipt.Status);
            // The same error text as a receipt applied on arrival (ReceiptStore.ApplyAsync) would store.
            var error = to == DeliveryStatus.Delivered ? null : receipt.Error ?? receipt.Status;
            var moved = await connection.ExecuteAsync(
                "UPDATE deliveries SET status = @to, error = @error, final_at = @At WHERE id = @Id AND status = 'submitted'",
                new { to, error, receipt.At, receipt.Id }, transaction);
            progress.Move(batch.CampaignId, batch.Carrier, receipt.Province, DeliveryStatus.Submitted, to, moved, error);
            if (moved == 1)
                progress.ReceiptApplied(batch.Carrier, (receipt.At - now) / 1000.0); // overtook the answer: as good as no wait
            await connection.ExecuteAsync(
                "DELETE FROM parked_receipts WHERE carrier = @Carrier AND carrier_message_id = @CarrierMessageId",
                new { batch.Carrier, receipt.CarrierMessageId }, transaction);
        }

        await CloseBatchAsync(connection, transaction, batch.Id, null, now);
        await progress.FlushAsync(connection, transaction, now);
        await transaction.CommitAsync(cancellationToken);
        progress.Committed();
    }

    /// <summary>Ends every still-queued message of a batch with one status and reason (refused, expired, cancelled).</summary>
    /// <param name="attempts">How many times the messages went to the carrier: the batch's attempts, less this claim's when it ends before its submit.</param>
    public async Task FinishBatchAsync(BatchClaim batch, string status, string reason, long attempts, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var progress = new ProgressDeltas(database);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var error = Truncate(reason);
        var moved = await connection.QueryAsync<string>(
            database.Text(FinishQueued), new { status, reason = error, now, attempts, batch.Id }, transaction);
        foreach (var province in moved.GroupBy(p => p, StringComparer.Ordinal))
            progress.Move(batch.CampaignId, batch.Carrier, province.Key, DeliveryStatus.Queued, status, province.Count(), error);
        await CloseBatchAsync(connection, transaction, batch.Id, reason, now);
        await progress.FlushAsync(connection, transaction, now);
        await transaction.CommitAsync(cancellationToken);
        progress.Committed();
    }

    /// <summary>
    /// Gives a claimed batch back for a later attempt; the sweeper publishes it again when due. A wait
    /// that was not the carrier failing (throttled, outside the sending window) does not count as an attempt.
    /// </summary>
    public async Task ReleaseBatchAsync(long batchId, DateTimeOffset nextAttemptAt, string error, bool countsAsAttempt, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            """
            UPDATE batches SET status = 'pending', lease_until = NULL, published_at = NULL, next_attempt_at = @Next, last_error = @Error,
                               attempts = attempts - @Refund
            WHERE id = @batchId AND status = 'sending'
            """,
            new { batchId, Next = nextAttemptAt.ToUnixTimeMilliseconds(), Error = Truncate(error), Refund = countsAsAttempt ? 0 : 1 });
    }

    /// <summary>Puts a claimed batch of a paused campaign aside; nothing republishes it until <see cref="ReleaseHeldAsync"/>.</summary>
    public async Task HoldBatchAsync(long batchId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "UPDATE batches SET status = 'held', lease_until = NULL, published_at = NULL, attempts = attempts - 1 WHERE id = @batchId AND status = 'sending'",
            new { batchId });
    }

    /// <summary>Gives a campaign's held batches back to the outbox (resumed: they are sent; cancelled: they are closed).</summary>
    public async Task<int> ReleaseHeldAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE batches SET status = 'pending', published_at = NULL, next_attempt_at = NULL WHERE campaign_id = @campaignId AND status = 'held'",
            new { campaignId });
    }

    public async Task MarkPublishedAsync(IEnumerable<long> batchIds, CancellationToken cancellationToken = default)
    {
        var ids = batchIds.ToArray();
        if (ids.Length == 0)
            return;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE batches SET published_at = @Now WHERE id IN @ids AND status = 'pending'", new { Now = time.Ms(), ids });
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
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE batches SET status = 'pending', lease_until = NULL, published_at = NULL WHERE status = 'sending' AND lease_until < @Now",
            new { Now = time.Ms() });
    }

    /// <summary>
    /// With an in-memory bus, a restart loses every queued message: everything open goes back to the
    /// outbox. (Never call this with a durable broker shared by other processes.)
    /// </summary>
    public async Task<int> ForgetInFlightAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE batches SET status = 'pending', lease_until = NULL, published_at = NULL WHERE status IN ('pending', 'sending')");
    }

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

    private sealed record OutboxRow(long BatchId, string CampaignId, string Carrier, long Priority);

    private async Task CloseBatchAsync(DbConnection connection, DbTransaction transaction, long batchId, string? error, long now) =>
        await connection.ExecuteAsync(
            "UPDATE batches SET status = 'done', done_at = @now, lease_until = NULL, last_error = @error WHERE id = @batchId",
            new { now, error = Truncate(error), batchId }, transaction);

    private async Task<DbCommand> PrepareInsertDeliveryAsync(DbConnection connection, DbTransaction transaction, string campaignId, CancellationToken cancellationToken)
    {
        var command = Commands.Prepare(connection, transaction, database.Text(InsertDelivery), "campaign", "recipient", "carrier", "province", "batch", "status", "error", "final");
        command.Parameters[0].Value = campaignId;
        await command.PrepareAsync(cancellationToken);
        return command;
    }

    private static async Task<int> InsertDeliveryAsync(DbCommand insert, PlannedRecipient r, long? batchId, string status, string? error, long? finalAt, CancellationToken cancellationToken)
    {
        insert.Parameters[1].Value = r.Msisdn;
        insert.Parameters[2].Value = r.Carrier;
        insert.Parameters[3].Value = r.Province;
        insert.Parameters[4].Value = (object?)batchId ?? DBNull.Value;
        insert.Parameters[5].Value = status;
        insert.Parameters[6].Value = (object?)error ?? DBNull.Value;
        insert.Parameters[7].Value = (object?)finalAt ?? DBNull.Value;
        return await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private const string UnroutedReason = "no carrier serves this number's prefix";

    internal static string? Truncate(string? text) => text is null || text.Length <= 400 ? text : text[..400];
}
