using Dapper;
using Loa.Storage.Acks;
using Loa.Storage.Devices;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// The phones' acks share write turns: many at once are all answered, each delivery counted once however
/// many times its phone repeats itself, and a write that fails reaches the callers it was written for.
/// </summary>
public sealed class AckCoalescingTests : IAsyncLifetime
{
    private const string Campaign = "01ACKSTOGETHER000000000000";
    private const int Devices = 12;
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-12-06T19:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly FakeTimeProvider time = new(Start);
    private TempDatabase temp = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    /// <summary>A running campaign that pushed to <see cref="Devices"/> devices of app loa, each its own delivery.</summary>
    private async Task StartAsync(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var devices = new DeviceStore(temp.Database, time);
        for (var i = 0; i < Devices; i++)
            await devices.RegisterAsync(new DeviceRegistration($"h{i:D2}", $"p-{i}", "android", "loa", "01", "vi", null, "national", "key:t"));
        await using var connection = await temp.Database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO campaigns (id, tenant, name, kind, status, definition, sms_text, sms_parts, created_by, created_at, updated_by, updated_at, planned_at)
            VALUES (@Campaign, 'national', 'acks', 'warning', 'running', '{}', 'SMS', 1, 'a', 0, 'a', 0, 0)
            """, new { Campaign });
        await connection.ExecuteAsync(
            """
            INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, status, final_at)
            SELECT @Campaign, CAST(id AS VARCHAR(16)), 'push', 'push-loa', '01', 'delivered', @At FROM devices
            """, new { Campaign, At = Start.ToUnixTimeMilliseconds() });
    }

    private async Task<Dictionary<string, long>> CountsAsync()
    {
        await using var connection = await temp.Database.OpenAsync();
        return (await connection.QueryAsync<(string Counter, long Count)>(
            "SELECT counter, count FROM campaign_push_counts WHERE campaign_id = @Campaign AND carrier = 'push-loa'", new { Campaign }))
            .ToDictionary(r => r.Counter, r => r.Count);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Many_acks_at_once_are_all_answered_and_each_device_is_counted_once(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var acks = new AckLedger(temp.Database, time);

        // Every device acks received five times at once, the even ones opened three times too, all interleaved.
        var calls = Enumerable.Range(0, 5).SelectMany(_ => Enumerable.Range(0, Devices).Select(i => (Device: i, Opened: false)))
            .Concat(Enumerable.Range(0, 3).SelectMany(_ => Enumerable.Range(0, Devices).Where(i => i % 2 == 0).Select(i => (Device: i, Opened: true))))
            .OrderBy(c => (c.Device * 7919 + (c.Opened ? 1 : 0)) % 13).ToList();
        var answers = await Task.WhenAll(calls.Select(c => Task.Run(() => acks.AckAsync($"h{c.Device:D2}", null, Campaign, c.Opened))));

        Assert.All(answers, Assert.NotNull);
        var byDevice = calls.Zip(answers, (c, a) => (c.Device, Answer: a!)).GroupBy(x => x.Device).ToList();
        Assert.Equal(Devices, byDevice.Count);
        Assert.All(byDevice, device =>
        {
            Assert.Equal(1, device.Count(x => x.Answer.Received));
            Assert.Equal(device.Key % 2 == 0 ? 1 : 0, device.Count(x => x.Answer.Opened));
        });
        var counts = await CountsAsync();
        Assert.Equal(Devices, counts["received"]);
        Assert.Equal(Devices / 2, counts["opened"]);
        await using var connection = await temp.Database.OpenAsync();
        Assert.Equal(Devices, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM push_acks"));
        Assert.Equal(Devices / 2, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM push_acks WHERE opened_at IS NOT NULL"));
    }
}

/// <summary>The group commit under the ledger, alone: who is answered what when a turn fails, and how big a turn gets.</summary>
public sealed class WriteCoalescerTests
{
    [Fact]
    public async Task A_failed_turn_reaches_every_caller_in_it()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var coalescer = new WriteCoalescer<int, int>(async items =>
        {
            await release.Task;
            throw new InvalidOperationException("disk full");
        }, maxPerTurn: 100);

        var calls = Enumerable.Range(0, 20).Select(i => coalescer.WriteAsync(i)).ToList();
        release.SetResult();

        foreach (var call in calls)
            Assert.Equal("disk full", (await Assert.ThrowsAsync<InvalidOperationException>(() => call)).Message);
    }

    [Fact]
    public async Task One_bad_item_fails_its_own_caller_and_not_the_others_that_shared_its_turn()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var turns = new List<int>();
        var coalescer = new WriteCoalescer<int, int>(async items =>
        {
            lock (turns)
                turns.Add(items.Count);
            await release.Task;
            if (items.Contains(13))
                throw new InvalidOperationException("13 is refused");
            return items.Select(i => i * 10).ToArray();
        }, maxPerTurn: 100);

        // The first call holds the writer, so the other nineteen queue up and share the next turn.
        var calls = Enumerable.Range(0, 20).Select(i => coalescer.WriteAsync(i)).ToList();
        release.SetResult();

        for (var i = 0; i < calls.Count; i++)
        {
            if (i == 13)
                await Assert.ThrowsAsync<InvalidOperationException>(() => calls[i]);
            else
                Assert.Equal(i * 10, await calls[i]);
        }
        Assert.Contains(turns, count => count > 1);
    }

    [Fact]
    public async Task A_turn_takes_at_most_its_share_and_the_rest_follow_in_order()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<int>();
        var sizes = new List<int>();
        var coalescer = new WriteCoalescer<int, int>(async items =>
        {
            await release.Task;
            lock (seen)
            {
                sizes.Add(items.Count);
                seen.AddRange(items);
            }
            return items.ToArray();
        }, maxPerTurn: 4);

        var calls = Enumerable.Range(0, 15).Select(i => coalescer.WriteAsync(i)).ToList();
        release.SetResult();

        Assert.Equal(Enumerable.Range(0, 15), await Task.WhenAll(calls));
        Assert.Equal(Enumerable.Range(0, 15), seen);
        Assert.All(sizes, size => Assert.InRange(size, 1, 4));
    }
}
