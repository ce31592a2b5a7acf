using System.Globalization;
using Loa.Storage;
using Loa.Storage.Batches;
using Loa.Storage.Receipts;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// Receipts (<see cref="ReceiptLedger"/>): applied once by the first verdict, parked when they overtake
/// their batch's result and applied with it, unknown ids kept once.
/// </summary>
public sealed class ReceiptLedgerTests : LedgerSpec
{
    [Theory, SqliteData, SqlServerData]
    public async Task A_receipt_that_overtook_its_result_is_parked_then_applied_when_the_result_lands(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var written = await plans.WriteAsync(Page(
            [new("+84960000001", HaNoi, "viettel"), new("+84960000002", Hcm, "viettel")], _ => 500));
        var batch = Assert.Single(written!);
        var claim = await batches.ClaimAsync(batch.BatchId, TimeSpan.FromMinutes(1));
        Assert.NotNull(claim);

        time.Advance(TimeSpan.FromSeconds(1));
        var deliveredAt = time.GetUtcNow().AddMilliseconds(-500);
        var firstPost = Now;
        Assert.Equal(new ReceiptOutcome(0, 1), await receipts.ApplyAsync("viettel", [new ReceiptInput("m-1", "delivered", null, deliveredAt)]));
        time.Advance(TimeSpan.FromSeconds(1));
        var secondPost = Now;
        Assert.Equal(new ReceiptOutcome(0, 1), await receipts.ApplyAsync("viettel", [new ReceiptInput("m-2", "failed", "absent subscriber", null)]));
        // The same message id from another carrier is another message: it must not be applied to viettel's.
        Assert.Equal(new ReceiptOutcome(0, 1), await receipts.ApplyAsync("mobifone", [new ReceiptInput("m-1", "failed", "not ours", null)]));
        await AssertRowsAsync(
            [
                $"mobifone|m-1|failed|not ours|{secondPost}|{secondPost}",
                $"viettel|m-1|delivered|null|{deliveredAt.ToUnixTimeMilliseconds()}|{firstPost}",
                $"viettel|m-2|failed|absent subscriber|{secondPost}|{secondPost}",
            ],
            "SELECT carrier, carrier_message_id, status, error, at, received_at FROM parked_receipts");
        await AssertRowsAsync(
            [$"viettel|{HaNoi}|queued|1", $"viettel|{Hcm}|queued|1"],
            "SELECT carrier, province, status, count FROM campaign_progress WHERE campaign_id = @c");

        time.Advance(TimeSpan.FromSeconds(1));
        var at = Now;
        var id = await IdsAsync();
        await batches.RecordResultsAsync(claim,
            [new SubmitResult(id["+84960000001"], true, "m-1", null), new SubmitResult(id["+84960000002"], true, "m-2", null)]);

        await AssertRowsAsync(
            [
                $"+84960000001|delivered|m-1|null|1|{at}|{deliveredAt.ToUnixTimeMilliseconds()}",
                $"+84960000002|failed|m-2|absent subscriber|1|{at}|{secondPost}",
            ],
            "SELECT recipient, status, carrier_message_id, error, attempts, submitted_at, final_at FROM deliveries WHERE campaign_id = @c");
        await AssertRowsAsync(
            [$"mobifone|m-1|failed|not ours|{secondPost}|{secondPost}"],
            "SELECT carrier, carrier_message_id, status, error, at, received_at FROM parked_receipts");
        // Submitted and final in one transaction: the two moves through 'submitted' cancel out, so no such row is written.
        await AssertRowsAsync(
            [$"viettel|{HaNoi}|queued|0", $"viettel|{HaNoi}|delivered|1", $"viettel|{Hcm}|queued|0", $"viettel|{Hcm}|failed|1"],
            "SELECT carrier, province, status, count FROM campaign_progress WHERE campaign_id = @c");
        await AssertRowsAsync(["viettel|absent subscriber|1"], "SELECT carrier, reason, count FROM campaign_failures WHERE campaign_id = @c");
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_receipt_post_moves_each_open_delivery_once_by_its_first_receipt_and_parks_each_unknown_id_once(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var written = await plans.WriteAsync(Page(FiveViettel(), _ => 500));
        var batch = Assert.Single(written!);
        var claim = await batches.ClaimAsync(batch.BatchId, TimeSpan.FromMinutes(1));
        Assert.NotNull(claim);
        var id = await IdsAsync();
        await batches.RecordResultsAsync(claim, Enumerable.Range(1, 5)
            .Select(n => new SubmitResult(id[$"+8496000000{n}"], true, $"m-{n}", null)).ToList());

        var start = time.GetUtcNow();
        DateTimeOffset At(int seconds) => start.AddSeconds(seconds);
        long Ms(int seconds) => At(seconds).ToUnixTimeMilliseconds();
        Assert.Equal(new ReceiptOutcome(1, 0), await receipts.ApplyAsync("viettel", [new ReceiptInput("m-5", "delivered", null, At(1))]));

        time.Advance(TimeSpan.FromSeconds(30));
        var post = Now;
        var outcome = await receipts.ApplyAsync("viettel",
        [
            new ReceiptInput("m-1", "delivered", null, At(2)),
            new ReceiptInput("m-2", "failed", "absent subscriber", At(3)),
            new ReceiptInput("m-1", "failed", "late duplicate", At(4)),
            new ReceiptInput("m-5", "failed", "after the fact", At(5)),
            new ReceiptInput("m-3", "expired", null, null),
            new ReceiptInput("u-1", "delivered", null, At(6)),
            new ReceiptInput("u-2", "failed", "x", At(7)),
            new ReceiptInput("u-1", "failed", "y", At(8)),
        ]);

        Assert.Equal(new ReceiptOutcome(Accepted: 5, Unknown: 3), outcome);
        await AssertRowsAsync(
            [
                $"+84960000001|{HaNoi}|delivered|null|{Ms(2)}",
                $"+84960000002|{Hcm}|failed|absent subscriber|{Ms(3)}",
                $"+84960000003|{HaNoi}|expired|expired|{post}", // no error, no time: the status and the post's arrival
                $"+84960000004|{Hcm}|submitted|null|null",
                $"+84960000005|{HaNoi}|delivered|null|{Ms(1)}",
            ],
            "SELECT recipient, province, status, error, final_at FROM deliveries WHERE campaign_id = @c");
        await AssertRowsAsync(
            [$"viettel|u-1|delivered|null|{Ms(6)}|{post}", $"viettel|u-2|failed|x|{Ms(7)}|{post}"],
            "SELECT carrier, carrier_message_id, status, error, at, received_at FROM parked_receipts");
        await AssertRowsAsync(
            [
                $"viettel|{HaNoi}|queued|0", $"viettel|{HaNoi}|submitted|0", $"viettel|{HaNoi}|delivered|2", $"viettel|{HaNoi}|expired|1",
                $"viettel|{Hcm}|queued|0", $"viettel|{Hcm}|submitted|1", $"viettel|{Hcm}|failed|1",
            ],
            "SELECT carrier, province, status, count FROM campaign_progress WHERE campaign_id = @c");
        await AssertRowsAsync(["viettel|absent subscriber|1"], "SELECT carrier, reason, count FROM campaign_failures WHERE campaign_id = @c");
    }
}
