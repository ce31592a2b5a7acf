using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Batches;
using Loa.Storage.Planning;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Dispatcher.Tests.Recovery;

/// <summary>The outbox on a real SQLite file: what the sweeper gets back to publish.</summary>
public sealed class OutboxTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z"));
    private TempDatabase temp = null!;
    private Database database = null!;

    public async Task InitializeAsync()
    {
        temp = await TempDatabase.CreateAsync();
        database = temp.Database;
    }

    public async Task DisposeAsync() => await temp.DisposeAsync();

    [Fact]
    public async Task A_batch_whose_message_was_lost_is_published_again_after_the_republish_delay()
    {
        var plans = new PlanWriter(database, time);
        var batches = new BatchLedger(database, time);
        var outbox = new Outbox(database, time);
        await temp.InsertRunningCampaignAsync("c1", CampaignKind.Warning, time);
        var written = await plans.WriteAsync(new PlanPage(
            "c1", 1, 1, [new PlannedRecipient("+84912000001", "", "vinaphone"), new PlannedRecipient("+84912000002", "", "vinaphone")],
            _ => 500, 1, "", true, TimeSpan.FromMinutes(1)));
        Assert.NotNull(written);
        var batch = Assert.Single(written);

        // Never published: the sweeper takes it at once.
        Assert.Equal([batch.BatchId], (await outbox.UnpublishedAsync(10, TimeSpan.FromMinutes(30))).Select(b => b.BatchId));
        await outbox.MarkPublishedAsync([batch.BatchId]);
        Assert.Empty(await outbox.UnpublishedAsync(10, TimeSpan.FromMinutes(30)));

        // Published, but no lane ever claimed it: the message is presumed lost after the delay.
        time.Advance(TimeSpan.FromMinutes(29));
        Assert.Empty(await outbox.UnpublishedAsync(10, TimeSpan.FromMinutes(30)));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([batch.BatchId], (await outbox.UnpublishedAsync(10, TimeSpan.FromMinutes(30))).Select(b => b.BatchId));

        // A claimed batch is the lane's, not the outbox's, however old its publish.
        Assert.NotNull(await batches.ClaimAsync(batch.BatchId, TimeSpan.FromMinutes(2)));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Empty(await outbox.UnpublishedAsync(10, TimeSpan.FromMinutes(30)));
    }
}
