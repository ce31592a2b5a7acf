using System.Globalization;
using Dapper;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Deliveries;
using Loa.Storage.Planning;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// A campaign's deliveries are paged by the id range the planner keeps on the campaign (SQLite has
/// no index on campaign_id since 0009): campaigns planned at the same time interleave their pages,
/// and each campaign's pages must still hold exactly its own rows, in id order, nothing skipped.
/// </summary>
public sealed class DeliveryPageTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z", CultureInfo.InvariantCulture));
    private TempDatabase temp = null!;
    private Database database = null!;
    private PlanWriter plans = null!;
    private DeliveryReads reads = null!;

    // The dialect is the test case's: each case starts its own database.
    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        database = temp.Database;
        plans = new PlanWriter(database, time);
        reads = new DeliveryReads(database);
        foreach (var id in new[] { "a", "b", "empty" })
            await temp.InsertRunningCampaignAsync(id, CampaignKind.Warning, time);
    }

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Interleaved_campaigns_page_through_exactly_their_own_deliveries_in_id_order(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        // a, b, a, b, a: three pages of a around two of b, then a page of a written again (a replay).
        var expected = new Dictionary<string, List<string>> { ["a"] = [], ["b"] = [] };
        var n = 0;
        foreach (var campaign in new[] { "a", "b", "a", "b", "a" })
        {
            var page = Enumerable.Range(0, 7).Select(_ => new PlannedRecipient($"+8496{++n:D7}", "HN", "viettel")).ToList();
            Assert.NotNull(await plans.WriteAsync(Page(campaign, page)));
            expected[campaign].AddRange(page.Select(r => r.Msisdn));
        }
        var replay = Enumerable.Range(1, 7).Select(i => new PlannedRecipient($"+8496{i:D7}", "HN", "viettel")).ToList();
        Assert.NotNull(await plans.WriteAsync(Page("a", replay)));

        foreach (var (campaign, recipients) in expected)
        {
            var seen = new List<DeliveryRow>();
            long after = 0;
            for (var i = 0; i < 10; i++) // pages of 4: 21 rows of a, 14 of b
            {
                var rows = await reads.PageAsync(campaign, null, after, 4);
                if (rows.Count == 0)
                    break;
                seen.AddRange(rows);
                after = rows[^1].Id;
            }
            Assert.Equal(recipients, seen.Select(r => r.Recipient));
            Assert.Equal(seen.Select(r => r.Id).Order(), seen.Select(r => r.Id));
        }

        await using var connection = await database.OpenAsync();
        var bounds = (await connection.QueryAsync<(string Id, long? First, long? Last)>(
            "SELECT id, first_delivery_id, last_delivery_id FROM campaigns ORDER BY id")).ToList();
        var ids = (await connection.QueryAsync<(string Campaign, long Min, long Max)>(
            "SELECT campaign_id, MIN(id), MAX(id) FROM deliveries GROUP BY campaign_id ORDER BY campaign_id")).ToList();
        Assert.Equal([("a", ids[0].Min, ids[0].Max), ("b", ids[1].Min, ids[1].Max), ("empty", (long?)null, (long?)null)],
            bounds.Select(b => (b.Id, b.First, b.Last)));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_status_filter_and_a_campaign_without_deliveries_page_as_before(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var page = Enumerable.Range(1, 6).Select(i => new PlannedRecipient($"+8496{i:D7}", "HN", i % 2 == 0 ? "viettel" : Unrouted.Carrier)).ToList();
        await plans.WriteAsync(Page("a", page));

        var failed = await reads.PageAsync("a", DeliveryStatus.Failed, 0, 100);
        Assert.Equal(["+84960000001", "+84960000003", "+84960000005"], failed.Select(r => r.Recipient));
        Assert.All(failed, r => Assert.Equal(DeliveryStatus.Failed, r.Status));
        Assert.Equal(3, (await reads.PageAsync("a", DeliveryStatus.Queued, 0, 100)).Count);
        Assert.Empty(await reads.PageAsync("empty", null, 0, 100));
        Assert.Empty(await reads.PageAsync("no-such-campaign", null, 0, 100));
    }

    private static PlanPage Page(string campaign, IReadOnlyList<PlannedRecipient> recipients) =>
        new(campaign, Priority: 2, PartsPerMessage: 1, recipients, _ => 3,
            NextList: 0, NextAfter: recipients[^1].Msisdn, Last: false, Lease: TimeSpan.FromMinutes(1));
}
