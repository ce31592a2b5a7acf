using Dapper;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Sending;
using Loa.Storage.Lanes;
using Loa.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Dispatcher.Tests.Sending;

/// <summary>
/// This process's hold on a lane (quorum queues), on a real SQLite file with a fake clock: given back once
/// the lane is idle, also after a batch whose turn at the lane failed, so a dispatcher waiting for it is
/// never left waiting for a holder with nothing to send.
/// </summary>
public sealed class LaneLeaseTests : IAsyncLifetime
{
    private const string Lane = "viettel";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-12-07T01:00:00Z"));
    private readonly LaneLeaseSettings settings = new();
    private TempDatabase temp = null!;
    private LaneLeaseStore store = null!;

    public async Task InitializeAsync()
    {
        temp = await TempDatabase.CreateAsync();
        store = new LaneLeaseStore(temp.Database, time);
    }

    public async Task DisposeAsync() => await temp.DisposeAsync();

    private LaneLease Lease(string holder) =>
        new(store, Lane, holder, new LaneRate(100, new LaneRateSettings(), time), settings, time, NullLogger.Instance);

    private async Task<bool> OtherCanTakeAsync() =>
        await store.TakeAsync(Lane, "other", (int)PriorityClass.Bulk, settings.Lease, TimeSpan.FromSeconds(1)) is not null;

    /// <summary>The idle release runs on a timer, off the caller: wait for its effect, bounded.</summary>
    private async Task WaitUntilOtherCanTakeAsync()
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await OtherCanTakeAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, "the lane was never given back");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_lane_is_kept_between_batches_and_given_back_once_idle_for_the_grace()
    {
        using var lease = Lease("this");
        using (await lease.HoldAsync(PriorityClass.Bulk, CancellationToken.None))
            Assert.True(lease.Held);
        Assert.False(await OtherCanTakeAsync()); // the next batch of a busy lane finds it still held

        time.Advance(settings.IdleGrace + TimeSpan.FromMilliseconds(1));
        await WaitUntilOtherCanTakeAsync();
        Assert.False(lease.Held);
    }

    [Fact]
    public async Task A_batch_whose_turn_failed_at_the_database_still_lets_the_lane_go_when_idle()
    {
        using var lease = Lease("this");
        using (await lease.HoldAsync(PriorityClass.Bulk, CancellationToken.None))
        {
        }
        // The database fails the next batch's check (the table is away for a moment).
        await using (var connection = await temp.Database.OpenAsync())
            await connection.ExecuteAsync("ALTER TABLE lane_leases RENAME TO lane_leases_away");
        await Assert.ThrowsAnyAsync<Exception>(() => lease.HoldAsync(PriorityClass.Bulk, CancellationToken.None));
        await using (var connection = await temp.Database.OpenAsync())
            await connection.ExecuteAsync("ALTER TABLE lane_leases_away RENAME TO lane_leases");
        Assert.False(await OtherCanTakeAsync());

        time.Advance(settings.IdleGrace + TimeSpan.FromMilliseconds(1));
        await WaitUntilOtherCanTakeAsync();
    }
}
