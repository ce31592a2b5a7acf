using System.Data.Common;
using Dapper;
using Loa.Contracts;
using Loa.Storage.Campaigns;
using Loa.Storage.Fallback;
using Loa.Storage.Progress;

namespace Loa.Storage.Planning;

/// <summary>
/// The planner's writes: one page of a campaign's audience becomes delivery rows, batch rows (the
/// outbox), progress counters, awareness contacts and the planner's keyset position, in one
/// transaction. The unique delivery index makes a replayed page (a planner that died) harmless.
/// </summary>
public sealed class PlanWriter(Database database, TimeProvider time)
{
    private readonly CampaignCompletion completion = new(database);

    private static readonly Sql InsertBatch = new(
        Sqlite: """
            INSERT INTO batches (campaign_id, tenant, carrier, priority, messages, parts, status, created_at)
            VALUES (@CampaignId, COALESCE((SELECT tenant FROM campaigns WHERE id = @CampaignId), ''), @Carrier, @Priority, 0, 0, 'pending', @Now) RETURNING id
            """,
        SqlServer: """
            INSERT INTO batches (campaign_id, tenant, carrier, priority, messages, parts, status, created_at)
            OUTPUT inserted.id VALUES (@CampaignId, COALESCE((SELECT tenant FROM campaigns WHERE id = @CampaignId), ''), @Carrier, @Priority, 0, 0, 'pending', @Now)
            """);

    // A page's deliveries in one statement: @rows is a JSON array of {r: recipient, c: carrier,
    // p: province, b: batch id or null, s: status, e: error or null, f: final_at or null, t: tags or null}. On SQL
    // Server the rows inserted come back (OUTPUT); SQLite's are found by id (see WriteAsync),
    // RETURNING cost a fifth of the insert. The unique index (campaign, recipient, channel) drops a recipient met
    // twice (overlapping lists, or a page planned again after a crash): "never twice" is enforced here,
    // not by the planner's memory. A page is of one channel (@channel): numbers for sms, device ids for push.
    private static readonly Sql InsertDeliveries = new(
        Sqlite: """
            INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, batch_id, status, error, final_at, tags)
            SELECT @campaign, j.value->>'r', @channel, j.value->>'c', j.value->>'p', j.value->>'b', j.value->>'s', j.value->>'e', j.value->>'f', j.value->>'t'
            FROM json_each(CAST(@rows AS TEXT)) j WHERE true
            ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, batch_id, status, error, final_at, tags)
            OUTPUT inserted.recipient, inserted.carrier, inserted.province, inserted.batch_id, inserted.status, inserted.error, inserted.id
            SELECT @campaign, j.r, @channel, j.c, j.p, j.b, j.s, j.e, j.f, j.t
            FROM OPENJSON(@rows) WITH (r VARCHAR(16) '$.r', c VARCHAR(32) '$.c', p NVARCHAR(16) '$.p', b BIGINT '$.b',
                                       s VARCHAR(16) '$.s', e NVARCHAR(400) '$.e', f BIGINT '$.f', t VARCHAR(300) '$.t') j
            WHERE NOT EXISTS (SELECT 1 FROM deliveries WITH (UPDLOCK, HOLDLOCK)
                              WHERE campaign_id = @campaign AND recipient = j.r AND channel = @channel)
            """);

    // The awareness frequency cap's memory, one statement per planned page: @msisdns is a JSON
    // array of the page's newly planned numbers (read by Planning/AudiencePages.CappedForList).
    private static readonly Sql InsertContacts = new(
        Sqlite: """
            INSERT INTO awareness_contacts (msisdn, at, campaign_id)
            SELECT j.value, @at, @campaign FROM json_each(@msisdns) j WHERE true ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO awareness_contacts (msisdn, at, campaign_id)
            SELECT DISTINCT CAST(j.value AS VARCHAR(16)), @at, @campaign FROM OPENJSON(@msisdns) j
            WHERE NOT EXISTS (SELECT 1 FROM awareness_contacts WHERE msisdn = CAST(j.value AS VARCHAR(16)) AND campaign_id = @campaign)
            """);

