using Dapper;
using Loa.Storage.Progress;

namespace Loa.Storage.Acks;

/// <param name="Received">True when this ack is the first of its delivery: <c>received</c> moved.</param>
/// <param name="Opened">True when this ack is the first <c>opened</c> of its delivery: <c>opened</c> moved.</param>
public sealed record AckOutcome(bool Received, bool Opened);

/// <summary>
/// The phones' acknowledgements of push deliveries (<c>POST /api/v1/devices/{token}/acks</c>): one row
/// per delivery ever (<c>push_acks</c>), and the counters moved in the same transaction, so that an app
/// repeating an ack, or sending <c>opened</c> without <c>received</c>, never counts anything twice.
/// Acks come at the rate phones wake, so the write is one key insert and one counter upsert; the
/// lookup that finds the delivery is a read outside the write lock.
/// </summary>
public sealed class AckLedger(Database database, TimeProvider time)
{
    // The token's device, if it is the caller's, and its delivery in the campaign: two unique-index
    // seeks (token hash, then ux_deliveries). A push delivery's recipient is the device id as text.
    private static readonly Sql FindDelivery = new(
        Sqlite: """
            SELECT d.id AS Id, d.carrier AS Carrier FROM devices v
            JOIN deliveries d ON d.campaign_id = @campaign AND d.recipient = CAST(v.id AS TEXT) AND d.channel = 'push'
            WHERE v.token_hash = @hash AND (@tenant IS NULL OR v.tenant = @tenant)
            """,
        SqlServer: """
            SELECT d.id AS Id, d.carrier AS Carrier FROM devices v
            JOIN deliveries d ON d.campaign_id = @campaign AND d.recipient = CAST(v.id AS VARCHAR(16)) AND d.channel = 'push'
            WHERE v.token_hash = @hash AND (@tenant IS NULL OR v.tenant = @tenant)
            """);

    private static readonly Sql InsertAck = new(
        Sqlite: "INSERT INTO push_acks (delivery_id, received_at, opened_at) VALUES (@id, @now, @openedAt) ON CONFLICT DO NOTHING",
        // The range lock makes two first acks of one delivery queue here rather than both insert (one would fail on the key).
        SqlServer: """
            INSERT INTO push_acks (delivery_id, received_at, opened_at)
            SELECT @id, @now, @openedAt WHERE NOT EXISTS (SELECT 1 FROM push_acks WITH (UPDLOCK, HOLDLOCK) WHERE delivery_id = @id)
            """);

    private static readonly Sql MarkOpened = Sql.Both("UPDATE push_acks SET opened_at = @now WHERE delivery_id = @id AND opened_at IS NULL");

    /// <summary>
    /// Records that the device with token hash <paramref name="tokenHash"/> received (or opened) the push of
    /// <paramref name="campaignId"/>. An <c>opened</c> implies <c>received</c>.
    /// </summary>
    /// <param name="tenant">The caller's tenant, or null (national) for any device.</param>
    /// <returns>Null when there is no such device the caller may see, or it had no push in that campaign.</returns>
    public async Task<AckOutcome?> AckAsync(string tokenHash, string? tenant, string campaignId, bool opened, CancellationToken cancellationToken = default)
    {
        Found? delivery;
        await using (var reader = await database.OpenAsync(cancellationToken))
        {
            delivery = await reader.QuerySingleOrDefaultAsync<Found>(new CommandDefinition(
                database.Text(FindDelivery), new { hash = tokenHash, tenant, campaign = campaignId }, cancellationToken: cancellationToken));
        }
        if (delivery is null)
            return null;

        var now = time.Ms();
        // The ack row and its counters in one transaction (on SQL Server too): a crash between them would count an ack never kept.
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var received = await connection.ExecuteAsync(new CommandDefinition(database.Text(InsertAck),
            new { id = delivery.Id, now, openedAt = opened ? now : (long?)null }, transaction, cancellationToken: cancellationToken)) == 1;
        var firstOpened = received ? opened : opened && await connection.ExecuteAsync(new CommandDefinition(database.Text(MarkOpened),
            new { id = delivery.Id, now }, transaction, cancellationToken: cancellationToken)) == 1;
        await PushCounts.AddAsync(database, connection, transaction, campaignId, delivery.Carrier,
            [(PushCounter.Received, received ? 1 : 0), (PushCounter.Opened, firstOpened ? 1 : 0)], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new AckOutcome(received, firstOpened);
    }

    private sealed record Found(long Id, string Carrier);
}
