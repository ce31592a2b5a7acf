using Dapper;
using Loa.Storage.Audiences;
using Loa.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.Storage.Tests;

/// <summary>
/// Migration 0020 on a database built by the scripts up to 0018: the free-text tags members had are
/// kept (as legacy_tags) but target nothing, and every list's counts survive under the empty segment,
/// so a campaign on an old list is previewed as before and as the planner (which reads the new, empty
/// tags) runs it.
/// </summary>
public sealed class SegmentUpgradeTests : IAsyncLifetime
{
    private TempDatabase temp = null!;

    public async Task InitializeAsync() => temp = await TempDatabase.CreateAsync(migrate: false);

    public async Task DisposeAsync() => await temp.DisposeAsync();

    [Fact]
    public async Task Migration_0020_keeps_old_tags_apart_and_old_counts_under_the_empty_segment()
    {
        var database = temp.Database;
        var migrator = new Migrator(database, NullLogger<Migrator>.Instance);
        await migrator.MigrateToAsync(18);
        await using (var connection = await database.OpenAsync())
        {
            await connection.ExecuteAsync(
                "INSERT INTO lists (id, tenant, name, created_by, created_at, accepted, rejected, duplicates) VALUES ('old', 'national', 'old', 'x', 0, 2, 0, 0)");
            await connection.ExecuteAsync(
                "INSERT INTO list_members (list_id, msisdn, province, tags, name) VALUES ('old', '+84860000001', '01', 'VIP, khách quen', NULL), ('old', '+84960000001', '01', NULL, NULL)");
            await connection.ExecuteAsync(
                "INSERT INTO list_counts (list_id, carrier, province, recipients) VALUES ('old', 'viettel', '01', 2)");
        }

        await migrator.MigrateAsync();

        await using (var connection = await database.OpenAsync())
        {
            var member = await connection.QuerySingleAsync<(string? Legacy, string? Tags, string? Commune)>(
                "SELECT legacy_tags, tags, commune FROM list_members WHERE msisdn = '+84860000001'");
            Assert.Equal(("VIP, khách quen", (string?)null, (string?)null), member);
        }
        var lists = new ListStore(database, TimeProvider.System, NullLogger<ListStore>.Instance);
        var counts = await lists.CountsAsync(["old"]);
        Assert.Equal([new ListCountRow("viettel", "01", 2, "", "")], counts);
    }
}
