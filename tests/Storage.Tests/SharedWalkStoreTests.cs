using Loa.Storage.Audiences;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>A set of lists' kept walk is found by the set whatever its order, and a walk again replaces it.</summary>
public sealed class SharedWalkStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-12-07T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private TempDatabase temp = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_walk_is_kept_per_set_of_lists_and_replaced_by_the_next(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var store = new SharedWalkStore(temp.Database, time);

        Assert.Null(await store.FindAsync(["b", "a"]));
        await store.SaveAsync(["b", "a", "b"], new string('1', 64), 12, """[{"c":"viettel","n":12,"r":[["01",null,""],["31","00004","student"]]}]""");
        var kept = await store.FindAsync(["a", "b"]);
        Assert.NotNull(kept);
        Assert.Equal((new string('1', 64), 12L, time.GetUtcNow().ToUnixTimeMilliseconds()), (kept.Routes, kept.Numbers, kept.ComputedAt));
        Assert.Contains("00004", kept.Groups, StringComparison.Ordinal);
        Assert.Null(await store.FindAsync(["a", "b", "c"]));

        time.Advance(TimeSpan.FromMinutes(1));
        await store.SaveAsync(["a", "b"], new string('2', 64), 0, "[]");
        var replaced = await store.FindAsync(["b", "a"]);
        Assert.Equal((new string('2', 64), 0L, "[]"), (replaced!.Routes, replaced.Numbers, replaced.Groups));
    }
}
