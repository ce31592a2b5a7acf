using Dapper;
using Loa.Contracts;
using Loa.Storage.Progress;

namespace Loa.Storage.Acks;

/// <param name="Received">True when this ack is the first of its delivery: <c>received</c> moved.</param>
/// <param name="Opened">True when this ack is the first <c>opened</c> of its delivery: <c>opened</c> moved.</param>
public sealed record AckOutcome(bool Received, bool Opened);

/// <summary>
/// The phones' acknowledgements of push deliveries (<c>POST /api/v1/devices/{token}/acks</c>), and the
/// counters moved in the same transaction, so that an app repeating an ack, or sending <c>opened</c>
/// without <c>received</c>, never counts anything twice. A push to the device itself is acknowledged once
/// per delivery (<c>push_acks</c>); a push to the topic of the device's app, province and language (an app
/// on topics: one delivery reaches every phone subscribed) once per campaign and device
/// (<c>push_topic_acks</c>), so the app's acknowledgements count the topic's reach.
/// Acks come at the rate phones wake, so the write is one key insert and one counter upsert; the
/// lookups that find the delivery are reads outside the write lock.
/// </summary>
public sealed class AckLedger(Database database, TimeProvider time)
{
    internal static readonly Sql FindDevice = Sql.Both("""
        SELECT id AS Id, app AS App, province AS Province, language AS Language FROM devices
        WHERE token_hash = @hash AND (@tenant IS NULL OR tenant = @tenant)
        """);

    // The campaign's push to the device (recipient: its id as text) and to its topic: at most two seeks of
    // ux_deliveries. On SQL Server the parameters are cast to the column's type, so the seek is not lost to a conversion.
    internal static readonly Sql FindDeliveries = new(
        Sqlite: """
            SELECT id AS Id, carrier AS Carrier, recipient AS Recipient FROM deliveries
            WHERE campaign_id = @campaign AND channel = 'push' AND recipient IN (@device, @topic)
            """,
        SqlServer: """
            SELECT id AS Id, carrier AS Carrier, recipient AS Recipient FROM deliveries
            WHERE campaign_id = @campaign AND channel = 'push' AND recipient IN (CAST(@device AS VARCHAR(16)), CAST(@topic AS VARCHAR(16)))
            """);

    private static readonly Sql InsertAck = new(
        Sqlite: "INSERT INTO push_acks (delivery_id, received_at, opened_at) VALUES (@id, @now, @openedAt) ON CONFLICT DO NOTHING",
        // The range lock makes two first acks of one delivery queue here rather than both insert (one would fail on the key).
        SqlServer: """
            INSERT INTO push_acks (delivery_id, received_at, opened_at)
            SELECT @id, @now, @openedAt WHERE NOT EXISTS (SELECT 1 FROM push_acks WITH (UPDLOCK, HOLDLOCK) WHERE delivery_id = @id)
            """);

    private static readonly Sql MarkOpened = Sql.Both("UPDATE push_acks SET opened_at = @now WHERE delivery_id = @id AND opened_at IS NULL");

    private static readonly Sql InsertTopicAck = new(
        Sqlite: """
            INSERT INTO push_topic_acks (campaign_id, device_id, received_at, opened_at) VALUES (@campaign, @device, @now, @openedAt)
            ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO push_topic_acks (campaign_id, device_id, received_at, opened_at)
            SELECT @campaign, @device, @now, @openedAt
            WHERE NOT EXISTS (SELECT 1 FROM push_topic_acks WITH (UPDLOCK, HOLDLOCK) WHERE campaign_id = @campaign AND device_id = @device)
            """);

    private static readonly Sql MarkTopicOpened = Sql.Both(
        "UPDATE push_topic_acks SET opened_at = @now WHERE campaign_id = @campaign AND device_id = @device AND opened_at IS NULL");

    /// <summary>
    /// Records that the device with token hash <paramref name="tokenHash"/> received (or opened) the push of
    /// <paramref name="campaignId"/>. An <c>opened</c> implies <c>received</c>.
    /// </summary>
    /// <param name="tenant">The caller's tenant, or null (national) for any device.</param>
    /// <returns>
    /// Null when there is no such device the caller may see, or the campaign sent neither it nor the topic of its
    /// app, province and language a push. The device as it is registered now: a phone that moved province
    /// since acknowledges the topic of its new one.
    /// </returns>
    public async Task<AckOutcome?> AckAsync(string tokenHash, string? tenant, string campaignId, bool opened, CancellationToken cancellationToken = default)
    {
        Found? delivery;
        long deviceId;
        await using (var reader = await database.OpenAsync(cancellationToken))
        {
            var device = await reader.QuerySingleOrDefaultAsync<Device>(new CommandDefinition(
                database.Text(FindDevice), new { hash = tokenHash, tenant }, cancellationToken: cancellationToken));
            if (device is null)
                return null;
            deviceId = device.Id;
            var own = device.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var topic = PushTopics.Name(device.App, device.Province, device.Language);
            var found = await reader.QueryAsync<Found>(new CommandDefinition(database.Text(FindDeliveries),
                new { campaign = campaignId, device = own, topic = topic.Length <= 16 ? topic : own }, cancellationToken: cancellationToken));
            // Its own delivery first: a test campaign sends a topic app's devices one by one.
            delivery = found.OrderBy(f => PushTopics.IsTopic(f.Recipient)).FirstOrDefault();
        }
        if (delivery is null)
            return null;

        var topicAck = PushTopics.IsTopic(delivery.Recipient);
        var now = time.Ms();
        var key = new { id = delivery.Id, campaign = campaignId, device = deviceId, now, openedAt = opened ? now : (long?)null };
        // The ack row and its counters in one transaction (on SQL Server too): a crash between them would count an ack never kept.
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var received = await connection.ExecuteAsync(new CommandDefinition(database.Text(topicAck ? InsertTopicAck : InsertAck),
            key, transaction, cancellationToken: cancellationToken)) == 1;
        var firstOpened = received ? opened : opened && await connection.ExecuteAsync(new CommandDefinition(
            database.Text(topicAck ? MarkTopicOpened : MarkOpened), key, transaction, cancellationToken: cancellationToken)) == 1;
        await PushCounts.AddAsync(database, connection, transaction, campaignId, delivery.Carrier,
            [(PushCounter.Received, received ? 1 : 0), (PushCounter.Opened, firstOpened ? 1 : 0)], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new AckOutcome(received, firstOpened);
    }

    private sealed record Device(long Id, string App, string Province, string Language);

    private sealed record Found(long Id, string Carrier, string Recipient);
}
