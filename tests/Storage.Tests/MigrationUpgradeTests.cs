using System.Globalization;
using Dapper;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Deliveries;
using Loa.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// An upgrade, not a fresh install: a database built by the scripts up to 0008, holding campaigns
/// planned side by side, is migrated to 0009. The backfilled bounds must page each campaign's
/// deliveries exactly as the dropped index did.
/// </summary>
public sealed class MigrationUpgradeTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z", CultureInfo.InvariantCulture));
    private TempDatabase temp = null!;
    private Database database = null!;

    public async Task InitializeAsync()
    {
        // Not migrated: the spec builds yesterday's schema itself.
        temp = await TempDatabase.CreateAsync(migrate: false);
        database = temp.Database;
    }

    public async Task DisposeAsync() => await temp.DisposeAsync();

    [Fact]
    public async Task Migration_0009_backfills_each_campaigns_delivery_bounds_and_pages_stay_exact()
    {
        var migrator = new Migrator(database, NullLogger<Migrator>.Instance);
        await migrator.MigrateToAsync(8);
        foreach (var id in new[] { "a", "b", "never-planned" })
            await temp.InsertRunningCampaignAsync(id, CampaignKind.Warning, time);
        // Planned at the same time, as 0008 wrote them: a's and b's rows interleave in id order.
        var expected = new Dictionary<string, List<long>> { ["a"] = [], ["b"] = [] };
        await using (var connection = await database.OpenAsync())
        {
            for (var i = 1; i <= 40; i++)
            {
                var campaign = i % 3 == 0 ? "b" : "a";
                var id = 100 + i * 2;
                await connection.ExecuteAsync(
                    """
                    INSERT INTO deliveries (id, campaign_id, recipient, channel, carrier, province, status)
                    VALUES (@id, @campaign, @recipient, 'sms', 'viettel', 'HN', 'queued')
                    """,
                    new { id, campaign, recipient = "+8496" + i.ToString("D7", CultureInfo.InvariantCulture) });
                expected[campaign].Add(id);
            }
            Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pragma_table_info('campaigns') WHERE name = 'first_delivery_id'"));
        }

        await migrator.MigrateAsync();

        await using (var connection = await database.OpenAsync())
        {
            var bounds = (await connection.QueryAsync<(string Id, long? First, long? Last)>(
                "SELECT id, first_delivery_id, last_delivery_id FROM campaigns ORDER BY id")).ToList();
            Assert.Equal(
                [("a", expected["a"][0], expected["a"][^1]), ("b", expected["b"][0], expected["b"][^1]), ("never-planned", (long?)null, (long?)null)],
                bounds);
            Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ix_deliveries_campaign'"));
            Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_version WHERE version = 9"));
        }
        var reads = new DeliveryReads(database);
        foreach (var (campaign, ids) in expected)
        {
            var seen = new List<long>();
            long after = 0;
            for (var page = 0; page < 20; page++) // pages of 4: at most 7 pages per campaign
            {
                var rows = await reads.PageAsync(campaign, null, after, 4);
                if (rows.Count == 0)
                    break;
                seen.AddRange(rows.Select(r => r.Id));
                after = rows[^1].Id;
            }
            Assert.Equal(ids, seen);
        }
        Assert.Empty(await reads.PageAsync("never-planned", null, 0, 100));
    }
}
