using System.Data.Common;
using Dapper;
using Loa.Contracts;
using Loa.Storage.Campaigns;
using Loa.Storage.Coverage;
using Loa.Storage.Deliveries;
using Loa.Storage.Progress;

namespace Loa.Storage.Receipts;

/// <param name="Status">The carrier's verdict: <c>delivered</c>, <c>failed</c>, <c>expired</c> or <c>rejected</c>.</param>
public sealed record ReceiptInput(string CarrierMessageId, string Status, string? Error, DateTimeOffset? At);

public sealed record ReceiptOutcome(int Accepted, int Unknown);

/// <summary>
/// The one place that turns a carrier's verdict on a message into the delivery's final status and
/// reason: for receipts as they arrive (the HTTP webhook today; SMPP <c>deliver_sm</c> and push
/// acknowledgements tomorrow), and for receipts that overtook their submit result, applied when the
/// batch's results are recorded. Duplicates are harmless (a final delivery never moves again); a
/// receipt that matches no submitted message is parked, so one that overtook its submit result is
/// applied when the result lands, and one that never matches stays for inspection.
/// </summary>
public sealed class ReceiptLedger(Database database, TimeProvider time)
{
    private readonly CampaignCompletion completion = new(database);

    // A post's receipts are matched in one read: @ids is a JSON array of carrier message ids. The
    // JSON drives the join (CROSS JOIN fixes SQLite's order), one index seek per receipt.
    internal static readonly Sql Match = new(
        Sqlite: """
            SELECT d.id, d.campaign_id, d.status, d.province, d.submitted_at, d.carrier_message_id, d.recipient, d.tags
            FROM json_each(@ids) j CROSS JOIN deliveries d
            WHERE d.carrier = @carrier AND d.carrier_message_id = j.value
            """,
        SqlServer: """
            SELECT d.id, d.campaign_id, d.status, d.province, d.submitted_at, d.carrier_message_id, d.recipient, d.tags
            FROM OPENJSON(@ids) j JOIN deliveries d
              ON d.carrier = @carrier AND d.carrier_message_id = CAST(j.value AS VARCHAR(100))
            """);

    // Then the matched, still open deliveries move in one statement: @moves is a JSON array of
    // {i: delivery id, s: final status, e: error or null, a: at}, one per delivery.
    private static readonly Sql Move = new(
        Sqlite: """
            UPDATE deliveries SET status = j.value->>'s', error = j.value->>'e', final_at = j.value->>'a'
            FROM json_each(@moves) j
            WHERE deliveries.id = j.value->>'i' AND deliveries.status IN ('queued', 'submitted')
            """,
        SqlServer: """
            UPDATE d SET status = j.s, error = j.e, final_at = j.a
            FROM deliveries d
            JOIN OPENJSON(@moves) WITH (i BIGINT '$.i', s VARCHAR(16) '$.s', e NVARCHAR(400) '$.e', a BIGINT '$.a') j ON d.id = j.i
            WHERE d.status IN ('queued', 'submitted')
            """);

    // And the unmatched ones are parked in one statement: @parked is a JSON array of
    // {m: carrier message id, s: the carrier's status, e: error or null, a: at}.
    private static readonly Sql Park = new(
        Sqlite: """
            INSERT INTO parked_receipts (carrier, carrier_message_id, status, error, at, received_at)
            SELECT @carrier, j.value->>'m', j.value->>'s', j.value->>'e', j.value->>'a', @now FROM json_each(@parked) j WHERE true
            ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO parked_receipts (carrier, carrier_message_id, status, error, at, received_at)
            SELECT @carrier, j.m, j.s, j.e, j.a, @now
            FROM OPENJSON(@parked) WITH (m VARCHAR(100) '$.m', s VARCHAR(16) '$.s', e NVARCHAR(400) '$.e', a BIGINT '$.a') j
            WHERE NOT EXISTS (SELECT 1 FROM parked_receipts WHERE carrier = @carrier AND carrier_message_id = j.m)
            """);

