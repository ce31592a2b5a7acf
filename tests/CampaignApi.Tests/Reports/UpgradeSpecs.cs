using Dapper;
using Loa.Storage;
using Loa.Storage.Receipts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.CampaignApi.Tests.Reports;

/// <summary>Migration 0008 on a database that already holds progress: nothing counted is lost.</summary>
public sealed class UpgradeSpecs : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "loa-upgrade-" + Guid.NewGuid().ToString("n"));

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaves a temp directory behind.
        }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Upgrading_keeps_progress_rows_with_an_unknown_province_and_a_campaign_still_completes()
    {
        var database = new Database(new DatabaseOptions { ConnectionString = $"Data Source={Path.Combine(directory, "loa.db")}" });
        await using (var connection = await database.OpenAsync())
        {
            // The schema as it was before 0008, with a running campaign's counters in it.
            await connection.ExecuteAsync("CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
            foreach (var script in Migrator.Scripts(DatabaseProvider.Sqlite).Where(s => s.Version < 8))
            {
                await connection.ExecuteAsync(script.Text);
                await connection.ExecuteAsync("INSERT INTO schema_version VALUES (@Version, @Name, 0)", new { script.Version, script.Name });
            }
            await connection.ExecuteAsync(
                """
                INSERT INTO campaigns (id, tenant, name, kind, status, definition, created_by, created_at, updated_by, updated_at, planned_at, started_at)
                VALUES ('c1', 'national', 'x', 'warning', 'running', '{}', 'a', 0, 'a', 0, 1, 1);
                INSERT INTO campaign_progress (campaign_id, carrier, status, count) VALUES
                    ('c1', 'viettel', 'submitted', 3), ('c1', 'viettel', 'delivered', 5), ('c1', 'viettel', 'suppressed:opted-out', 2);
                """);
        }

        await new Migrator(database, NullLogger<Migrator>.Instance).MigrateAsync();

        await using var db = await database.OpenAsync();
        var rows = (await db.QueryAsync<(string Province, string Status, long Count)>(
            "SELECT province, status, count FROM campaign_progress WHERE campaign_id = 'c1' ORDER BY status")).ToList();
        Assert.Equal([("", "delivered", 5L), ("", "submitted", 3L), ("", "suppressed:opted-out", 2L)], rows);
        var progress = await new Loa.Storage.Deliveries.DeliveryReads(database).ProgressAsync("c1");
        Assert.Equal(10, progress.Sum(p => p.Count));

        // Receipts after the upgrade move the counters under the real province: the '' row and the HN
        // row add up to zero submitted, and the campaign completes.
        await db.ExecuteAsync(
            """
            INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, status, carrier_message_id)
            VALUES ('c1', '+84860000001', 'sms', 'viettel', 'HN', 'submitted', 'm1'),
                   ('c1', '+84860000002', 'sms', 'viettel', 'HN', 'submitted', 'm2'),
                   ('c1', '+84860000003', 'sms', 'viettel', 'HN', 'submitted', 'm3')
            """);
        var receipts = new Loa.Storage.Receipts.ReceiptLedger(database, TimeProvider.System);
        var outcome = await receipts.ApplyAsync("viettel",
            [new("m1", "delivered", null, null), new("m2", "failed", "absent subscriber", null), new("m3", "delivered", null, null)]);
        Assert.Equal(3, outcome.Accepted);
        Assert.Equal("completed", await db.ExecuteScalarAsync<string>("SELECT status FROM campaigns WHERE id = 'c1'"));
        Assert.Equal(1, await db.ExecuteScalarAsync<long>("SELECT count FROM campaign_failures WHERE campaign_id = 'c1' AND reason = 'absent subscriber'"));
        Assert.Equal(-3, await db.ExecuteScalarAsync<long>("SELECT count FROM campaign_progress WHERE campaign_id = 'c1' AND province = 'HN' AND status = 'submitted'"));
    }
}
