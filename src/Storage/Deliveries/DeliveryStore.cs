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

    // A page's deliveries in one statement: @rows is a JSON array of {r: recipient, c: carrier,
    // p: province, b: batch id or null, s: status, e: error or null, f: final_at or null}. On SQL
    // Server the rows inserted come back (OUTPUT); SQLite's are found by id (see WritePlanPageAsync),
    // RETURNING cost a fifth of the insert. The unique index (campaign, recipient, channel) drops a recipient met
    // twice (overlapping lists, or a page planned again after a crash): "never twice" is enforced here,
    // not by the planner's memory.
    private static readonly Sql InsertDeliveries = new(
        Sqlite: """
            INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, batch_id, status, error, final_at)
            SELECT @campaign, j.value->>'r', 'sms', j.value->>'c', j.value->>'p', j.value->>'b', j.value->>'s', j.value->>'e', j.value->>'f'
            FROM json_each(CAST(@rows AS TEXT)) j WHERE true
            ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, batch_id, status, error, final_at)
            OUTPUT inserted.recipient, inserted.carrier, inserted.province, inserted.batch_id, inserted.status, inserted.error, inserted.id
            SELECT @campaign, j.r, 'sms', j.c, j.p, j.b, j.s, j.e, j.f
            FROM OPENJSON(@rows) WITH (r VARCHAR(16) '$.r', c VARCHAR(32) '$.c', p NVARCHAR(16) '$.p', b BIGINT '$.b',
                                       s VARCHAR(16) '$.s', e NVARCHAR(400) '$.e', f BIGINT '$.f') j
            WHERE NOT EXISTS (SELECT 1 FROM deliveries WITH (UPDLOCK, HOLDLOCK)
                              WHERE campaign_id = @campaign AND recipient = j.r AND channel = 'sms')
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

    private static readonly Sql ClaimBatch = new(
        Sqlite: """
            UPDATE batches SET status = 'sending', lease_until = @Until, attempts = attempts + 1
            WHERE id = @Id AND (status = 'pending' OR (status = 'sending' AND lease_until < @Now))
            RETURNING id AS Id, campaign_id AS CampaignId, carrier AS Carrier, priority AS Priority, attempts AS Attempts
            """,
        SqlServer: """
            UPDATE batches SET status = 'sending', lease_until = @Until, attempts = attempts + 1
            OUTPUT inserted.id AS Id, inserted.campaign_id AS CampaignId, inserted.carrier AS Carrier, inserted.priority AS Priority, inserted.attempts AS Attempts
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

    /// <summary>
    /// Writes one planned page in one transaction: batch rows (the outbox), delivery rows, progress
    /// counters and the planner's keyset position. Returns the batches to publish after the commit, or
    /// null (and writes nothing) when the campaign was cancelled meanwhile.
    /// </summary>
    public async Task<IReadOnlyList<SendBatch>?> WritePlanPageAsync(PlanPage page, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var progress = new ProgressDeltas(database);

        // Everything that does not need the write lock is done before taking it. A number met twice in
        // one page (the same number at the end of one list and the start of the next) keeps its first
        // row, as the unique index would; SQL Server's insert needs it unique.
        var seen = new HashSet<string>(page.Recipients.Count, StringComparer.Ordinal);
        var unique = page.Recipients.Where(r => seen.Add(r.Msisdn)).ToList();
        var rows = new List<PageRow>(unique.Count);
        foreach (var r in unique)
        {
            if (r.Suppressed is not null) // kept as rows with the reason, so reports and progress can say who was left out and why
                rows.Add(new PageRow(r, null, DeliveryStatus.Suppressed, r.Suppressed, now));
            else if (r.Carrier == Unrouted.Carrier) // nobody can carry these numbers: they fail now, with the reason, instead of waiting forever
                rows.Add(new PageRow(r, null, DeliveryStatus.Failed, UnroutedReason, now));
        }
        var chunks = unique.Where(r => r.Suppressed is null && r.Carrier != Unrouted.Carrier)
            .GroupBy(r => r.Carrier)
            .SelectMany(group => group.Chunk(Math.Max(1, page.MaxBatchSize(group.Key))).Select(chunk => (Carrier: group.Key, Recipients: chunk)))
            .ToList();

        // The counters as they move when every row goes in (the usual case), one entry per carrier,
        // province and status rather than one move per row.
        var counts = new Dictionary<(string Carrier, string Province, string Status, string? Reason), long>();
        void Count(string carrier, string province, string status, string? error)
        {
            var key = status == DeliveryStatus.Suppressed
                ? (carrier, province, Suppression.SuppressionReason.ProgressPrefix + error, null)
                : (carrier, province, status, error);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        foreach (var row in rows)
            Count(row.Recipient.Carrier, row.Recipient.Province, row.Status, row.Error);
        foreach (var (_, chunk) in chunks)
        {
            foreach (var r in chunk)
                Count(r.Carrier, r.Province, DeliveryStatus.Queued, null);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var batchIds = new List<(long Id, string Carrier)>(chunks.Count);
        foreach (var (carrier, chunk) in chunks)
        {
            var batchId = await connection.ExecuteScalarAsync<long>(
                database.Text(InsertBatch), new { page.CampaignId, Carrier = carrier, page.Priority, Now = now }, transaction);
            batchIds.Add((batchId, carrier));
            rows.AddRange(chunk.Select(r => new PageRow(r, batchId, DeliveryStatus.Queued, null, null)));
        }

        // What was inserted (a replayed page inserts nothing it had) is what the counters and batches count.
        var inserted = new Dictionary<long, int>();
        long? firstId = null, lastId = null; // of the rows inserted: the campaign's id range (see 0009_delivery_bounds.sql)
        var contacts = page.CountsTowardAwarenessCap ? new List<string>() : null;
        if (rows.Count > 0)
        {
            await using var insert = Commands.Prepare(connection, transaction, database.Text(InsertDeliveries), "campaign", "rows");
            insert.Parameters[0].Value = page.CampaignId;
            insert.Parameters[1].Value = database.IsSqlite ? JsonRows.Utf8Of(rows, PageRow.Write) : JsonRows.Of(rows, PageRow.Write);
            List<InsertedRow>? readBack = null; // null: every row went in, as counted above
            if (database.IsSqlite)
            {
                // Without RETURNING (a fifth of the insert's time): a new row's id is above the largest
                // before it (INTEGER PRIMARY KEY, and this transaction is the only writer), so when some
                // rows were already there (a replayed page) the ones inserted are read back by id.
                var before = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM deliveries", transaction: transaction);
                var count = await insert.ExecuteNonQueryAsync(cancellationToken);
                if (count == rows.Count)
                    (firstId, lastId) = (before + 1, before + count); // one statement's new rows take consecutive ids
                else
                    readBack = (await connection.QueryAsync<InsertedRow>(
                        "SELECT id AS Id, recipient AS Recipient, carrier AS Carrier, province AS Province, batch_id AS BatchId, status AS Status, error AS Error FROM deliveries WHERE id > @before", new { before }, transaction)).AsList();
            }
            else
            {
                readBack = [];
                await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    readBack.Add(new InsertedRow(reader.GetInt64(6), reader.GetString(0), reader.GetString(1), reader.GetString(2),
                        reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
                }
            }

            if (readBack is null)
            {
                for (var i = 0; i < chunks.Count; i++)
                    inserted[batchIds[i].Id] = chunks[i].Recipients.Length;
                contacts?.AddRange(chunks.SelectMany(c => c.Recipients).Select(r => r.Msisdn));
            }
            else
            {
                counts.Clear(); // counted again from what went in
                foreach (var row in readBack)
                {
                    Count(row.Carrier, row.Province, row.Status, row.Error);
                    if (row.BatchId is { } batch)
                    {
                        inserted[batch] = inserted.GetValueOrDefault(batch) + 1;
                        contacts?.Add(row.Recipient);
                    }
                    firstId = Math.Min(firstId ?? row.Id, row.Id);
                    lastId = Math.Max(lastId ?? row.Id, row.Id);
                }
            }
        }
        foreach (var ((carrier, province, status, reason), count) in counts)
            progress.Add(page.CampaignId, carrier, province, status, count, reason);
        if (contacts is { Count: > 0 })
        {
            await connection.ExecuteAsync(database.Text(Suppression.SuppressionStore.RecordContacts),
                new { msisdns = JsonRows.Of(contacts), at = now, campaign = page.CampaignId }, transaction);
        }

        var batches = new List<SendBatch>(batchIds.Count);
        foreach (var (batchId, carrier) in batchIds)
        {
            var messages = inserted.GetValueOrDefault(batchId);
            if (messages == 0)
            {
                await connection.ExecuteAsync("DELETE FROM batches WHERE id = @batchId", new { batchId }, transaction);
                continue;
            }
            await connection.ExecuteAsync(
                "UPDATE batches SET messages = @messages, parts = @parts WHERE id = @batchId",
                new { messages, parts = messages * page.PartsPerMessage, batchId },
                transaction);
            batches.Add(new SendBatch(batchId, page.CampaignId, carrier, page.Priority));
        }

        var stillPlanned = await connection.ExecuteAsync(
            """
            UPDATE campaigns SET plan_list = @NextList, plan_after = @NextAfter, plan_lease_until = @Until,
                                 planned_at = CASE WHEN @Last = 1 THEN @Now ELSE NULL END,
                                 first_delivery_id = COALESCE(first_delivery_id, @FirstId),
                                 last_delivery_id = CASE WHEN @LastId IS NOT NULL AND (last_delivery_id IS NULL OR last_delivery_id < @LastId)
                                                         THEN @LastId ELSE last_delivery_id END
            WHERE id = @CampaignId AND status IN ('running', 'paused')
            """,
            new
            {
                page.NextList, page.NextAfter, Until = now + (long)page.Lease.TotalMilliseconds, Last = page.Last ? 1 : 0, Now = now,
                FirstId = firstId, LastId = lastId, page.CampaignId,
            },
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
        return await database.WriteAsync((connection, transaction) => connection.QuerySingleOrDefaultAsync<BatchClaim>(
            database.Text(ClaimBatch), new { Id = batchId, Now = now, Until = now + (long)lease.TotalMilliseconds }, transaction), cancellationToken);
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
    public async Task RecordResultsAsync(BatchClaim batch, IReadOnlyList<SubmitResult> results, TimeSpan receiptTimeout, CancellationToken cancellationToken = default)
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
                w.WriteString("e", Truncate(r.Error ?? "rejected by carrier"));
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

        // Usually nothing is parked for the carrier: one key probe then, not a join over the batch's rows.
        var anyParked = await connection.ExecuteScalarAsync<bool>(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM parked_receipts WHERE carrier = @Carrier) THEN 1 ELSE 0 END", new { batch.Carrier }, transaction);
        var early = !anyParked ? [] : (await connection.QueryAsync<(long Id, string CarrierMessageId, string Province, string Status, string? Error, long At)>(
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

        await CloseBatchAsync(connection, transaction, batch.Id, null, now,
            receiptsUntil: accepted > 0 ? now + (long)receiptTimeout.TotalMilliseconds : null);
        await progress.FlushAsync(connection, transaction, now);
        await transaction.CommitAsync(cancellationToken);
        progress.Committed();
    }

    /// <summary>What a batch's accepted messages wait for their receipts when the caller does not say (<c>Loa:Dispatcher:ReceiptTimeout</c>).</summary>
    public static readonly TimeSpan DefaultReceiptTimeout = TimeSpan.FromHours(24);

    /// <summary>The reason a message ends expired when its carrier took it and never said what became of it.</summary>
    public const string NoReceiptReason = "no delivery receipt from the carrier within Loa:Dispatcher:ReceiptTimeout";

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
            var moved = await connection.QueryAsync<string>(
                database.Text(ExpireUnanswered), new { reason = NoReceiptReason, now, batch.Id }, transaction);
            foreach (var province in moved.GroupBy(p => p, StringComparer.Ordinal))
            {
                progress.Move(batch.CampaignId, batch.Carrier, province.Key, DeliveryStatus.Submitted, DeliveryStatus.Expired, province.Count());
                expired += province.Count();
            }
            await connection.ExecuteAsync("UPDATE batches SET receipts_until = NULL WHERE id = @Id", new { batch.Id }, transaction);
            await progress.FlushAsync(connection, transaction, now);
            await transaction.CommitAsync(cancellationToken);
            progress.Committed();
        }
        return expired;
    }

    private sealed record ReceiptBatch(long Id, string CampaignId, string Carrier);

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
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            """
            UPDATE batches SET status = 'pending', lease_until = NULL, published_at = NULL, next_attempt_at = @Next, last_error = @Error,
                               attempts = attempts - @Refund
            WHERE id = @batchId AND status = 'sending'
            """,
            new { batchId, Next = nextAttemptAt.ToUnixTimeMilliseconds(), Error = Truncate(error), Refund = countsAsAttempt ? 0 : 1 }, transaction), cancellationToken);
    }

    /// <summary>Puts a claimed batch of a paused campaign aside; nothing republishes it until <see cref="ReleaseHeldAsync"/>.</summary>
    public async Task HoldBatchAsync(long batchId, CancellationToken cancellationToken = default)
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

    private async Task CloseBatchAsync(DbConnection connection, DbTransaction transaction, long batchId, string? error, long now, long? receiptsUntil = null) =>
        await connection.ExecuteAsync(
            "UPDATE batches SET status = 'done', done_at = @now, lease_until = NULL, last_error = @error, receipts_until = @receiptsUntil WHERE id = @batchId",
            new { now, error = Truncate(error), batchId, receiptsUntil }, transaction);

    /// <summary>A delivery row a plan page inserted, as read back (replayed page, SQL Server's OUTPUT).</summary>
    private sealed record InsertedRow(long Id, string Recipient, string Carrier, string Province, long? BatchId, string Status, string? Error);

    private sealed record PageRow(PlannedRecipient Recipient, long? BatchId, string Status, string? Error, long? FinalAt)
    {
        public static void Write(System.Text.Json.Utf8JsonWriter w, PageRow row)
        {
            w.WriteStartObject();
            w.WriteString("r", row.Recipient.Msisdn);
            w.WriteString("c", row.Recipient.Carrier);
            w.WriteString("p", row.Recipient.Province);
            if (row.BatchId is { } batch)
                w.WriteNumber("b", batch);
            w.WriteString("s", row.Status);
            if (row.Error is not null)
                w.WriteString("e", row.Error);
            if (row.FinalAt is { } final)
                w.WriteNumber("f", final);
            w.WriteEndObject();
        }
    }

    private const string UnroutedReason = "no carrier serves this number's prefix";

    internal static string? Truncate(string? text) => text is null || text.Length <= 400 ? text : text[..400];
}
