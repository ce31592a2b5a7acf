using Dapper;
using Loa.Contracts;
using Loa.Storage.Acks;
using Loa.Storage.Devices;
using Loa.Storage.Fallback;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// An app on topics: one delivery per topic, acknowledged once per device and campaign into the app's
/// received and opened counters; a device outside the topics sent acknowledges nothing; the fallback sweep
/// finds no device (so no number) behind a topic delivery, even when the app's name is digits.
/// </summary>
public sealed class PushTopicTests : IAsyncLifetime
{
    private const string Campaign = "01PUSHTOPICS00000000000000";
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-12-05T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly FakeTimeProvider time = new(Start);
    private TempDatabase temp = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    /// <summary>
    /// A running campaign that sent app <paramref name="app"/>'s topic for 01/vi (delivered), with devices of the
    /// app in 01/vi (two, linked to numbers, one of tenant HN), 79/vi and 01/en.
    /// </summary>
    private async Task StartAsync(DatabaseProvider dialect, string app = "bank")
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var devices = new DeviceStore(temp.Database, time);
        foreach (var (hash, province, language, tenant, msisdn) in new[]
                 {
                     ("aa", "01", "vi", "national", (string?)"+84869900001"), ("bb", "01", "vi", "HN", "+84869900002"),
                     ("cc", "79", "vi", "national", null), ("dd", "01", "en", "national", null),
                 })
            await devices.RegisterAsync(new DeviceRegistration(hash, "p-" + hash, "android", app, province, language, msisdn, tenant, "key:t"));
        await using var connection = await temp.Database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO campaigns (id, tenant, name, kind, status, definition, sms_text, sms_parts, created_by, created_at, updated_by, updated_at, planned_at)
            VALUES (@Campaign, 'national', 'topics', 'warning', 'running', '{}', 'SMS', 1, 'a', 0, 'a', 0, 0)
            """, new { Campaign });
        await connection.ExecuteAsync(
            """
            INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, status, final_at)
            VALUES (@Campaign, @Topic, 'push', @Carrier, '01', 'delivered', @At)
            """, new { Campaign, Topic = PushTopics.Name(app, "01", "vi"), Carrier = "push-" + app, At = Start.ToUnixTimeMilliseconds() });
        await connection.ExecuteAsync(
            "UPDATE campaigns SET first_delivery_id = (SELECT MIN(id) FROM deliveries), last_delivery_id = (SELECT MAX(id) FROM deliveries)");
    }

    private async Task<Dictionary<(string Carrier, string Counter), long>> CountsAsync()
    {
        await using var connection = await temp.Database.OpenAsync();
        return (await connection.QueryAsync<(string Carrier, string Counter, long Count)>(
            "SELECT carrier, counter, count FROM campaign_push_counts WHERE campaign_id = @Campaign", new { Campaign }))
            .ToDictionary(r => (r.Carrier, r.Counter), r => r.Count);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_topic_is_acknowledged_once_per_device_and_campaign_into_the_apps_counters(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var acks = new AckLedger(temp.Database, time);

        Assert.Equal(new AckOutcome(true, false), await acks.AckAsync("aa", null, Campaign, opened: false));
        Assert.Equal(new AckOutcome(false, false), await acks.AckAsync("aa", null, Campaign, opened: false));
        Assert.Equal(new AckOutcome(false, true), await acks.AckAsync("aa", null, Campaign, opened: true));
        Assert.Equal(new AckOutcome(false, false), await acks.AckAsync("aa", null, Campaign, opened: true));
        Assert.Equal(new AckOutcome(true, true), await acks.AckAsync("bb", "HN", Campaign, opened: true));
        Assert.Null(await acks.AckAsync("aa", "HN", Campaign, opened: false));      // a national device, a province key
        Assert.Null(await acks.AckAsync("cc", null, Campaign, opened: false));      // 79/vi: its topic was not sent
        Assert.Null(await acks.AckAsync("dd", null, Campaign, opened: false));      // 01/en: nor this one
        Assert.Null(await acks.AckAsync("aa", null, "01OTHER", opened: false));     // no push in that campaign

        var counts = await CountsAsync();
        Assert.Equal(2L, counts[("push-bank", "received")]);
        Assert.Equal(2L, counts[("push-bank", "opened")]);
        await using var connection = await temp.Database.OpenAsync();
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM push_topic_acks WHERE campaign_id = @Campaign", new { Campaign }));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM push_acks"));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_device_sent_its_own_push_is_acknowledged_by_its_delivery_not_by_the_topic(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        await using (var connection = await temp.Database.OpenAsync())
        {
            // A campaign may hold both: a test campaign sends a topic app's devices one by one.
            await connection.ExecuteAsync(
                """
                INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, status)
                SELECT @Campaign, CAST(id AS VARCHAR(16)), 'push', 'push-bank', '01', 'delivered' FROM devices WHERE token_hash = 'aa'
                """, new { Campaign });
        }

        Assert.Equal(new AckOutcome(true, false), await new AckLedger(temp.Database, time).AckAsync("aa", null, Campaign, opened: false));

        await using var read = await temp.Database.OpenAsync();
        Assert.Equal(1L, await read.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM push_acks"));
        Assert.Equal(0L, await read.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM push_topic_acks"));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_slice_is_known_to_have_devices_by_one_probe(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var audience = new DeviceAudience(temp.Database);

        Assert.True(await audience.AnyAsync(new DeviceSlice("bank", "01", "vi")));
        Assert.True(await audience.AnyAsync(new DeviceSlice("bank", "79", "vi")));
        Assert.False(await audience.AnyAsync(new DeviceSlice("bank", "79", "en")));
        Assert.False(await audience.AnyAsync(new DeviceSlice("loa", "01", "vi")));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_topic_delivery_owes_no_fallback_even_when_the_apps_name_reads_as_a_device_id(DatabaseProvider dialect)
    {
        // App "1": its topic "1-01-vi" is what SQLite's CAST turns into device 1, which has a linked number.
        await StartAsync(dialect, app: "1");
        var fallbacks = new FallbackStore(temp.Database, time);

        var page = await fallbacks.PageAsync(Campaign, 0, 100);
        time.Advance(TimeSpan.FromMinutes(10));
        var (owed, step) = FallbackStore.Settle(page, 0, 100, 300_000, time.Ms(), planned: true);

        var row = Assert.Single(page);
        Assert.Null(row.Msisdn);
        Assert.Empty(owed);
        Assert.Equal(0, step.Saved);
        Assert.True(step.Done);
    }
}
