using System.Globalization;
using Dapper;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Batches;
using Loa.Storage.Deliveries;
using Loa.Storage.Planning;
using Loa.Storage.Receipts;
using Loa.Storage.Suppression;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// How a campaign ends once nothing is queued or at a carrier: <c>failed</c> when it reached nobody
/// it tried to, <c>completed</c> when anyone got the message or nobody was to be sent one.
/// </summary>
public sealed class CampaignEndTests : IAsyncLifetime
{
    private const string Campaign = "ending";
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z", CultureInfo.InvariantCulture));
    private TempDatabase temp = null!;
    private Database database = null!;
    private PlanWriter plans = null!;
    private BatchLedger batches = null!;
    private ReceiptLedger receipts = null!;

    // The dialect is the test case's: each case starts its own database.
    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        database = temp.Database;
        plans = new PlanWriter(database, time);
        batches = new BatchLedger(database, time);
        receipts = new ReceiptLedger(database, time);
        await temp.InsertRunningCampaignAsync(Campaign, CampaignKind.Emergency, time);
    }

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_campaign_whose_every_message_was_refused_ends_failed(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var claim = await PlanAndClaimAsync(3);
        var ids = await IdsAsync();
        await batches.RecordResultsAsync(claim, ids.Select(id => new SubmitResult(id, false, null, "unknown subscriber")).ToList());

        Assert.Equal((CampaignStatus.Failed, true), await EndAsync());
        // Nothing is at the carrier: the batch waits for no receipt.
        await using var connection = await database.OpenAsync();
        Assert.Null(await connection.ExecuteScalarAsync<long?>("SELECT receipts_until FROM batches WHERE id = @Id", new { claim.Id }));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_campaign_that_reached_one_recipient_while_the_others_failed_ends_completed(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var claim = await PlanAndClaimAsync(3);
        var ids = await IdsAsync();
        await batches.RecordResultsAsync(claim,
            [new SubmitResult(ids[0], true, "m-0", null), new SubmitResult(ids[1], true, "m-1", null), new SubmitResult(ids[2], false, null, "unknown subscriber")]);
        Assert.Equal((CampaignStatus.Running, false), await EndAsync()); // two still at the carrier

        await receipts.ApplyAsync("viettel", [new ReceiptInput("m-0", "failed", "absent subscriber", null)]);
        Assert.Equal((CampaignStatus.Running, false), await EndAsync());
        await receipts.ApplyAsync("viettel", [new ReceiptInput("m-1", "delivered", null, null)]);

        Assert.Equal((CampaignStatus.Completed, true), await EndAsync());
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_campaign_whose_messages_all_failed_at_the_handset_ends_failed(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var claim = await PlanAndClaimAsync(2);
        var ids = await IdsAsync();
        await batches.RecordResultsAsync(claim, [new SubmitResult(ids[0], true, "m-0", null), new SubmitResult(ids[1], true, "m-1", null)]);
        await receipts.ApplyAsync("viettel", [new ReceiptInput("m-0", "expired", null, null), new ReceiptInput("m-1", "rejected", "barred", null)]);

        Assert.Equal((CampaignStatus.Failed, true), await EndAsync());
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_campaign_whose_every_recipient_was_suppressed_ends_completed(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var written = await plans.WriteAsync(Page(
            [new("+84960000001", "HN", "viettel", SuppressionReason.OptedOut), new("+84960000002", "HN", "viettel", SuppressionReason.OptedOut)]));

        Assert.Empty(written!);
        Assert.Equal((CampaignStatus.Completed, true), await EndAsync());
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Messages_whose_receipts_never_come_end_expired_at_the_deadline_and_the_campaign_ends(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var claim = await PlanAndClaimAsync(3);
        var ids = await IdsAsync();
        await batches.RecordResultsAsync(claim,
            ids.Select((id, i) => new SubmitResult(id, true, $"m-{i}", null)).ToList(), TimeSpan.FromMinutes(10));
        await receipts.ApplyAsync("viettel", [new ReceiptInput("m-0", "delivered", null, null)]);

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, await batches.ExpireUnansweredAsync(100)); // the deadline itself still waits
        Assert.Equal((CampaignStatus.Running, false), await EndAsync());
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, await batches.ExpireUnansweredAsync(100));

        Assert.Equal((CampaignStatus.Completed, true), await EndAsync()); // one was delivered
        await AssertDeliveriesAsync(
            [$"{ids[0]}|delivered|null", $"{ids[1]}|expired|{DeliveryReason.NoReceipt}", $"{ids[2]}|expired|{DeliveryReason.NoReceipt}"]);
        await using (var connection = await database.OpenAsync())
        {
            Assert.Equal(
                ["delivered|1", "expired|2", "queued|0", "submitted|0"],
                (await connection.QueryAsync<(string Status, long Count)>(
                    "SELECT status, SUM(count) FROM campaign_progress WHERE campaign_id = @Campaign GROUP BY status ORDER BY status", new { Campaign }))
                .Select(r => $"{r.Status}|{r.Count}"));
        }

        // Swept once; a receipt that comes after the deadline moves nothing and is not parked either.
        Assert.Equal(0, await batches.ExpireUnansweredAsync(100));
        Assert.Equal(new ReceiptOutcome(1, 0), await receipts.ApplyAsync("viettel", [new ReceiptInput("m-1", "delivered", null, null)]));
        Assert.Equal(0, await receipts.ParkedCountAsync("viettel"));
        await AssertDeliveriesAsync(
            [$"{ids[0]}|delivered|null", $"{ids[1]}|expired|{DeliveryReason.NoReceipt}", $"{ids[2]}|expired|{DeliveryReason.NoReceipt}"]);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_campaign_refused_in_part_whose_other_receipts_were_all_lost_ends_failed(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var claim = await PlanAndClaimAsync(3);
        var ids = await IdsAsync();
        await batches.RecordResultsAsync(claim,
            [new SubmitResult(ids[0], false, null, "unknown subscriber"), new SubmitResult(ids[1], true, "lost-1", null), new SubmitResult(ids[2], true, "lost-2", null)],
            TimeSpan.FromMinutes(10));

        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(2, await batches.ExpireUnansweredAsync(100));
        Assert.Equal((CampaignStatus.Failed, true), await EndAsync());
    }

    private async Task AssertDeliveriesAsync(IEnumerable<string> expected)
    {
        await using var connection = await database.OpenAsync();
        Assert.Equal(expected, (await connection.QueryAsync<(long Id, string Status, string? Error)>(
                "SELECT id, status, error FROM deliveries WHERE campaign_id = @Campaign ORDER BY id", new { Campaign }))
            .Select(r => $"{r.Id}|{r.Status}|{r.Error ?? "null"}"));
    }

    private async Task<BatchClaim> PlanAndClaimAsync(int recipients)
    {
        var written = await plans.WriteAsync(Page(
            Enumerable.Range(1, recipients).Select(i => new PlannedRecipient($"+8496{i:D7}", "HN", "viettel")).ToList()));
        var batch = Assert.Single(written!);
        var claim = await batches.ClaimAsync(batch.BatchId, TimeSpan.FromMinutes(1));
        Assert.NotNull(claim);
        return claim;
    }

    private static PlanPage Page(IReadOnlyList<PlannedRecipient> recipients) =>
        new(Campaign, Priority: 0, PartsPerMessage: 1, recipients, _ => 500,
            NextList: 1, NextAfter: "", Last: true, Lease: TimeSpan.FromMinutes(1));

    private async Task<List<long>> IdsAsync()
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<long>("SELECT id FROM deliveries WHERE campaign_id = @Campaign ORDER BY id", new { Campaign })).ToList();
    }

    /// <returns>The campaign's status, and whether it has an end time.</returns>
    private async Task<(string Status, bool Ended)> EndAsync()
    {
        await using var connection = await database.OpenAsync();
        var row = await connection.QuerySingleAsync<(string Status, long? CompletedAt)>(
            "SELECT status, completed_at FROM campaigns WHERE id = @Campaign", new { Campaign });
        return (row.Status, row.CompletedAt is not null);
    }
}