    public static bool IsKnownStatus(string receiptStatus) => receiptStatus is "delivered" or "failed" or "expired" or "rejected";

    /// <summary>
    /// A carrier's verdict as a delivery's final status and reason: delivered keeps no reason; any other
    /// verdict keeps the carrier's error, or the verdict itself when the carrier gave none.
    /// </summary>
    public static (string Status, string? Error) Verdict(string receiptStatus, string? carrierError)
    {
        var status = receiptStatus switch
        {
            "delivered" => DeliveryStatus.Delivered,
            "expired" => DeliveryStatus.Expired,
            _ => DeliveryStatus.Failed, // failed, rejected
        };
        return (status, status == DeliveryStatus.Delivered ? null : DeliveryReason.Truncate(carrierError ?? receiptStatus));
    }

    /// <summary>
    /// Applies one post of a carrier's receipts in one transaction, with three statements whatever
    /// its size: match, move, park. Receipts are taken in order: of two for the same message, the first wins.
    /// </summary>
    public async Task<ReceiptOutcome> ApplyAsync(string carrier, IReadOnlyList<ReceiptInput> receipts, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var progress = new ProgressDeltas(database);
        var ids = JsonRows.Of(receipts.Select(r => r.CarrierMessageId)); // built before the turn at the write lock
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var outcome = await ApplyAsync(connection, transaction, carrier, receipts, ids, progress, now, cancellationToken);
        var moved = await progress.FlushAsync(connection, transaction, now);
        await completion.EndIfDoneAsync(connection, transaction, moved, now);
        await transaction.CommitAsync(cancellationToken);
        progress.Committed();
        return outcome;
    }

