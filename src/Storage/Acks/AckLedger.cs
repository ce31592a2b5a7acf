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
public sealed class AckLedger
{
    private readonly Database database;
    private readonly TimeProvider time;
    private readonly WriteCoalescer<Ack, AckOutcome> _writes;

    public AckLedger(Database database, TimeProvider time)
    {
        this.database = database;
        this.time = time;
        // The phones' acks come a thousand a second at a large send, each a write turn of its own taken
        // from the lanes' (perf/README, "Push to devices"): those that arrive while a turn is being written
        // share the next, and each caller is answered when its turn has committed.
        _writes = new WriteCoalescer<Ack, AckOutcome>(WriteTurnAsync, MaxAcksPerTurn);
    }

    /// <summary>Keeps one turn's transaction short, whatever the queue.</summary>
    internal const int MaxAcksPerTurn = 500;

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

        return await _writes.WriteAsync(new Ack(delivery.Id, delivery.Carrier, PushTopics.IsTopic(delivery.Recipient), campaignId, deviceId, opened),
            cancellationToken);
    }

    /// <summary>
    /// Writes the acks of one write turn, in the order they came, with their counters summed per campaign
    /// and carrier: one transaction for all (a crash between an ack row and its counters would count an ack
    /// never kept). Two acks of one delivery in a turn meet in the transaction, so the second counts nothing.
    /// </summary>
    private async Task<AckOutcome[]> WriteTurnAsync(IReadOnlyList<Ack> acks)
    {
        var now = time.Ms();
        var outcomes = new AckOutcome[acks.Count];
        var counts = new SortedDictionary<(string Campaign, string Carrier), (long Received, long Opened)>();
        // Not the caller's token: a turn carries other callers' acks, and an ack half written is rolled back anyway.
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var transaction = await Database.BeginWriteAsync(connection, CancellationToken.None);
        for (var i = 0; i < acks.Count; i++)
        {
            var ack = acks[i];
            var key = new { id = ack.DeliveryId, campaign = ack.CampaignId, device = ack.DeviceId, now, openedAt = ack.Opened ? now : (long?)null };
            var received = await connection.ExecuteAsync(new CommandDefinition(database.Text(ack.Topic ? InsertTopicAck : InsertAck),
                key, transaction)) == 1;
            var firstOpened = received ? ack.Opened : ack.Opened && await connection.ExecuteAsync(new CommandDefinition(
                database.Text(ack.Topic ? MarkTopicOpened : MarkOpened), key, transaction)) == 1;
            outcomes[i] = new AckOutcome(received, firstOpened);
            counts.TryGetValue((ack.CampaignId, ack.Carrier), out var sum);
            counts[(ack.CampaignId, ack.Carrier)] = (sum.Received + (received ? 1 : 0), sum.Opened + (firstOpened ? 1 : 0));
        }
        // In key order, so that two hosts' turns on SQL Server take the counter rows in the same order.
        foreach (var ((campaign, carrier), (received, opened)) in counts)
            await PushCounts.AddAsync(database, connection, transaction, campaign, carrier,
                [(PushCounter.Received, received), (PushCounter.Opened, opened)], CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        return outcomes;
    }

    private sealed record Device(long Id, string App, string Province, string Language);

    private sealed record Found(long Id, string Carrier, string Recipient);

    private sealed record Ack(long DeliveryId, string Carrier, bool Topic, string CampaignId, long DeviceId, bool Opened);
}
