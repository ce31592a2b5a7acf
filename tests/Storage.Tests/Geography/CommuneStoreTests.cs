using Loa.Storage.Geography;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests.Geography;

/// <summary>
/// The commune table operators load: a load replaces the whole table, and the snapshot list uploads and CAP
/// intake read is the table as the last load left it, on any host (a store that did not make the load included).
/// </summary>
public sealed class CommuneStoreTests : IAsyncLifetime
{
    private TempDatabase temp = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    [Theory, SqliteData, SqlServerData]
    public async Task An_empty_table_is_empty_and_its_snapshot_knows_no_commune(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var store = new CommuneStore(temp.Database, new FakeTimeProvider());

        Assert.True(await store.IsEmptyAsync());
        var table = await store.TableAsync();
        Assert.True(table.IsEmpty);
        Assert.Null(table.Find("00004"));
        Assert.Null(await store.ProvinceOfAsync("00004"));
        Assert.Empty(await store.PageAsync(null, "", 10));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_load_replaces_the_whole_table_and_every_hosts_snapshot_follows_it(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        // Two stores on one database are two hosts: only the first makes the loads.
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-06T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var loader = new CommuneStore(temp.Database, time);
        var other = new CommuneStore(temp.Database, time);

        await loader.ReplaceAsync([new("00004", "Phường Ba Đình", "01"), new("00008", "Phường Ngọc Hà", "01"), new("26734", "Phường Sài Gòn", "79")]);
        Assert.False(await loader.IsEmptyAsync());
        Assert.Equal("79", await loader.ProvinceOfAsync("26734"));
        var first = await other.TableAsync();
        Assert.Equal(3, first.Count);
        Assert.Equal(new Commune("00004", "Phường Ba Đình", "01"), first.Find("00004"));
        Assert.Same(first, await other.TableAsync()); // unchanged: not read again

        // Same clock reading: the second load is still told apart from the first.
        await loader.ReplaceAsync([new("00004", "Phường Ba Đình", "01"), new("99999", "Xã Thử", "92")]);
        var second = await other.TableAsync();
        Assert.NotSame(first, second);
        Assert.Equal(2, second.Count);
        Assert.Null(second.Find("26734"));
        Assert.Equal("92", second.Find("99999")?.Province);
        Assert.Null(await loader.ProvinceOfAsync("00008"));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Pages_go_by_code_of_one_province_or_all(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var store = new CommuneStore(temp.Database, new FakeTimeProvider());
        await store.ReplaceAsync([new("00008", "B", "01"), new("00004", "A", "01"), new("26734", "C", "79"), new("00010", "D", "01")]);

        Assert.Equal(["00004", "00008"], (await store.PageAsync(null, "", 2)).Select(c => c.Code));
        Assert.Equal(["00010", "26734"], (await store.PageAsync(null, "00008", 2)).Select(c => c.Code));
        Assert.Equal(["00008", "00010"], (await store.PageAsync("01", "00004", 10)).Select(c => c.Code));
        Assert.Equal(["26734"], (await store.PageAsync("79", "", 10)).Select(c => c.Code));
    }
}
