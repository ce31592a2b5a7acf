using Loa.Storage.Reports;
using Loa.Tests.Shared;

namespace Loa.Storage.Tests;

/// <summary>Kept reports: a schedule's run is kept once per period, files come back as written, each tenant reads its own.</summary>
public sealed class ExportStoreTests : IAsyncLifetime
{
    private TempDatabase temp = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(DatabaseProvider dialect) => temp = await TempDatabase.CreateAsync(dialect);

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    private static ExportRow Row(string id, string tenant, string runKey) =>
        new(id, tenant, "yearly", "2026", 1_767_200_400_000, 1_795_971_600_000, "scheduled", runKey, "system:scheduler", 1_795_971_600_000, 0, 0);

    [Theory, SqliteData, SqlServerData]
    public async Task A_run_key_is_kept_once_and_each_tenant_pages_and_reads_only_its_own_files(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var exports = new ExportStore(temp.Database);
        var csv = "\uFEFFprovince,provinceName\r\n01,Hà Nội\r\n"u8.ToArray();
        var xlsx = Enumerable.Range(0, 70_000).Select(i => (byte)i).ToArray();

        var (first, created) = await exports.AddAsync(Row("0190000000000000000000000000000a", "national", "scheduled:national:yearly:2026"), csv, xlsx);
        Assert.True(created);
        Assert.Equal((csv.Length, xlsx.Length), ((int)first.CsvBytes, (int)first.XlsxBytes));
        var (again, twice) = await exports.AddAsync(Row("0190000000000000000000000000000b", "national", "scheduled:national:yearly:2026"), [1], [2]);
        Assert.False(twice);
        Assert.Equal(first.Id, again.Id);
        await exports.AddAsync(Row("0190000000000000000000000000000c", "01", "scheduled:01:yearly:2026"), csv, xlsx);

        Assert.Equal(["0190000000000000000000000000000a", "0190000000000000000000000000000c"], (await exports.PageAsync(null, "", 10)).Select(r => r.Id));
        Assert.Equal(["0190000000000000000000000000000c"], (await exports.PageAsync("01", "", 10)).Select(r => r.Id));
        Assert.Equal(["0190000000000000000000000000000c"], (await exports.PageAsync(null, "0190000000000000000000000000000a", 10)).Select(r => r.Id));
        Assert.Null(await exports.FindAsync(first.Id, "01"));
        Assert.Null(await exports.FileAsync(first.Id, "01", xlsx: true));
        Assert.Equal(xlsx, await exports.FileAsync(first.Id, null, xlsx: true));
        Assert.Equal(csv, await exports.FileAsync("0190000000000000000000000000000c", "01", xlsx: false));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_tenants_schedules_are_replaced_whole(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var schedules = new ExportScheduleStore(temp.Database);
        await schedules.PutAsync("01", [new ScheduleRow("01", "yearly", "0 0 7 20 11 ?", "key:a", 1), new ScheduleRow("01", "quarterly", "0 0 7 5 1,4,7,10 ?", "key:a", 1)]);
        await schedules.PutAsync("38", [new ScheduleRow("38", "yearly", "0 0 8 1 12 ?", "key:b", 2)]);
        await schedules.PutAsync("01", [new ScheduleRow("01", "yearly", "0 0 9 21 11 ?", "key:c", 3)]);

        var all = await schedules.AllAsync();
        Assert.Equal(["01:yearly:0 0 9 21 11 ?", "38:yearly:0 0 8 1 12 ?"], all.Select(s => $"{s.Tenant}:{s.Kind}:{s.Cron}"));
        Assert.Equal("key:c", Assert.Single(await schedules.AllAsync("01")).UpdatedBy);
        await schedules.PutAsync("01", []);
        Assert.Empty(await schedules.AllAsync("01"));
    }
}
