using System.Data.Common;
using Dapper;
using Loa.Contracts;
using Loa.Storage.Campaigns;
using Loa.Storage.Deliveries;
using Loa.Storage.Progress;
using Loa.Storage.Receipts;

namespace Loa.Storage.Batches;

/// <param name="Attempts">Submits of this batch that count, this claim's included (a 429 or a hold gives its count back).</param>
/// <param name="SubmitStartedAt">Set when an earlier claim began a submit it never recorded (its lane died mid-submit) to a carrier that cannot recognise a repeat.</param>
public sealed record BatchClaim(long Id, string CampaignId, string Carrier, long Priority, long Attempts, long? SubmitStartedAt = null);

public sealed record BatchMessage(long Id, string Recipient);

public sealed record SubmitResult(long DeliveryId, bool Accepted, string? CarrierMessageId, string? Error);

/// <summary>
/// The send lane's writes: a batch is claimed, its queued messages read, and then it ends one way —
/// the carrier's answer per message recorded (with receipts that overtook it), every message ended
/// with one status and reason (refused, expired, cancelled, given up), given back for a later attempt,
/// or held while its campaign is paused. The receipt deadline of answered batches is kept here too.
/// Status only moves forward: every UPDATE is guarded by the status it leaves.
/// </summary>
public sealed class BatchLedger(Database database, TimeProvider time)
{
    private readonly CampaignCompletion completion = new(database);
    private readonly ReceiptLedger receipts = new(database, time);

    /// <summary>What a batch's accepted messages wait for their receipts when the caller does not say (<c>Loa:Dispatcher:ReceiptTimeout</c>).</summary>
    public static readonly TimeSpan DefaultReceiptTimeout = TimeSpan.FromHours(24);

    private static readonly Sql ClaimBatch = new(
        Sqlite: """
            UPDATE batches SET status = 'sending', lease_until = @Until, attempts = attempts + 1
            WHERE id = @Id AND (status = 'pending' OR (status = 'sending' AND lease_until < @Now))
            RETURNING id AS Id, campaign_id AS CampaignId, carrier AS Carrier, priority AS Priority, attempts AS Attempts, submit_started_at AS SubmitStartedAt
            """,
        SqlServer: """
            UPDATE batches SET status = 'sending', lease_until = @Until, attempts = attempts + 1
            OUTPUT inserted.id AS Id, inserted.campaign_id AS CampaignId, inserted.carrier AS Carrier, inserted.priority AS Priority, inserted.attempts AS Attempts,
                   inserted.submit_started_at AS SubmitStartedAt
            WHERE id = @Id AND (status = 'pending' OR (status = 'sending' AND lease_until < @Now))
            """);