    /// <summary>
    /// Inside a caller's transaction: match, move, park. The caller flushes <paramref name="progress"/> and
    /// asks for the campaigns' end (a push batch's results apply their own "delivered" verdict this way, see BatchLedger).
    /// </summary>
    internal async Task<ReceiptOutcome> ApplyAsync(
        DbConnection connection, DbTransaction transaction, string carrier, IReadOnlyList<ReceiptInput> receipts, string ids,
        ProgressDeltas progress, long now, CancellationToken cancellationToken)
    {
        var matched = new Dictionary<string, Matched>(receipts.Count, StringComparer.Ordinal);
        // Coverage counts subscribers reached by SMS; a push lane's recipients are devices, not people to count against the base.
        var reach = new ReachedTally(database);
        var counted = !Channels.IsPushLane(carrier);
        await using (var match = Commands.Prepare(connection, transaction, database.Text(Match), "ids", "carrier"))
        {
            match.Parameters[0].Value = ids;
            match.Parameters[1].Value = carrier;
            await using var reader = await match.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                matched.TryAdd(reader.GetString(5), new Matched(
                    reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7)));
            }
        }

        int accepted = 0, unknown = 0;
        var moves = new List<(long Id, string To, string? Error, long At)>();
        var parked = new List<(ReceiptInput Receipt, long At)>();
        var moving = new HashSet<long>();
        foreach (var receipt in receipts)
        {
            var at = (receipt.At ?? time.GetUtcNow()).ToUnixTimeMilliseconds();
            if (!matched.TryGetValue(receipt.CarrierMessageId, out var delivery))
            {
                unknown++;
                parked.Add((receipt, at));
                continue;
            }
            accepted++;
            if (DeliveryStatus.IsFinal(delivery.Status) || !moving.Add(delivery.Id))
                continue; // final already, or a repeat in this post: a delivery moves once
            var (to, error) = Verdict(receipt.Status, receipt.Error);
            moves.Add((delivery.Id, to, error, at));
            progress.Move(delivery.CampaignId, carrier, delivery.Province, delivery.Status, to, 1, error);
            if (to == DeliveryStatus.Delivered && counted)
                reach.Delivered(delivery.Recipient, delivery.Province, carrier, delivery.Tags, at);
            if (delivery.SubmittedAt is { } submitted)
                progress.ReceiptApplied(carrier, (at - submitted) / 1000.0);
        }

        if (moves.Count > 0)
        {
            await connection.ExecuteAsync(database.Text(Move), new
            {
                moves = JsonRows.Of(moves, static (w, m) =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("i", m.Id);
                    w.WriteString("s", m.To);
                    if (m.Error is not null)
                        w.WriteString("e", m.Error);
                    w.WriteNumber("a", m.At);
                    w.WriteEndObject();
                }),
            }, transaction);
        }
        if (parked.Count > 0)
        {
            await connection.ExecuteAsync(database.Text(Park), new
            {
                carrier,
                now,
                parked = JsonRows.Of(parked.DistinctBy(p => p.Receipt.CarrierMessageId, StringComparer.Ordinal), static (w, p) =>
                {
                    w.WriteStartObject();
                    w.WriteString("m", p.Receipt.CarrierMessageId);
                    w.WriteString("s", p.Receipt.Status);
                    if (DeliveryReason.Truncate(p.Receipt.Error) is { } error)
                        w.WriteString("e", error);
                    w.WriteNumber("a", p.At);
                    w.WriteEndObject();
                }),
            }, transaction);
        }
        await reach.FlushAsync(connection, transaction);
        return new ReceiptOutcome(accepted, unknown);
    }

    /// <summary>
    /// Inside a batch's results transaction: applies the receipts parked for its messages (they
    /// overtook the carrier's answer) with the same verdict as on arrival, and forgets them. The caller
    /// flushes <paramref name="progress"/> and asks for the campaign's end.
    /// </summary>
    internal async Task ApplyParkedAsync(DbConnection connection, DbTransaction transaction, long batchId, string campaignId, string carrier, ProgressDeltas progress, long now)
    {
        // Usually nothing is parked for the carrier: one key probe then, not a join over the batch's rows.
        var anyParked = await connection.ExecuteScalarAsync<bool>(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM parked_receipts WHERE carrier = @Carrier) THEN 1 ELSE 0 END", new { Carrier = carrier }, transaction);
        if (!anyParked)
            return;
        var early = (await connection.QueryAsync<(long Id, string CarrierMessageId, string Province, string Status, string? Error, long At, string Recipient, string? Tags)>(
            """
            SELECT d.id, d.carrier_message_id, d.province, p.status, p.error, p.at, d.recipient, d.tags FROM deliveries d
            JOIN parked_receipts p ON p.carrier = d.carrier AND p.carrier_message_id = d.carrier_message_id
            WHERE d.batch_id = @Id AND d.status = 'submitted'
            """,
            new { Id = batchId }, transaction)).AsList();
        var reach = new ReachedTally(database);
        foreach (var receipt in early)
        {
            var (to, error) = Verdict(receipt.Status, receipt.Error);
            var moved = await connection.ExecuteAsync(
                "UPDATE deliveries SET status = @to, error = @error, final_at = @At WHERE id = @Id AND status = 'submitted'",
                new { to, error, receipt.At, receipt.Id }, transaction);
            progress.Move(campaignId, carrier, receipt.Province, DeliveryStatus.Submitted, to, moved, error);
            if (moved == 1 && to == DeliveryStatus.Delivered)
                reach.Delivered(receipt.Recipient, receipt.Province, carrier, receipt.Tags, receipt.At);
            if (moved == 1)
                progress.ReceiptApplied(carrier, (receipt.At - now) / 1000.0); // overtook the answer: as good as no wait
            await connection.ExecuteAsync(
                "DELETE FROM parked_receipts WHERE carrier = @Carrier AND carrier_message_id = @CarrierMessageId",
                new { Carrier = carrier, receipt.CarrierMessageId }, transaction);
        }
        await reach.FlushAsync(connection, transaction);
    }

    private sealed record Matched(long Id, string CampaignId, string Status, string Province, long? SubmittedAt, string Recipient, string? Tags);

    public async Task<long> ParkedCountAsync(string carrier, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM parked_receipts WHERE carrier = @carrier", new { carrier });
    }
}
