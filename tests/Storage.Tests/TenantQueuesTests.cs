using Loa.Contracts;
using Loa.Storage.Batches;
using Loa.Storage.Campaigns;
using Loa.Storage.Planning;
using Loa.Tests.Shared;

namespace Loa.Storage.Tests;

/// <summary>
/// The lane's view of the outbox per tenant (<see cref="TenantQueues"/>): batches carry their campaign's
/// tenant from the planner, and a lane finds who waits and each one's next due batch of its class and slice.
/// </summary>
public sealed class TenantQueuesTests : LedgerSpec
{
    private const string Province = "c-hn";

    [Theory, SqliteData, SqlServerData]
    public async Task A_lane_finds_each_waiting_tenant_and_its_oldest_due_batch_of_the_class(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        await InsertProvinceCampaignAsync();
        var queues = new TenantQueues(database, time);
        var national = (await plans.WriteAsync(Page(FiveViettel(), _ => 2)))!.Select(b => b.BatchId).ToList(); // 3 batches, test priority (3)
        var province = (await plans.WriteAsync(ProvincePage()))!.Select(b => b.BatchId).ToList(); // 2 batches, awareness (2)
        Assert.Equal(3, national.Count);
        Assert.Equal(2, province.Count);

        Assert.Equal(["01", "national"], await queues.WaitingAsync("viettel"));
        Assert.Empty(await queues.WaitingAsync("mobifone"));
        Assert.Equal(national[0], await queues.NextAsync("viettel", "national", 2, int.MaxValue, 0, 1));
        Assert.Equal(province[0], await queues.NextAsync("viettel", "01", 2, int.MaxValue, 0, 1));
        Assert.Null(await queues.NextAsync("viettel", "01", int.MinValue, 0, 0, 1)); // nothing urgent of theirs

        // Claimed: no longer waiting. Given back for later: skipped until due.
        Assert.NotNull(await batches.ClaimAsync(national[0], TimeSpan.FromMinutes(1)));
        Assert.Equal(national[1], await queues.NextAsync("viettel", "national", 2, int.MaxValue, 0, 1));
        Assert.NotNull(await batches.ClaimAsync(national[1], TimeSpan.FromMinutes(1)));
        await batches.ReleaseAsync(national[1], time.GetUtcNow().AddSeconds(5), "throttled", countsAsAttempt: false);
        Assert.Equal(national[2], await queues.NextAsync("viettel", "national", 2, int.MaxValue, 0, 1));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(national[1], await queues.NextAsync("viettel", "national", 2, int.MaxValue, 0, 1));

        // A carrier split in two lanes: each lane only its own slice (id % 2).
        var odd = province.Single(id => id % 2 == 1);
        Assert.Equal(odd, await queues.NextAsync("viettel", "01", 2, int.MaxValue, 1, 2));

        // A tenant whose every batch is done no longer waits.
        foreach (var id in province)
            await batches.FinishAsync((await batches.ClaimAsync(id, TimeSpan.FromMinutes(1)))!, DeliveryStatus.Cancelled, "campaign cancelled", 0);
        Assert.Equal(["national"], await queues.WaitingAsync("viettel"));
        Assert.Null(await queues.NextAsync("viettel", "01", 2, int.MaxValue, 0, 1));
    }

    private Task InsertProvinceCampaignAsync() =>
        new CampaignStore(database, time).InsertAsync(new CampaignRow(
            Province, "01", Province, CampaignKind.Awareness, CampaignStatus.Running, "{}", "Canh bao", "gsm7", 1, null, null,
            "author", Now, "author", Now, "author", "approver", Now, null, Now, null, Now, null, 0, ""));

    private static PlanPage ProvincePage()
    {
        PlannedRecipient[] recipients = [new("+84960000101", HaNoi, "viettel"), new("+84960000102", HaNoi, "viettel"), new("+84960000103", HaNoi, "viettel")];
        return new(Province, Priority: 2, PartsPerMessage: 1, recipients, _ => 2,
            NextList: 1, NextAfter: recipients[^1].Msisdn, Last: false, Lease: TimeSpan.FromMinutes(1));
    }
}
