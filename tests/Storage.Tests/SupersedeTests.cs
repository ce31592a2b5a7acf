using Loa.Contracts;
using Loa.Storage.Campaigns;
using Loa.Storage.Planning;
using Loa.Tests.Shared;

namespace Loa.Storage.Tests;

/// <summary>
/// Approving a correction supersedes the campaign it corrects, in the approval's own transaction: the
/// original is cancelled and names its correction, its planner takes no further page, and the batches a
/// pause had set aside go back to the outbox for the lanes to close.
/// </summary>
public sealed class SupersedeTests : LedgerSpec
{
    private const string Correction = "c2";

    private CampaignStore Campaigns => new(database, time);

    private Task InsertCorrectionAsync(string id, string corrects, string status)
    {
        var now = Now;
        return Campaigns.InsertCorrectionAsync(new CampaignRow(
            id, "national", id, CampaignKind.Awareness, status, "{}", "Dinh chinh", "gsm7", 2, null, null,
            "author", now, "author", now, null, null, null, null, null, null, null, null, 0, "", Corrects: corrects));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Approving_a_correction_cancels_its_original_whose_planner_stops_and_whose_held_batches_go_back_to_be_closed(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var written = await plans.WriteAsync(Page(FiveViettel(), _ => 500));
        var held = Assert.Single(written!);
        Assert.NotNull(await batches.ClaimAsync(held.BatchId, TimeSpan.FromMinutes(1)));
        await batches.HoldAsync(held.BatchId); // as a lane does for a paused campaign
        await InsertCorrectionAsync(Correction, Campaign, CampaignStatus.PendingApproval);

        Assert.True(await Campaigns.ApproveAsync(Correction, "approver", startNow: true));

        await AssertRowsAsync([$"cancelled|{Correction}|{Correction}"], "SELECT status, corrected_by, superseded_by FROM campaigns WHERE id = @c");
        var page = Page([new("+84960000006", HaNoi, "viettel")], _ => 500);
        Assert.Null(await plans.WriteAsync(page with { NextAfter = "+84960000006" }));
        await AssertRowsAsync([$"{held.BatchId}|pending"], "SELECT id, status FROM batches WHERE campaign_id = @c");
        Assert.Equal(CampaignStatus.Running, (await Campaigns.GetAsync(Correction))!.Status);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_correction_of_a_correction_supersedes_every_campaign_before_it_and_an_ended_one_keeps_its_status(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        await ExecuteAsync($"UPDATE campaigns SET status = 'completed' WHERE id = '{Campaign}'");
        await InsertCorrectionAsync(Correction, Campaign, CampaignStatus.Draft);
        await InsertCorrectionAsync("c3", Correction, CampaignStatus.PendingApproval);

        Assert.True(await Campaigns.ApproveAsync("c3", "approver", startNow: false));

        await AssertRowsAsync(
            [$"{Campaign}|completed|c3", $"{Correction}|cancelled|c3", "c3|scheduled|null"],
            "SELECT id, status, superseded_by FROM campaigns");
        // A superseded draft is not submitted, and approving the correction again changes nothing.
        Assert.False(await Campaigns.SubmitAsync(Correction, "author"));
        Assert.False(await Campaigns.ApproveAsync("c3", "approver", startNow: true));
    }
}
