using Dapper;
using Loa.Contracts;
using Loa.Storage.Acks;
using Loa.Storage.Campaigns;
using Loa.Storage.Devices;
using Loa.Storage.Fallback;
using Loa.Storage.Planning;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// Acks count once per delivery and only for the caller's devices; the fallback's page is planned once,
/// skips a number the campaign already texted, and holds the campaign open until the sweep has ended.
/// </summary>
public sealed class PushFallbackTests : IAsyncLifetime
{
    private const string Campaign = "01PUSHFALLBACK000000000000";
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-12-05T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly FakeTimeProvider time = new(Start);
    private TempDatabase temp = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    /// <summary>A running campaign with three devices (two linked to numbers, one tenant HN), each sent its push.</summary>
    private async Task<long[]> StartAsync(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var devices = new DeviceStore(temp.Database, time);
        var ids = new List<long>();
        foreach (var (hash, tenant, msisdn) in new[] { ("aa", "national", "+84869900001"), ("bb", "national", "+84869900002"), ("cc", "HN", (string?)null) })
            ids.Add((await devices.RegisterAsync(new DeviceRegistration(hash, "p-" + hash, "android", "loa", "01", "vi", msisdn, tenant, "key:t"))).Device.Id);
        await using var connection = await temp.Database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO campaigns (id, tenant, name, kind, status, definition, sms_text, sms_parts, created_by, created_at, updated_by, updated_at, planned_at)
            VALUES (@Campaign, 'national', 'fallback', 'warning', 'running', '{}', 'SMS', 1, 'a', 0, 'a', 0, 0)
            """, new { Campaign });
        foreach (var id in ids)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, status, final_at)
                VALUES (@Campaign, @Recipient, 'push', 'push-loa', '01', 'delivered', @At)
                """, new { Campaign, Recipient = id.ToString(System.Globalization.CultureInfo.InvariantCulture), At = Start.ToUnixTimeMilliseconds() });
        }
        await connection.ExecuteAsync(
            "UPDATE campaigns SET first_delivery_id = (SELECT MIN(id) FROM deliveries), last_delivery_id = (SELECT MAX(id) FROM deliveries)");
        await connection.ExecuteAsync(
            "INSERT INTO campaign_progress (campaign_id, carrier, province, status, count) VALUES (@Campaign, 'push-loa', '01', 'delivered', 3)", new { Campaign });
        return [.. ids];
    }

    private async Task<Dictionary<string, long>> CountsAsync()
    {
        await using var connection = await temp.Database.OpenAsync();
        return (await connection.QueryAsync<(string Counter, long Count)>(
            "SELECT counter, SUM(count) FROM campaign_push_counts WHERE campaign_id = @Campaign GROUP BY counter", new { Campaign }))
            .ToDictionary(r => r.Counter, r => r.Count);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task An_ack_counts_once_opened_implies_received_and_another_tenant_finds_nothing(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var acks = new AckLedger(temp.Database, time);

        Assert.Equal(new AckOutcome(true, false), await acks.AckAsync("aa", null, Campaign, opened: false));
        Assert.Equal(new AckOutcome(false, false), await acks.AckAsync("aa", null, Campaign, opened: false));
        Assert.Equal(new AckOutcome(false, true), await acks.AckAsync("aa", null, Campaign, opened: true));
        Assert.Equal(new AckOutcome(false, false), await acks.AckAsync("aa", null, Campaign, opened: true));
        Assert.Equal(new AckOutcome(true, true), await acks.AckAsync("bb", "national", Campaign, opened: true));
        Assert.Null(await acks.AckAsync("aa", "HN", Campaign, opened: false));     // a national device, a province key
        Assert.Null(await acks.AckAsync("zz", null, Campaign, opened: false));     // no such token
        Assert.Null(await acks.AckAsync("cc", "HN", "01OTHER", opened: false));    // no push in that campaign
        Assert.NotNull(await acks.AckAsync("cc", "HN", Campaign, opened: false));

        var counts = await CountsAsync();
        Assert.Equal((3L, 2L), (counts["received"], counts["opened"]));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task The_fallback_texts_the_silent_linked_device_once_and_holds_the_campaign_open_until_it_ends(DatabaseProvider dialect)
    {
        var devices = await StartAsync(dialect);
        await new AckLedger(temp.Database, time).AckAsync("aa", null, Campaign, opened: false);
        var fallbacks = new FallbackStore(temp.Database, time);
        await fallbacks.OpenAsync(Campaign, TimeSpan.FromMinutes(5));
        await fallbacks.OpenAsync(Campaign, TimeSpan.FromMinutes(5)); // opening again changes nothing

        // Nothing is complete while the fallback is open, whatever the counters say.
        await using (var connection = await temp.Database.OpenAsync())
        await using (var transaction = await Database.BeginWriteAsync(connection))
        {
            await new CampaignCompletion(temp.Database).EndIfDoneAsync(connection, transaction, Campaign, 0);
            await transaction.CommitAsync();
        }
        var campaigns = new CampaignStore(temp.Database, time);
        Assert.Equal(CampaignStatus.Running, (await campaigns.GetAsync(Campaign))!.Status);

        // Before `after`: nothing settles.
        var page = await fallbacks.PageAsync(Campaign, 0, 100);
        Assert.Equal(3, page.Count);
        var (early, wait) = FallbackStore.Settle(page, 0, 100, 300_000, time.Ms(), planned: true);
        Assert.Empty(early);
        Assert.Equal(0, wait.To);

        time.Advance(TimeSpan.FromMinutes(5));
        var (owed, step) = FallbackStore.Settle(page, 0, 100, 300_000, time.Ms(), planned: true);
        Assert.Equal("+84869900002", Assert.Single(owed).Msisdn);
        Assert.Equal(new FallbackStep(0, devices[^1], 1, true), step);

        var plans = new PlanWriter(temp.Database, time);
        PlanPage Page() => new(Campaign, 1, 1, [new PlannedRecipient("+84869900002", "01", "viettel")], _ => 100, 0, "", true, TimeSpan.FromMinutes(1));
        var written = await plans.WriteFallbackAsync(Page(), step);
        Assert.Single(written!);
        // The same page again (a second sweeper, or one that read before the first committed): refused, nothing twice.
        Assert.Null(await plans.WriteFallbackAsync(Page(), step));

        await using (var connection = await temp.Database.OpenAsync())
        {
            Assert.Equal(1L, await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM deliveries WHERE campaign_id = @Campaign AND channel = 'sms'", new { Campaign }));
            Assert.NotNull(await connection.ExecuteScalarAsync<long?>("SELECT done_at FROM push_fallbacks WHERE campaign_id = @Campaign", new { Campaign }));
        }
        var counts = await CountsAsync();
        Assert.Equal((1L, 1L), (counts["fallback"], counts["saved"]));
        Assert.Empty(await fallbacks.OpenOnesAsync());
        Assert.Equal(CampaignStatus.Running, (await campaigns.GetAsync(Campaign))!.Status); // the SMS is queued
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_page_says_which_linked_numbers_had_the_days_awareness_messages_only_when_asked(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        await using (var connection = await temp.Database.OpenAsync())
        {
            // +84869900002: three awareness messages in the last day (the cap), +84869900001: two recent and one older.
            var now = time.Ms();
            foreach (var (msisdn, agoHours, campaign) in new[]
            {
                ("+84869900002", 1, "01A"), ("+84869900002", 5, "01B"), ("+84869900002", 23, "01C"),
                ("+84869900001", 1, "01A"), ("+84869900001", 2, "01B"), ("+84869900001", 30, "01C"),
            })
            {
                await connection.ExecuteAsync("INSERT INTO awareness_contacts (msisdn, at, campaign_id) VALUES (@msisdn, @at, @campaign)",
                    new { msisdn, at = now - agoHours * 3_600_000L, campaign });
            }
        }
        var fallbacks = new FallbackStore(temp.Database, time);
        var since = time.Ms() - 24 * 3_600_000L;

        var capped = await fallbacks.PageAsync(Campaign, 0, 100, capPerDay: 3, capSince: since);
        Assert.Equal([("+84869900001", false), ("+84869900002", true), (null, false)], capped.Select(r => (r.Msisdn, r.Capped)));
        // A cap of 0 (alerts, or no cap configured) asks nothing.
        Assert.All(await fallbacks.PageAsync(Campaign, 0, 100), r => Assert.False(r.Capped));
        // A higher cap: nobody is at it yet.
        Assert.All(await fallbacks.PageAsync(Campaign, 0, 100, capPerDay: 4, capSince: since), r => Assert.False(r.Capped));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_number_the_campaign_already_texted_gets_no_fallback(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var plans = new PlanWriter(temp.Database, time);
        await using (var connection = await temp.Database.OpenAsync())
        {
            await connection.ExecuteAsync(
                "INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, status) VALUES (@Campaign, '+84869900002', 'sms', 'viettel', '01', 'delivered')",
                new { Campaign });
        }
        var fallbacks = new FallbackStore(temp.Database, time);
        await fallbacks.OpenAsync(Campaign, TimeSpan.FromMinutes(1));

        var written = await plans.WriteFallbackAsync(
            new PlanPage(Campaign, 1, 1, [new PlannedRecipient("+84869900002", "01", "viettel")], _ => 100, 0, "", true, TimeSpan.FromMinutes(1)),
            new FallbackStep(0, 10, 0, Done: true));

        Assert.Empty(written!);
        Assert.Equal(0L, (await CountsAsync()).GetValueOrDefault("fallback"));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_push_that_failed_owes_its_sms_at_once_even_when_its_dead_token_pruned_the_device(DatabaseProvider dialect)
    {
        var devices = await StartAsync(dialect);
        // aa: the provider said its token is dead (failed, pruned); bb: refused for another reason (failed, kept);
        // cc: failed, but it never had a number.
        await using (var connection = await temp.Database.OpenAsync())
            await connection.ExecuteAsync("UPDATE deliveries SET status = 'failed', error = 'UNREGISTERED' WHERE campaign_id = @Campaign", new { Campaign });
        var targets = new PushTargets(temp.Database, time);
        Assert.Equal(1, await targets.PruneAsync([devices[0]]));
        Assert.Empty(await targets.ProtectedTokensAsync([devices[0]]));

        var fallbacks = new FallbackStore(temp.Database, time);
        var page = await fallbacks.PageAsync(Campaign, 0, 100);
        Assert.Equal(["+84869900001", "+84869900002", null], page.Select(r => r.Msisdn));
        // No wait for `after`: a failed push can never be acknowledged.
        var (owed, step) = FallbackStore.Settle(page, 0, 100, 300_000, time.Ms(), planned: true);
        Assert.Equal(["+84869900001", "+84869900002"], owed.Select(r => r.Msisdn));
        Assert.Equal(new FallbackStep(0, devices[^1], 0, true), step);

        // The pruned number is kept a week, then forgotten by a later prune; a delivered push is never read from it.
        await using (var connection = await temp.Database.OpenAsync())
            await connection.ExecuteAsync("UPDATE deliveries SET status = 'delivered' WHERE recipient = @Id",
                new { Id = devices[0].ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Null((await fallbacks.PageAsync(Campaign, 0, 100))[0].Msisdn);
        time.Advance(PushTargets.PrunedNumberKept + TimeSpan.FromMinutes(1));
        await targets.PruneAsync([devices[1]]);
        await using (var connection = await temp.Database.OpenAsync())
        {
            Assert.Equal(["+84869900002"], (await connection.QueryAsync<string>("SELECT msisdn FROM pruned_devices")).AsList());
            await connection.ExecuteAsync("UPDATE deliveries SET status = 'failed'", new { Campaign });
        }
        Assert.Equal([null, "+84869900002", null], (await fallbacks.PageAsync(Campaign, 0, 100)).Select(r => r.Msisdn));
    }

    [Fact]
    public void Settle_owes_nothing_for_an_expired_cancelled_or_numberless_failed_push()
    {
        var now = Start.ToUnixTimeMilliseconds();
        FallbackCandidate Row(long id, string status, string? msisdn) => new() { Id = id, Status = status, Msisdn = msisdn, FinalAt = now };
        var page = new[]
        {
            Row(1, DeliveryStatus.Expired, "+84869900001"), Row(2, DeliveryStatus.Cancelled, "+84869900002"),
            Row(3, DeliveryStatus.Failed, null), Row(4, DeliveryStatus.Failed, "+84869900004"),
            Row(5, DeliveryStatus.Delivered, "+84869900005"), // accepted just now: the sweep stops here
        };
        var (owed, step) = FallbackStore.Settle(page, 0, 100, 300_000, now, planned: true);
        Assert.Equal([4L], owed.Select(r => r.Id));
        Assert.Equal(new FallbackStep(0, 4, 0, false), step);
    }
}
