using Loa.Storage;
using Loa.Storage.Lanes;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// A lane's lease among several dispatchers (issue 18): one holder at a time, kept while it works,
/// yielded to a process waiting with more urgent work, taken over once given back or lapsed, with a
/// generation that moves exactly when the holder changes.
/// </summary>
public sealed class LaneLeaseTests : IAsyncLifetime
{
    private const string Lane = "viettel";
    private const int Emergency = 0, Warning = 1, Bulk = 2;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10), Wish = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-12-06T08:00:00Z"));
    private TempDatabase temp = null!;
    private LaneLeaseStore leases = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        leases = new LaneLeaseStore(temp.Database, time);
    }

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    private Task<long?> TakeAsync(string holder, int priorityClass, string lane = Lane) =>
        leases.TakeAsync(lane, holder, priorityClass, Lease, Wish);

    [Theory, SqliteData, SqlServerData]
    public async Task One_holder_at_a_time_keeps_its_generation_while_it_works_and_another_takes_over_once_it_is_given_back(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var first = await TakeAsync("a", Bulk);
        Assert.NotNull(first);
        Assert.Null(await TakeAsync("b", Bulk));
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(first, await TakeAsync("a", Bulk)); // kept: the same generation, no takeover
        Assert.True(await leases.StillHeldAsync(Lane, "a", Bulk)); // the holder's next batch needs no write
        Assert.False(await leases.StillHeldAsync(Lane, "b", Bulk));
        Assert.True(await leases.RenewAsync(Lane, "a", Lease));
        Assert.False(await leases.RenewAsync(Lane, "b", Lease));
        Assert.NotNull(await TakeAsync("a", Bulk, lane: "viettel-2")); // another lane is another lease

        await leases.ReleaseAsync(Lane, "a");
        Assert.False(await leases.StillHeldAsync(Lane, "a", Bulk));
        Assert.False(await leases.RenewAsync(Lane, "a", Lease)); // given back is given back
        Assert.Equal(first, await TakeAsync("a", Bulk)); // nobody took it meanwhile: still the same generation
        await leases.ReleaseAsync(Lane, "a");
        var second = await TakeAsync("b", Bulk);
        Assert.Equal(first + 1, second);
        Assert.Null(await TakeAsync("a", Bulk));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_holder_that_stops_renewing_loses_the_lane_once_its_lease_lapses(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var first = await TakeAsync("a", Warning);
        time.Advance(Lease - TimeSpan.FromMilliseconds(1));
        Assert.Null(await TakeAsync("b", Bulk));
        time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal(first + 1, await TakeAsync("b", Bulk));
        Assert.False(await leases.RenewAsync(Lane, "a", Lease)); // the old holder learns it at its next renewal
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_process_waiting_with_more_urgent_work_makes_the_holder_yield_at_its_next_batch_and_nobody_slips_in_between(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var first = await TakeAsync("bulk-sender", Bulk);
        Assert.Null(await TakeAsync("emergency", Emergency)); // held: the wish is on record
        Assert.False(await leases.StillHeldAsync(Lane, "bulk-sender", Bulk)); // so the holder's next batch must ask
        Assert.True(await leases.StillHeldAsync(Lane, "bulk-sender", Emergency)); // (had it emergency work, it would go on)

        // The holder's next batch: it yields instead of going on, and gives the lease back.
        Assert.Null(await TakeAsync("bulk-sender", Bulk));
        // A third process with warning work does not take what was yielded to the emergency.
        Assert.Null(await TakeAsync("warning", Warning));
        Assert.Equal(first + 1, await TakeAsync("emergency", Emergency));

        // The wish was granted and cleared: the emergency holder keeps the lane; the others wait behind it.
        await leases.ReleaseAsync(Lane, "emergency");
        Assert.Equal(first + 2, await TakeAsync("warning", Warning));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Work_as_urgent_as_the_holders_waits_for_it_and_a_wish_nobody_renews_lapses(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var first = await TakeAsync("a", Warning);
        Assert.Null(await TakeAsync("b", Warning));
        Assert.Equal(first, await TakeAsync("a", Warning)); // an equal wish does not preempt
        Assert.Null(await TakeAsync("c", Emergency));
        Assert.Null(await TakeAsync("a", Warning)); // a more urgent one does: a yields
        time.Advance(Wish + TimeSpan.FromMilliseconds(1)); // c gave up (its process died while waiting)
        Assert.Equal(first, await TakeAsync("a", Warning)); // a takes its own lane back: no one else held it
    }
}
