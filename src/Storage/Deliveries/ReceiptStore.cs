using Dapper;
using Loa.Contracts;

namespace Loa.Storage.Deliveries;

public sealed record ReceiptInput(string CarrierMessageId, string Status, string? Error, DateTimeOffset? At);

public sealed record ReceiptOutcome(int Accepted, int Unknown);

/// <summary>
/// Applies carrier receipts in bulk. Duplicates are harmless (a final delivery never moves again);
/// a receipt that matches no submitted message is parked, so a receipt that overtook its submit
/// result is applied when the result lands, and one that never matches stays for inspection.
/// </summary>
public sealed class ReceiptStore(Database database, TimeProvider time)
{
    private static readonly Sql Park = new(
        Sqlite: """
            INSERT INTO parked_receipts (carrier, carrier_message_id, status, error, at, received_at)
            VALUES (@carrier, @cmid, @status, @error, @at, @now) ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO parked_receipts (carrier, carrier_message_id, status, error, at, received_at)
            SELECT @carrier, @cmid, @status, @error, @at, @now
            WHERE NOT EXISTS (SELECT 1 FROM parked_receipts WHERE carrier = @carrier AND carrier_message_id = @cmid)
            """);

    public static string FinalStatus(string receiptStatus) => receiptStatus switch
    {
        "delivered" => DeliveryStatus.Delivered,
        "expired" => DeliveryStatus.Expired,
        _ => DeliveryStatus.Failed, // failed, rejected
    };

    public static bool IsKnownStatus(string receiptStatus) => receiptStatus is "delivered" or "failed" or "expired" or "rejected";

    public async Task<ReceiptOutcome> ApplyAsync(string carrier, IReadOnlyList<ReceiptInput> receipts, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var progress = new ProgressDeltas(database);
        int accepted = 0, unknown = 0;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await using var find = Commands.Prepare(connection, transaction,
            "SELECT id, campaign_id, status, province, submitted_at FROM deliveries WHERE carrier = @carrier AND carrier_message_id = @cmid",
            "carrier", "cmid");
        await using var move = Commands.Prepare(connection, transaction,
            "UPDATE deliveries SET status = @to, error = @error, final_at = @at WHERE id = @id AND status IN ('queued', 'submitted')",
            "to", "error", "at", "id");
        await using var park = Commands.Prepare(connection, transaction, database.Text(Park),
            "carrier", "cmid", "status", "error", "at", "now");

        foreach (var receipt in receipts)
        {
            find.Parameters[0].Value = carrier;
            find.Parameters[1].Value = receipt.CarrierMessageId;
            long id = 0;
            string? campaignId = null, status = null, province = null;
            long? submittedAt = null;
            await using (var reader = await find.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    id = reader.GetInt64(0);
                    campaignId = reader.GetString(1);
                    status = reader.GetString(2);
                    province = reader.GetString(3);
                    submittedAt = reader.IsDBNull(4) ? null : reader.GetInt64(4);
                }
            }
            var at = (receipt.At ?? time.GetUtcNow()).ToUnixTimeMilliseconds();
            if (campaignId is null)
            {
                unknown++;
                await Commands.RunAsync(park, cancellationToken, carrier, receipt.CarrierMessageId, receipt.Status, DeliveryStore.Truncate(receipt.Error), at, now);
                continue;
            }
            accepted++;
            if (DeliveryStatus.IsFinal(status!))
                continue;
            var to = FinalStatus(receipt.Status);
            var error = to == DeliveryStatus.Delivered ? null : DeliveryStore.Truncate(receipt.Error ?? receipt.Status);
            var moved = await Commands.RunAsync(move, cancellationToken, to, error, at, id);
            progress.Move(campaignId, carrier, province!, status, to, moved, error);
            if (moved == 1 && submittedAt is { } submitted)
                progress.ReceiptApplied(carrier, (at - submitted) / 1000.0);
        }
        await progress.FlushAsync(connection, transaction, now);
        await transaction.CommitAsync(cancellationToken);
        progress.Committed();
        return new ReceiptOutcome(accepted, unknown);
    }

    public async Task<long> ParkedCountAsync(string carrier, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM parked_receipts WHERE carrier = @carrier", new { carrier });
    }
}
