using System.Globalization;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Batches;
using Loa.Storage.Planning;
using Loa.Storage.Receipts;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// The world of the ledger specs: a real, migrated SQLite file with one running awareness campaign
/// ("c1", two parts a message), the writers of each actor, and helpers that read rows back with SQL
/// as <c>a|b|c</c> lines. Each statement reads one JSON array through json_each and learns what it
/// moved from RETURNING, so the rows and the counters beside them are compared exactly: a row counted
/// that was not written, or written and not counted, shows up as a wrong number.
/// </summary>
public abstract class LedgerSpec : IAsyncLifetime
{
    protected const string Campaign = "c1";
    // Non-ASCII on purpose: province names go through the JSON parameter unescaped and must come back as written.
    protected const string HaNoi = "Hà Nội";
    protected const string Hcm = "TP Hồ Chí Minh";
    protected const string UnroutedReason = "no carrier serves this number's prefix";

    protected readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z", CultureInfo.InvariantCulture));
    private TempDatabase temp = null!;
    protected Database database = null!;
    protected PlanWriter plans = null!;
    protected BatchLedger batches = null!;
    protected ReceiptLedger receipts = null!;

    protected long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    // The dialect is the test case's: each case starts its own database.
    public Task InitializeAsync() => Task.CompletedTask;

    protected async Task StartAsync(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        database = temp.Database;
        plans = new PlanWriter(database, time);
        batches = new BatchLedger(database, time);
        receipts = new ReceiptLedger(database, time);
        await temp.InsertRunningCampaignAsync(Campaign, CampaignKind.Awareness, time, partsPerMessage: 2);
    }

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    protected static PlannedRecipient[] FiveViettel() =>
    [
        new("+84960000001", HaNoi, "viettel"),
        new("+84960000002", Hcm, "viettel"),
        new("+84960000003", HaNoi, "viettel"),
        new("+84960000004", Hcm, "viettel"),
        new("+84960000005", HaNoi, "viettel"),
    ];

    protected static PlanPage Page(IReadOnlyList<PlannedRecipient> recipients, Func<string, int> maxBatchSize, bool countsTowardCap = false) =>
        new(Campaign, Priority: 3, PartsPerMessage: 2, recipients, maxBatchSize,
            NextList: 1, NextAfter: recipients[^1].Msisdn, Last: false, Lease: TimeSpan.FromMinutes(1), countsTowardCap);

    protected async Task<Dictionary<string, long>> IdsAsync() =>
        (await QueryAsync("SELECT recipient, id FROM deliveries WHERE campaign_id = @c"))
        .Select(r => r.Split('|'))
        .ToDictionary(r => r[0], r => long.Parse(r[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);

    /// <summary>Everything a plan page writes, one line per row, to compare before and after a replay.</summary>
    protected async Task<List<string>> SnapshotAsync()
    {
        var all = new List<string>();
        foreach (var (name, sql) in new[]
                 {
                     ("delivery", "SELECT * FROM deliveries"),
                     ("batch", "SELECT * FROM batches"),
                     ("progress", "SELECT * FROM campaign_progress"),
                     ("failure", "SELECT * FROM campaign_failures"),
                     ("throughput", "SELECT * FROM campaign_throughput"),
                     ("contact", "SELECT * FROM awareness_contacts"),
                 })
        {
            all.AddRange((await QueryAsync(sql)).Order(StringComparer.Ordinal).Select(r => name + "|" + r));
        }
        return all;
    }

    /// <summary>The rows of <paramref name="sql"/> (with <c>@c</c> the campaign) as <c>a|b|c</c> lines, in any order.</summary>
    protected async Task AssertRowsAsync(IEnumerable<string> expected, string sql) =>
        Assert.Equal(expected.Order(StringComparer.Ordinal), (await QueryAsync(sql)).Order(StringComparer.Ordinal));

    protected async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var campaign = command.CreateParameter();
        campaign.ParameterName = "@c";
        campaign.Value = Campaign;
        command.Parameters.Add(campaign);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount)
                .Select(i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }
        return rows;
    }

    protected async Task ExecuteAsync(string sql) =>
        await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            return await command.ExecuteNonQueryAsync();
        });
}