    // The carrier's answer for a whole batch in one statement: @results is a JSON array of {i: delivery
    // id, a: accepted, m: carrier message id, e: error}. The rows it moves come back with their
    // province, so that the counters move by province in the same transaction. The unary + keeps
    // SQLite on the rowid lookup per result: offered ix_deliveries_batch for the batch_id check, it
    // walked the batch's rows and scanned the JSON for each (500 x 500 a batch; 3.2k/s end to end).
    internal static readonly Sql RecordResults = new(
        Sqlite: """
            UPDATE deliveries SET
                status = CASE WHEN j.value->>'a' THEN 'submitted' ELSE 'failed' END,
                carrier_message_id = j.value->>'m',
                submitted_at = CASE WHEN j.value->>'a' THEN @now ELSE submitted_at END,
                error = CASE WHEN j.value->>'a' THEN error ELSE j.value->>'e' END,
                final_at = CASE WHEN j.value->>'a' THEN final_at ELSE @now END,
                attempts = @attempts
            FROM json_each(@results) j
            WHERE deliveries.id = j.value->>'i' AND +deliveries.batch_id = @batch AND deliveries.status = 'queued'
            RETURNING province, status, error
            """,
        SqlServer: """
            UPDATE d SET
                status = CASE WHEN j.a = 1 THEN 'submitted' ELSE 'failed' END,
                carrier_message_id = j.m,
                submitted_at = CASE WHEN j.a = 1 THEN @now ELSE d.submitted_at END,
                error = CASE WHEN j.a = 1 THEN d.error ELSE j.e END,
                final_at = CASE WHEN j.a = 1 THEN d.final_at ELSE @now END,
                attempts = @attempts
            OUTPUT inserted.province, inserted.status, inserted.error
            FROM deliveries d
            JOIN OPENJSON(@results) WITH (i BIGINT '$.i', a BIT '$.a', m VARCHAR(100) '$.m', e NVARCHAR(400) '$.e') j ON d.id = j.i
            WHERE d.batch_id = @batch AND d.status = 'queued'
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

    private static readonly Sql ExpireUnanswered = new(
        Sqlite: """
            UPDATE deliveries SET status = 'expired', error = @reason, final_at = @now
            WHERE batch_id = @Id AND status = 'submitted'
            RETURNING province
            """,
        SqlServer: """
            UPDATE deliveries SET status = 'expired', error = @reason, final_at = @now
            OUTPUT inserted.province
            WHERE batch_id = @Id AND status = 'submitted'
            """);

    private static readonly Sql ReceiptsDue = new(
        Sqlite: """
            SELECT id AS Id, campaign_id AS CampaignId, carrier AS Carrier FROM batches
            WHERE receipts_until IS NOT NULL AND receipts_until < @now ORDER BY receipts_until LIMIT @limit
            """,
        SqlServer: """
            SELECT TOP (@limit) id AS Id, campaign_id AS CampaignId, carrier AS Carrier FROM batches
            WHERE receipts_until IS NOT NULL AND receipts_until < @now ORDER BY receipts_until
            """);

    /// <summary>Takes a batch for sending; null when it is done or another lane holds a live lease on it.</summary>
    public async Task<BatchClaim?> ClaimAsync(long batchId, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        return await database.WriteAsync((connection, transaction) => connection.QuerySingleOrDefaultAsync<BatchClaim>(
            database.Text(ClaimBatch), new { Id = batchId, Now = now, Until = now + (long)lease.TotalMilliseconds }, transaction), cancellationToken);
    }

    /// <summary>
    /// Marks a claimed batch as being handed to a carrier that cannot recognise a repeat, just before the
    /// submit: if the lane dies before recording the answer, the next claim knows its queued messages
    /// may be at the carrier. Cleared by the results, a release or the batch's end.
    /// </summary>
    public async Task MarkSubmittingAsync(long batchId, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            "UPDATE batches SET submit_started_at = @now WHERE id = @batchId AND status = 'sending'", new { now, batchId }, transaction), cancellationToken);
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
    public Task RecordResultsAsync(BatchClaim batch, IReadOnlyList<SubmitResult> results, CancellationToken cancellationToken = default) =>
        RecordResultsAsync(batch, results, DefaultReceiptTimeout, cancellationToken);

    /// <param name="receiptTimeout">How long the accepted messages wait for their receipts before <see cref="ExpireUnansweredAsync"/> ends them.</param>
    public Task RecordResultsAsync(BatchClaim batch, IReadOnlyList<SubmitResult> results, TimeSpan receiptTimeout, CancellationToken cancellationToken = default) =>
        RecordResultsAsync(batch, results, receiptTimeout, close: true, cancellationToken);

    /// <param name="close">
    /// False when some of the batch's messages were not taken and stay queued for another attempt: the
    /// batch stays claimed for the caller to release (or finish), and the accepted ones still get their
    /// receipt deadline. Rows without a result are left as they are either way.
    /// </param>
    /// <param name="takenIsFinal">
    /// Push: the provider's acceptance is the last word Loa will get (FCM and APNs send no receipts), so each
    /// accepted message is delivered at once, through the receipt ledger's own verdict in this transaction,
    /// and waits for no receipt. Acknowledgements from the app would add "received" and "opened" on top.
    /// </param>
    public async Task RecordResultsAsync(
        BatchClaim batch, IReadOnlyList<SubmitResult> results, TimeSpan receiptTimeout, bool close, CancellationToken cancellationToken = default,
        bool takenIsFinal = false)
    {
        var now = time.Ms();
        var accepted = 0;
        var progress = new ProgressDeltas(database);
        // Built before the turn at the write lock: whatever can be done outside it is.
        var json = JsonRows.Of(results, static (w, r) =>
        {
            w.WriteStartObject();
            w.WriteNumber("i", r.DeliveryId);
            w.WriteBoolean("a", r.Accepted);
            if (r.Accepted)
                w.WriteString("m", r.CarrierMessageId);
            else
                w.WriteString("e", DeliveryReason.Truncate(r.Error ?? "rejected by carrier"));
            w.WriteEndObject();
        });
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        if (results.Count > 0)
        {
            // Only this batch's rows: the counters below are moved under this batch's carrier.
            await using var record = Commands.Prepare(connection, transaction, database.Text(RecordResults), "now", "attempts", "results", "batch");
            record.Parameters[0].Value = now;
            record.Parameters[1].Value = batch.Attempts;
            record.Parameters[2].Value = json;
            record.Parameters[3].Value = batch.Id;
            await using var reader = await record.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var status = reader.GetString(1);
                progress.Move(batch.CampaignId, batch.Carrier, reader.GetString(0), DeliveryStatus.Queued, status, 1,
                    status == DeliveryStatus.Failed ? reader.GetString(2) : null);
                if (status == DeliveryStatus.Submitted)
                    accepted++;
            }
        }

        if (takenIsFinal && accepted > 0)
        {
            var taken = results.Where(r => r.Accepted && r.CarrierMessageId is not null)
                .Select(r => new ReceiptInput(r.CarrierMessageId!, "delivered", null, DateTimeOffset.FromUnixTimeMilliseconds(now))).ToList();
            await receipts.ApplyAsync(connection, transaction, batch.Carrier, taken, JsonRows.Of(taken.Select(t => t.CarrierMessageId)), progress, now, cancellationToken);
        }
        else
            await receipts.ApplyParkedAsync(connection, transaction, batch.Id, batch.CampaignId, batch.Carrier, progress, now);
        long? receiptsUntil = accepted > 0 && !takenIsFinal ? now + (long)receiptTimeout.TotalMilliseconds : null;
        if (close)
            await CloseAsync(connection, transaction, batch.Id, null, now, receiptsUntil);
        else
            await connection.ExecuteAsync(
                "UPDATE batches SET submit_started_at = NULL, receipts_until = COALESCE(@receiptsUntil, receipts_until) WHERE id = @Id",
                new { receiptsUntil, batch.Id }, transaction);
        var moved = await progress.FlushAsync(connection, transaction, now);
        await completion.EndIfDoneAsync(connection, transaction, moved, now);
        await transaction.CommitAsync(cancellationToken);
        progress.Committed();
    }

    /// <summary>Ends every still-queued message of a batch with one status and reason (refused, expired, cancelled).</summary>
    /// <param name="attempts">How many times the messages went to the carrier: the batch's attempts, less this claim's when it ends before its submit.</param>
    public async Task FinishAsync(BatchClaim batch, string status, string reason, long attempts, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var progress = new ProgressDeltas(database);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var error = DeliveryReason.Truncate(reason);
        var provinces = await connection.QueryAsync<string>(
            database.Text(FinishQueued), new { status, reason = error, now, attempts, batch.Id }, transaction);
        foreach (var province in provinces.GroupBy(p => p, StringComparer.Ordinal))
            progress.Move(batch.CampaignId, batch.Carrier, province.Key, DeliveryStatus.Queued, status, province.Count(), error);
        await CloseAsync(connection, transaction, batch.Id, reason, now);
        var moved = await progress.FlushAsync(connection, transaction, now);
        await completion.EndIfDoneAsync(connection, transaction, moved, now);
        await transaction.CommitAsync(cancellationToken);
        progress.Committed();
    }

    /// <summary>
    /// Gives a claimed batch back for a later attempt; the sweeper publishes it again when due. A wait
    /// that was not the carrier failing (throttled, outside the sending window) does not count as an attempt.
    /// </summary>
    public async Task ReleaseAsync(long batchId, DateTimeOffset nextAttemptAt, string error, bool countsAsAttempt, CancellationToken cancellationToken = default)
    {
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            """
            UPDATE batches SET status = 'pending', lease_until = NULL, published_at = NULL, next_attempt_at = @Next, last_error = @Error,
                               attempts = attempts - @Refund, submit_started_at = NULL
            WHERE id = @batchId AND status = 'sending'
            """,
            new { batchId, Next = nextAttemptAt.ToUnixTimeMilliseconds(), Error = DeliveryReason.Truncate(error), Refund = countsAsAttempt ? 0 : 1 }, transaction), cancellationToken);
    }

    /// <summary>Puts a claimed batch of a paused campaign aside; nothing republishes it until <see cref="ReleaseHeldAsync"/>.</summary>
    public async Task HoldAsync(long batchId, CancellationToken cancellationToken = default)
    {
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            "UPDATE batches SET status = 'held', lease_until = NULL, published_at = NULL, attempts = attempts - 1 WHERE id = @batchId AND status = 'sending'",
            new { batchId }, transaction), cancellationToken);
    }

    /// <summary>Gives a campaign's held batches back to the outbox (resumed: they are sent; cancelled: they are closed).</summary>
    public async Task<int> ReleaseHeldAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        return await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            "UPDATE batches SET status = 'pending', published_at = NULL, next_attempt_at = NULL WHERE campaign_id = @campaignId AND status = 'held'",
            new { campaignId }, transaction), cancellationToken);
    }

    /// <summary>
    /// Ends as <c>expired</c> the messages of up to <paramref name="batches"/> batches whose receipt
    /// deadline has passed and that are still submitted: a carrier that loses a receipt must not keep
    /// a campaign running forever. A receipt that comes later finds nothing to move.
    /// </summary>
    /// <returns>The messages ended.</returns>
    public async Task<long> ExpireUnansweredAsync(int batches, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        // Asked every sweep, nearly always "none": a read first, no turn at the write lock for nothing.
        List<ReceiptBatch> due;
        await using (var connection = await database.OpenAsync(cancellationToken))
            due = (await connection.QueryAsync<ReceiptBatch>(database.Text(ReceiptsDue), new { now, limit = batches })).AsList();
        if (due.Count == 0)
            return 0;

        long expired = 0;
        foreach (var batch in due)
        {
            // A batch per turn at the write lock: a day's lost receipts must not hold an emergency back.
            var progress = new ProgressDeltas(database);
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
            var provinces = await connection.QueryAsync<string>(
                database.Text(ExpireUnanswered), new { reason = DeliveryReason.NoReceipt, now, batch.Id }, transaction);
            foreach (var province in provinces.GroupBy(p => p, StringComparer.Ordinal))
            {
                progress.Move(batch.CampaignId, batch.Carrier, province.Key, DeliveryStatus.Submitted, DeliveryStatus.Expired, province.Count());
                expired += province.Count();
            }
            await connection.ExecuteAsync("UPDATE batches SET receipts_until = NULL WHERE id = @Id", new { batch.Id }, transaction);
            var moved = await progress.FlushAsync(connection, transaction, now);
            await completion.EndIfDoneAsync(connection, transaction, moved, now);
            await transaction.CommitAsync(cancellationToken);
            progress.Committed();
        }
        return expired;
    }

    private sealed record ReceiptBatch(long Id, string CampaignId, string Carrier);

    // An earlier attempt's accepted messages keep their receipt deadline when a later one takes nothing.
    private static async Task CloseAsync(DbConnection connection, DbTransaction transaction, long batchId, string? error, long now, long? receiptsUntil = null) =>
        await connection.ExecuteAsync(
            "UPDATE batches SET status = 'done', done_at = @now, lease_until = NULL, last_error = @error, receipts_until = COALESCE(@receiptsUntil, receipts_until) WHERE id = @batchId",
            new { now, error = DeliveryReason.Truncate(error), batchId, receiptsUntil }, transaction);
}
