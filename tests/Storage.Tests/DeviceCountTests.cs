using Dapper;
using Loa.Storage.Devices;
using Loa.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// The push preview counts devices from device_counts, kept by triggers (0034): after any mix of
/// registrations, moves between slices, removals, pruning and raw statements, each counter equals what
/// counting the registry says, and the preview's counts are those counters.
/// </summary>
public sealed class DeviceCountTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-12-07T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private TempDatabase temp = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    private static DeviceRegistration Device(string hash, string province = "01", string language = "vi", string app = "loa", string? msisdn = null, bool refuses = false) =>
        new(hash, "protected-" + hash, "android", app, province, language, msisdn, "national", "key:national", refuses);

    [Theory, SqliteData, SqlServerData]
    public async Task Counters_follow_every_write_to_the_registry(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var store = new DeviceStore(temp.Database, time);
        var targets = new PushTargets(temp.Database, time);
        var audience = new DeviceAudience(temp.Database);

        for (var i = 0; i < 30; i++)
            await store.RegisterAsync(Device($"d{i:D2}", province: i % 3 == 0 ? "79" : "01", language: i % 5 == 0 ? "en" : "vi",
                app: i % 7 == 0 ? "bank" : "loa", msisdn: i % 2 == 0 ? $"+8491200{i:D4}" : null, refuses: i % 4 == 1));
        await store.RegisterAsync(Device("d01", refuses: true));        // again, same slice: no change
        await store.RegisterAsync(Device("d17"));                       // withdraws its refusal
        await store.RegisterAsync(Device("d18", refuses: true));        // refuses
        await store.RegisterAsync(Device("d21", province: "92", refuses: true)); // moves, still refusing
        await store.RegisterAsync(Device("d02", province: "92"));       // moves to a new slice
        await store.RegisterAsync(Device("d03", language: "en"));       // moves between languages
        await store.RegisterAsync(Device("d04", app: "bank"));          // moves between apps
        Assert.True(await store.RemoveAsync(Device("d05").TokenHash, tenant: null));
        await AssertCountersAsync();

        var ids = await IdsAsync("d06", "d08", "d09", "d10");
        Assert.Equal(4, await targets.PruneAsync(ids));
        await using (var connection = await temp.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE devices SET province = '92' WHERE token_hash IN ('d11', 'd12')");
            await connection.ExecuteAsync("UPDATE devices SET awareness_opt_out = 1 WHERE token_hash = 'd14'");
            await connection.ExecuteAsync("DELETE FROM devices WHERE token_hash = 'd13'");
        }
        await AssertCountersAsync();

        var filter = new DeviceFilter(["loa", "bank"], ["01", "79", "92"], ["vi", "en"]);
        var counted = await audience.CountAsync(filter);
        var expected = await GroupedAsync();
        Assert.All(counted, c => Assert.True(c.Devices > 0, $"{c.App} {c.Province} {c.Language} answered with 0"));
        Assert.Equal(expected.Where(r => r.Devices > 0).OrderBy(r => r.Key).ToList(),
            counted.Select(c => (Key: $"{c.App}|{c.Province}|{c.Language}", c.Devices, c.OptedOut)).OrderBy(r => r.Key).ToList());
        Assert.Contains(counted, c => c.OptedOut > 0);
        // A slice emptied by removals keeps a counter at 0, and the preview names it no more than a count would.
        foreach (var hash in new[] { "d00", "d15" })
            await store.RemoveAsync(hash, tenant: null);
        await store.RegisterAsync(Device("e01", province: "48", refuses: true));
        await store.RemoveAsync("e01", tenant: null);
        await AssertCountersAsync();
        var after = await audience.CountAsync(filter with { Provinces = ["01", "79", "92", "48"] });
        Assert.Equal(expected.Sum(r => r.Devices) - 2, after.Sum(c => c.Devices));
        Assert.DoesNotContain(after, c => c.Province == "48");
        await using (var connection = await temp.Database.OpenAsync())
            Assert.Equal((0L, 0L), await connection.QuerySingleAsync<(long, long)>(
                "SELECT devices, opted_out FROM device_counts WHERE app = 'loa' AND province = '48' AND language = 'vi'"));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task The_migration_counts_the_devices_registered_before_it(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect, migrate: false);
        var migrator = new Migrator(temp.Database, NullLogger<Migrator>.Instance);
        await migrator.MigrateToAsync(33);
        // As 0033's registry held them (the store of today writes columns 0035 adds).
        await using (var connection = await temp.Database.OpenAsync())
        {
            for (var i = 0; i < 12; i++)
                await connection.ExecuteAsync(
                    """
                    INSERT INTO devices (token_hash, token, platform, app, province, language, tenant, registered_by, created_at, updated_at)
                    VALUES (@hash, 'p', 'android', 'loa', @province, @language, 'national', 'key:t', 0, 0)
                    """, new { hash = $"m{i:D2}", province = i % 2 == 0 ? "01" : "48", language = i % 4 == 0 ? "en" : "vi" });
        }

        await migrator.MigrateAsync();

        await AssertCountersAsync();
        Assert.Equal(12L, (await new DeviceAudience(temp.Database).CountAsync(new DeviceFilter(["loa"], ["01", "48"], ["vi", "en"]))).Sum(c => c.Devices));
    }

    private async Task<IReadOnlyCollection<long>> IdsAsync(params string[] hashes)
    {
        await using var connection = await temp.Database.OpenAsync();
        return (await connection.QueryAsync<long>("SELECT id FROM devices WHERE token_hash IN @hashes", new { hashes })).AsList();
    }

    private async Task<List<(string Key, long Devices, long OptedOut)>> GroupedAsync()
    {
        await using var connection = await temp.Database.OpenAsync();
        return (await connection.QueryAsync<(string App, string Province, string Language, long Devices, long OptedOut)>(
                "SELECT app, province, language, CAST(COUNT(*) AS BIGINT), SUM(CAST(awareness_opt_out AS BIGINT)) FROM devices GROUP BY app, province, language"))
            .Select(r => (Key: $"{r.App}|{r.Province}|{r.Language}", r.Devices, r.OptedOut)).ToList();
    }

    private async Task AssertCountersAsync()
    {
        await using var connection = await temp.Database.OpenAsync();
        var kept = (await connection.QueryAsync<(string App, string Province, string Language, long Devices, long OptedOut)>(
                "SELECT app, province, language, devices, opted_out FROM device_counts"))
            .Select(r => (Key: $"{r.App}|{r.Province}|{r.Language}", r.Devices, r.OptedOut)).ToList();
        Assert.All(kept, r => Assert.True(r.Devices >= 0 && r.OptedOut >= 0 && r.OptedOut <= r.Devices, r.Key));
        var counted = await GroupedAsync();
        Assert.Equal(counted.OrderBy(r => r.Key).ToList(), kept.Where(r => r.Devices > 0).OrderBy(r => r.Key).ToList());
    }
}