    /// <summary>
    /// Writes one planned page in one transaction: batch rows (the outbox), delivery rows, progress
    /// counters and the planner's keyset position. Returns the batches to publish after the commit, or
    /// null (and writes nothing) when the campaign was cancelled meanwhile.
    /// </summary>
    public async Task<IReadOnlyList<SendBatch>?> WriteAsync(PlanPage page, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var progress = new ProgressDeltas(database);
        // Everything that does not need the write lock is done before taking it.
        var plan = PagePlan.Of(page.Recipients, page.MaxBatchSize, now);

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var written = await InsertAsync(connection, transaction, page, plan, progress, now, cancellationToken);
        // An app on topics is sent one delivery per topic: progress must know which of its accepted
        // deliveries were topics, or phones' acks (one per phone) would read as a share of them.
        if (page.Channel == Channels.Push && page.Recipients.Count > 0 && PushTopics.IsTopic(page.Recipients[0].Msisdn))
        {
            foreach (var (carrier, sent) in written.SentByCarrier)
                await PushCounts.AddAsync(database, connection, transaction, page.CampaignId, carrier, [(PushCounter.Topics, sent)], cancellationToken);
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
                written.FirstId, written.LastId, page.CampaignId,
            },
            transaction);
        if (stillPlanned == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }
        await progress.FlushAsync(connection, transaction, now);
        // Only the last page can end a campaign: until then planned_at is null. A last page that
        // closed every row it planned (all suppressed, or none at all) ends it here.
        if (page.Last)
            await completion.EndIfDoneAsync(connection, transaction, page.CampaignId, now);
        await transaction.CommitAsync(cancellationToken);
        progress.Committed();
        return written.Batches;
    }

    /// <summary>
    /// Writes one page of a push fallback (see Fallback/FallbackStore): the SMS deliveries of the numbers
    /// whose push went unacknowledged, planned as any SMS page is (batches, rows, counters; a number the
    /// campaign already has an SMS delivery for is dropped by ux_deliveries), with the sweep's keyset
    /// position, its fallback and saved counters, and its end, all in one transaction: a sweep that dies
    /// resumes after the last page it committed and plans nobody twice. The campaign's planner position is
    /// not touched. Returns the batches to publish after the commit, or null (and writes nothing) when the
    /// campaign is no longer running or paused, or the sweep is not at <paramref name="step"/>'s start any more.
    /// </summary>
    public async Task<IReadOnlyList<SendBatch>?> WriteFallbackAsync(PlanPage page, FallbackStep step, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var progress = new ProgressDeltas(database);
        var plan = PagePlan.Of(page.Recipients, page.MaxBatchSize, now);

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        // The position is the claim: two sweepers reading the same page, only the first to move it writes.
        var moved = await connection.ExecuteAsync(
            """
            UPDATE push_fallbacks SET position = @To, done_at = CASE WHEN @Done = 1 THEN @Now ELSE NULL END
            WHERE campaign_id = @CampaignId AND position = @From AND done_at IS NULL
              AND EXISTS (SELECT 1 FROM campaigns WHERE id = @CampaignId AND status IN ('running', 'paused'))
            """,
            new { page.CampaignId, step.From, step.To, Done = step.Done ? 1 : 0, Now = now }, transaction);
        if (moved == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }
        var written = await InsertAsync(connection, transaction, page, plan, progress, now, cancellationToken);
        await connection.ExecuteAsync(
            """
            UPDATE campaigns SET first_delivery_id = COALESCE(first_delivery_id, @FirstId),
                                 last_delivery_id = CASE WHEN @LastId IS NOT NULL AND (last_delivery_id IS NULL OR last_delivery_id < @LastId)
                                                         THEN @LastId ELSE last_delivery_id END
            WHERE id = @CampaignId
            """,
            new { written.FirstId, written.LastId, page.CampaignId }, transaction);
        await PushCounts.AddAsync(database, connection, transaction, page.CampaignId, "",
            [(PushCounter.Fallback, written.Sent), (PushCounter.Saved, step.Saved)], cancellationToken);
        await progress.FlushAsync(connection, transaction, now);
        // The sweep's end may be the campaign's: every push answered and nothing else left to send.
        if (step.Done)
            await completion.EndIfDoneAsync(connection, transaction, page.CampaignId, now);
        await transaction.CommitAsync(cancellationToken);
        progress.Committed();
        return written.Batches;
    }

    /// <summary>Batch rows, delivery rows and their counters (not flushed) in the caller's transaction.</summary>
    private async Task<Written> InsertAsync(
        DbConnection connection, DbTransaction transaction, PlanPage page, PagePlan plan, ProgressDeltas progress, long now, CancellationToken cancellationToken)
    {
        var rows = new List<PlannedRow>(page.Recipients.Count);
        rows.AddRange(plan.Closed);
        var counts = new Dictionary<PlanCounter, long>(plan.Counts);
        var batchIds = new List<(long Id, string Carrier)>(plan.Batches.Count);
        foreach (var (carrier, chunk) in plan.Batches)
        {
            var batchId = await connection.ExecuteScalarAsync<long>(
                database.Text(InsertBatch), new { page.CampaignId, Carrier = carrier, page.Priority, Now = now }, transaction);
            batchIds.Add((batchId, carrier));
            rows.AddRange(chunk.Select(r => new PlannedRow(r, batchId, DeliveryStatus.Queued, null, null)));
        }

        // What was inserted (a replayed page inserts nothing it had) is what the counters and batches count.
        var inserted = new Dictionary<long, int>();
        long? firstId = null, lastId = null; // of the rows inserted: the campaign's id range (see 0009_delivery_bounds.sql)
        var contacts = page.CountsTowardAwarenessCap ? new List<string>() : null;
        if (rows.Count > 0)
        {
            await using var insert = Commands.Prepare(connection, transaction, database.Text(InsertDeliveries), "campaign", "rows", "channel");
            insert.Parameters[0].Value = page.CampaignId;
            insert.Parameters[1].Value = database.IsSqlite ? JsonRows.Utf8Of(rows, WriteRow) : JsonRows.Of(rows, WriteRow);
            insert.Parameters[2].Value = page.Channel;
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
                for (var i = 0; i < plan.Batches.Count; i++)
                    inserted[batchIds[i].Id] = plan.Batches[i].Recipients.Length;
                contacts?.AddRange(plan.Batches.SelectMany(c => c.Recipients).Select(r => r.Msisdn));
            }
            else
            {
                counts.Clear(); // counted again from what went in
                foreach (var row in readBack)
                {
                    PagePlan.Count(counts, row.Carrier, row.Province, row.Status, row.Error);
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
        foreach (var (counter, count) in counts)
            progress.Add(page.CampaignId, counter.Carrier, counter.Province, counter.Status, count, counter.Reason);
        if (contacts is { Count: > 0 })
        {
            await connection.ExecuteAsync(database.Text(InsertContacts),
                new { msisdns = JsonRows.Of(contacts), at = now, campaign = page.CampaignId }, transaction);
        }

        var batches = new List<SendBatch>(batchIds.Count);
        var sent = 0L;
        var sentByCarrier = new Dictionary<string, long>(StringComparer.Ordinal);
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
            sent += messages;
            sentByCarrier[carrier] = sentByCarrier.GetValueOrDefault(carrier) + messages;
        }
        return new Written(batches, firstId, lastId, sent, sentByCarrier);
    }

    /// <param name="Sent">Rows inserted into a batch: recipients who will be sent the message.</param>
    private sealed record Written(List<SendBatch> Batches, long? FirstId, long? LastId, long Sent, Dictionary<string, long> SentByCarrier);

    /// <summary>A delivery row a plan page inserted, as read back (replayed page, SQL Server's OUTPUT).</summary>
    private sealed record InsertedRow(long Id, string Recipient, string Carrier, string Province, long? BatchId, string Status, string? Error);

    private static void WriteRow(System.Text.Json.Utf8JsonWriter w, PlannedRow row)
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
        if (row.Recipient.Tags is { } tags)
            w.WriteString("t", tags);
        w.WriteEndObject();
    }
}
