using System.Globalization;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Batches;
using Loa.Storage.Deliveries;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// The send lane's writes (<see cref="BatchLedger"/>): claims once per lease, results that move only
/// the claimed batch's queued rows, and nothing moved for a batch that ended first.
/// </summary>
public sealed class BatchLedgerTests : LedgerSpec
{
    [Theory, SqliteData, SqlServerData]
    public async Task Results_move_only_queued_rows_with_the_batch_attempts_and_count_them_by_province(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var written = await plans.WriteAsync(Page(FiveViettel(), _ => 500));
        var batch = Assert.Single(written!);
        Assert.NotNull(await batches.ClaimAsync(batch.BatchId, TimeSpan.FromMinutes(1)));
        time.Advance(TimeSpan.FromSeconds(61)); // the first lane died: its lease ran out
        var claim = await batches.ClaimAsync(batch.BatchId, TimeSpan.FromMinutes(1));
        Assert.NotNull(claim);
        Assert.Equal(2, claim.Attempts);

        // Moved behind the store's back (its counter is left as it was): the point is that the result moves neither.
        var cancelledAt = Now;
        await ExecuteAsync(
            $"UPDATE deliveries SET status = 'cancelled', error = 'campaign cancelled', final_at = {cancelledAt} WHERE recipient = '+84960000005'");

        time.Advance(TimeSpan.FromSeconds(1));
        var at = Now;
        var id = await IdsAsync();
        var longError = "carrier said: " + new string('z', 500);
        await batches.RecordResultsAsync(claim,
        [
            new SubmitResult(id["+84960000001"], true, "m-1", null),
            new SubmitResult(id["+84960000002"], true, "m-2", null),
            new SubmitResult(id["+84960000003"], false, null, null),
            new SubmitResult(id["+84960000004"], false, null, longError),
            new SubmitResult(id["+84960000005"], true, "m-5", null),
        ]);

        await AssertRowsAsync(
            [
                $"+84960000001|{HaNoi}|submitted|m-1|null|2|{at}|null",
                $"+84960000002|{Hcm}|submitted|m-2|null|2|{at}|null",
                $"+84960000003|{HaNoi}|failed|null|rejected by carrier|2|null|{at}",
                $"+84960000004|{Hcm}|failed|null|{longError[..400]}|2|null|{at}",
                $"+84960000005|{HaNoi}|cancelled|null|campaign cancelled|0|null|{cancelledAt}",
            ],
            "SELECT recipient, province, status, carrier_message_id, error, attempts, submitted_at, final_at FROM deliveries WHERE campaign_id = @c");
        await AssertRowsAsync(
            [
                $"viettel|{HaNoi}|queued|1", // +84960000005's, which the SQL above did not take away
                $"viettel|{HaNoi}|submitted|1",
                $"viettel|{HaNoi}|failed|1",
                $"viettel|{Hcm}|queued|0",
                $"viettel|{Hcm}|submitted|1",
                $"viettel|{Hcm}|failed|1",
            ],
            "SELECT carrier, province, status, count FROM campaign_progress WHERE campaign_id = @c");
        await AssertRowsAsync(
            ["viettel|rejected by carrier|1", $"viettel|{longError[..200]}|1"],
            "SELECT carrier, reason, count FROM campaign_failures WHERE campaign_id = @c");
        await AssertRowsAsync([$"{DeliveryReads.ThroughputBucketOf(at)}|2|0|2"],
            "SELECT bucket_start, submitted, delivered, failed FROM campaign_throughput WHERE campaign_id = @c");
        await AssertRowsAsync([$"{batch.BatchId}|done|2|{at}|null|null"],
            "SELECT id, status, attempts, done_at, lease_until, last_error FROM batches WHERE campaign_id = @c");
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Results_that_arrive_after_the_batch_was_cancelled_move_nothing(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var written = await plans.WriteAsync(Page(
            [new("+84960000001", HaNoi, "viettel"), new("+84960000002", Hcm, "viettel")], _ => 500));
        var batch = Assert.Single(written!);
        var claim = await batches.ClaimAsync(batch.BatchId, TimeSpan.FromMinutes(1));
        Assert.NotNull(claim);
        var cancelledAt = Now;
        await batches.FinishAsync(claim, DeliveryStatus.Cancelled, "campaign cancelled", claim.Attempts - 1);
        time.Advance(TimeSpan.FromSeconds(1));
        var id = await IdsAsync();

        await batches.RecordResultsAsync(claim,
            [new SubmitResult(id["+84960000001"], true, "m-1", null), new SubmitResult(id["+84960000002"], false, null, "unknown subscriber")]);

        await AssertRowsAsync(
            [
                $"+84960000001|cancelled|null|campaign cancelled|0|null|{cancelledAt}",
                $"+84960000002|cancelled|null|campaign cancelled|0|null|{cancelledAt}",
            ],
            "SELECT recipient, status, carrier_message_id, error, attempts, submitted_at, final_at FROM deliveries WHERE campaign_id = @c");
        await AssertRowsAsync(
            [$"viettel|{HaNoi}|queued|0", $"viettel|{HaNoi}|cancelled|1", $"viettel|{Hcm}|queued|0", $"viettel|{Hcm}|cancelled|1"],
            "SELECT carrier, province, status, count FROM campaign_progress WHERE campaign_id = @c");
        await AssertRowsAsync([], "SELECT carrier, reason, count FROM campaign_failures WHERE campaign_id = @c");
        await AssertRowsAsync([], "SELECT bucket_start FROM campaign_throughput WHERE campaign_id = @c");
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_result_that_names_a_delivery_of_another_batch_moves_only_the_claimed_batch(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        // Two carriers, two batches: a result for the Mobifone row handed in with the Viettel claim
        // would otherwise move it and count it under Viettel.
        var written = await plans.WriteAsync(Page(
            [new("+84960000001", HaNoi, "viettel"), new("+84900000001", HaNoi, "mobifone")], _ => 500));
        Assert.Equal(2, written!.Count);
        var viettel = await batches.ClaimAsync(written.Single(b => b.Carrier == "viettel").BatchId, TimeSpan.FromMinutes(1));
        Assert.NotNull(viettel);
        var id = await IdsAsync();

        await batches.RecordResultsAsync(viettel,
            [new SubmitResult(id["+84960000001"], true, "m-1", null), new SubmitResult(id["+84900000001"], true, "m-stray", null)]);

        await AssertRowsAsync(
            ["+84960000001|submitted|m-1", "+84900000001|queued|null"],
            "SELECT recipient, status, carrier_message_id FROM deliveries WHERE campaign_id = @c");
        await AssertRowsAsync(
            [$"mobifone|{HaNoi}|queued|1", $"viettel|{HaNoi}|queued|0", $"viettel|{HaNoi}|submitted|1"],
            "SELECT carrier, province, status, count FROM campaign_progress WHERE campaign_id = @c");
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_claim_takes_the_batch_once_per_lease_and_counts_each_attempt(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var written = await plans.WriteAsync(Page([new("+84960000001", HaNoi, "viettel")], _ => 500));
        var batch = Assert.Single(written!);
        var lease = TimeSpan.FromSeconds(30);

        var first = await batches.ClaimAsync(batch.BatchId, lease);
        Assert.Equal(new BatchClaim(batch.BatchId, Campaign, "viettel", 3, 1), first);
        var firstUntil = Now + 30_000;
        await AssertRowsAsync([$"sending|{firstUntil}|1"], "SELECT status, lease_until, attempts FROM batches WHERE campaign_id = @c");

        Assert.Null(await batches.ClaimAsync(batch.BatchId, lease));
        time.Advance(TimeSpan.FromMilliseconds(29_999));
        Assert.Null(await batches.ClaimAsync(batch.BatchId, lease));
        await AssertRowsAsync([$"sending|{firstUntil}|1"], "SELECT status, lease_until, attempts FROM batches WHERE campaign_id = @c");

        time.Advance(TimeSpan.FromMilliseconds(2)); // past the lease: the lane that held it is presumed dead
        var second = await batches.ClaimAsync(batch.BatchId, lease);
        Assert.NotNull(second);
        Assert.Equal(new BatchClaim(batch.BatchId, Campaign, "viettel", 3, 2), second);
        await AssertRowsAsync([$"sending|{Now + 30_000}|2"], "SELECT status, lease_until, attempts FROM batches WHERE campaign_id = @c");
        Assert.Null(await batches.ClaimAsync(batch.BatchId, lease));

        // A finished batch is never taken again, however old its lease.
        var id = await IdsAsync();
        await batches.RecordResultsAsync(second, [new SubmitResult(id["+84960000001"], true, "m-1", null)]);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(await batches.ClaimAsync(batch.BatchId, lease));
        await AssertRowsAsync(["done|null|2"], "SELECT status, lease_until, attempts FROM batches WHERE campaign_id = @c");
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Messages_left_without_a_result_stay_queued_for_the_next_attempt_and_the_taken_ones_keep_their_receipt_deadline(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var written = await plans.WriteAsync(Page(FiveViettel(), _ => 500));
        var batch = Assert.Single(written!);
        var claim = (await batches.ClaimAsync(batch.BatchId, TimeSpan.FromMinutes(1)))!;
        var id = await IdsAsync();
        var receiptTimeout = TimeSpan.FromMinutes(10);
        var at = Now;

        // The SMSC took two, refused one; two were never answered (a dropped bind) and go again.
        await batches.RecordResultsAsync(claim,
        [
            new SubmitResult(id["+84960000001"], true, "m-1", null),
            new SubmitResult(id["+84960000002"], true, "m-2", null),
            new SubmitResult(id["+84960000003"], false, null, "ESME_RINVDSTADR"),
        ], receiptTimeout, close: false);
        var deadline = at + (long)receiptTimeout.TotalMilliseconds;
        await AssertRowsAsync([$"sending|{deadline}"], "SELECT status, receipts_until FROM batches WHERE campaign_id = @c");
        await batches.ReleaseAsync(claim.Id, time.GetUtcNow().AddSeconds(1), "sent again after unknown outcome: the bind was lost", countsAsAttempt: true);
        await AssertRowsAsync(
            ["+84960000001|submitted", "+84960000002|submitted", "+84960000003|failed", "+84960000004|queued", "+84960000005|queued"],
            "SELECT recipient, status FROM deliveries WHERE campaign_id = @c");

        // The next attempt sends only what is still queued; its answer takes nothing new, and the
        // first attempt's deadline stays for the two it took.
        time.Advance(TimeSpan.FromSeconds(2));
        var again = (await batches.ClaimAsync(batch.BatchId, TimeSpan.FromMinutes(1)))!;
        Assert.Equal(2, again.Attempts);
        Assert.Equal(["+84960000004", "+84960000005"], (await batches.QueuedMessagesAsync(batch.BatchId)).Select(m => m.Recipient));
        await batches.RecordResultsAsync(again,
        [
            new SubmitResult(id["+84960000004"], false, null, "unknown outcome: the bind was lost"),
            new SubmitResult(id["+84960000005"], false, null, "ESME_RINVDSTADR"),
        ], receiptTimeout, close: true);
        await AssertRowsAsync([$"done|{deadline}"], "SELECT status, receipts_until FROM batches WHERE campaign_id = @c");
        await AssertRowsAsync(
            ["+84960000001|submitted|1", "+84960000002|submitted|1", "+84960000003|failed|1", "+84960000004|failed|2", "+84960000005|failed|2"],
            "SELECT recipient, status, attempts FROM deliveries WHERE campaign_id = @c");

        // The deadline passes: the two taken and never receipted end expired.
        time.Advance(receiptTimeout);
        Assert.Equal(2, await batches.ExpireUnansweredAsync(10));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_batch_claimed_again_after_its_lane_died_mid_submit_says_so_until_an_answer_or_a_release_clears_it(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var written = await plans.WriteAsync(Page(FiveViettel(), _ => 500));
        var batch = Assert.Single(written!);
        var lease = TimeSpan.FromSeconds(30);
        var first = (await batches.ClaimAsync(batch.BatchId, lease))!;
        Assert.Null(first.SubmitStartedAt);
        var markedAt = Now;
        await batches.MarkSubmittingAsync(first.Id);

        // The lane dies holding it; the next claim learns a submit was under way.
        time.Advance(lease + TimeSpan.FromSeconds(1));
        var second = (await batches.ClaimAsync(batch.BatchId, lease))!;
        Assert.Equal(markedAt, second.SubmitStartedAt);

        // Given back (nothing taken): the next claim starts clean.
        await batches.ReleaseAsync(second.Id, time.GetUtcNow(), "bind refused", countsAsAttempt: true);
        var third = (await batches.ClaimAsync(batch.BatchId, lease))!;
        Assert.Null(third.SubmitStartedAt);

        // Answered in part, the rest to go again: cleared with the answers, in the same write.
        await batches.MarkSubmittingAsync(third.Id);
        var id = await IdsAsync();
        await batches.RecordResultsAsync(third, [new SubmitResult(id["+84960000001"], true, "m-1", null)], TimeSpan.FromHours(1), close: false);
        await AssertRowsAsync(["sending|null"], "SELECT status, submit_started_at FROM batches WHERE campaign_id = @c");
    }
}
