using System.Globalization;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Deliveries;
using Loa.Storage.Suppression;
using Microsoft.Extensions.Time.Testing;
using Loa.Tests.Shared;

namespace Loa.Dispatcher.Tests.Storage;

/// <summary>
/// The set-based writes (a plan page, a batch's results, a receipt post, a claim) on a real, migrated
/// SQLite file. Each statement reads one JSON array through json_each and learns what it moved from
/// RETURNING, so the rows and the counters beside them are read back with SQL and compared exactly:
/// a row counted that was not written, or written and not counted, shows up as a wrong number.
/// </summary>
public sealed class SetBasedWritesTests : IAsyncLifetime
{
    private const string Campaign = "c1";
    // Non-ASCII on purpose: province names go through the JSON parameter unescaped and must come back as written.
    private const string HaNoi = "Hà Nội";
    private const string Hcm = "TP Hồ Chí Minh";
    private const string UnroutedReason = "no carrier serves this number's prefix";

    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z", CultureInfo.InvariantCulture));
    private TempDatabase temp = null!;
    private Database database = null!;
    private DeliveryStore deliveries = null!;
    private ReceiptStore receipts = null!;

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task InitializeAsync()
    {
        temp = await TempDatabase.CreateAsync();
        database = temp.Database;
        deliveries = new DeliveryStore(database, time);
        receipts = new ReceiptStore(database, time);
        await temp.InsertRunningCampaignAsync(Campaign, CampaignKind.Awareness, time, partsPerMessage: 2);
    }

    public async Task DisposeAsync() => await temp.DisposeAsync();

    // Two carriers over several batches each, suppressed rows with two reasons, unrouted numbers, and
    // two numbers met twice: one first queued then routed elsewhere, one first suppressed then routable.
    private static readonly PlannedRecipient[] MixedPage =
    [
        new("+84960000001", HaNoi, "viettel"),
        new("+84960000002", Hcm, "viettel"),
        new("+84900000001", HaNoi, "mobifone"),
        new("+84960000003", HaNoi, "viettel"),
        new("+84970000001", HaNoi, "viettel", SuppressionReason.OptedOut),
        new("+84960000001", Hcm, "mobifone"),
        new("+84900000002", Hcm, "mobifone"),
        new("+84970000002", Hcm, "viettel", SuppressionReason.FrequencyCap),
        new("+84970000003", HaNoi, "mobifone", SuppressionReason.OptedOut),
        new("+84100000001", HaNoi, Unrouted.Carrier),
        new("+84100000002", Hcm, Unrouted.Carrier),
        new("+84960000004", Hcm, "viettel"),
        new("+84960000005", HaNoi, "viettel"),
        new("+84900000003", HaNoi, "mobifone"),
        new("+84900000004", HaNoi, "mobifone"),
        new("+84970000001", HaNoi, "viettel"),
    ];

    private static int MixedBatchSize(string carrier) => carrier == "viettel" ? 2 : 3;

    [Fact]
    public async Task A_mixed_page_writes_exactly_its_first_occurrences_in_carrier_batches_with_counters_by_province()
    {
        var now = Now;
        var written = await deliveries.WritePlanPageAsync(Page(MixedPage, MixedBatchSize, countsTowardCap: true));

        Assert.NotNull(written);
        // viettel 5 queued in chunks of 2, mobifone 4 in chunks of 3; carriers in the order first met.
        Assert.Equal(["viettel", "viettel", "viettel", "mobifone", "mobifone"], written.Select(b => b.Carrier));
        Assert.All(written, w => Assert.Equal((Campaign, 3), (w.CampaignId, w.Priority)));
        var b = written.Select(x => x.BatchId).ToArray();

        await AssertRowsAsync(
            [
                $"+84100000001|none|{HaNoi}|null|failed|{UnroutedReason}|{now}|0",
                $"+84100000002|none|{Hcm}|null|failed|{UnroutedReason}|{now}|0",
                $"+84900000001|mobifone|{HaNoi}|{b[3]}|queued|null|null|0",
                $"+84900000002|mobifone|{Hcm}|{b[3]}|queued|null|null|0",
                $"+84900000003|mobifone|{HaNoi}|{b[3]}|queued|null|null|0",
                $"+84900000004|mobifone|{HaNoi}|{b[4]}|queued|null|null|0",
                $"+84960000001|viettel|{HaNoi}|{b[0]}|queued|null|null|0", // its second occurrence (mobifone, HCM) is dropped
                $"+84960000002|viettel|{Hcm}|{b[0]}|queued|null|null|0",
                $"+84960000003|viettel|{HaNoi}|{b[1]}|queued|null|null|0",
                $"+84960000004|viettel|{Hcm}|{b[1]}|queued|null|null|0",
                $"+84960000005|viettel|{HaNoi}|{b[2]}|queued|null|null|0",
                $"+84970000001|viettel|{HaNoi}|null|suppressed|opted-out|{now}|0", // not queued by its second, unsuppressed occurrence
                $"+84970000002|viettel|{Hcm}|null|suppressed|frequency-cap|{now}|0",
                $"+84970000003|mobifone|{HaNoi}|null|suppressed|opted-out|{now}|0",
            ],
            "SELECT recipient, carrier, province, batch_id, status, error, final_at, attempts FROM deliveries WHERE campaign_id = @c");

        await AssertRowsAsync(
            [
                $"{b[0]}|viettel|3|2|4|pending|0|{now}",
                $"{b[1]}|viettel|3|2|4|pending|0|{now}",
                $"{b[2]}|viettel|3|1|2|pending|0|{now}",
                $"{b[3]}|mobifone|3|3|6|pending|0|{now}",
                $"{b[4]}|mobifone|3|1|2|pending|0|{now}",
            ],
            "SELECT id, carrier, priority, messages, parts, status, attempts, created_at FROM batches WHERE campaign_id = @c");

        await AssertRowsAsync(
            [
                $"mobifone|{HaNoi}|queued|3",
                $"mobifone|{Hcm}|queued|1",
                $"mobifone|{HaNoi}|suppressed:opted-out|1",
                $"none|{HaNoi}|failed|1",
                $"none|{Hcm}|failed|1",
                $"viettel|{HaNoi}|queued|3",
                $"viettel|{Hcm}|queued|2",
                $"viettel|{HaNoi}|suppressed:opted-out|1",
                $"viettel|{Hcm}|suppressed:frequency-cap|1",
            ],
            "SELECT carrier, province, status, count FROM campaign_progress WHERE campaign_id = @c");
        await AssertRowsAsync([$"none|{UnroutedReason}|2"], "SELECT carrier, reason, count FROM campaign_failures WHERE campaign_id = @c");
        await AssertRowsAsync([$"{DeliveryStore.ThroughputBucketOf(now)}|0|0|2"],
            "SELECT bucket_start, submitted, delivered, failed FROM campaign_throughput WHERE campaign_id = @c");

        // Only numbers that will get a message count toward the cap: not the suppressed, not the unrouted.
        await AssertRowsAsync(
            new[] { "+84900000001", "+84900000002", "+84900000003", "+84900000004", "+84960000001", "+84960000002", "+84960000003", "+84960000004", "+84960000005" }
                .Select(m => $"{m}|{now}"),
            "SELECT msisdn, at FROM awareness_contacts WHERE campaign_id = @c");

        await AssertRowsAsync([$"1|+84970000001|{now + 60_000}|null"],
            "SELECT plan_list, plan_after, plan_lease_until, planned_at FROM campaigns WHERE id = @c");
    }

    [Fact]
    public async Task A_page_that_does_not_count_toward_the_cap_records_no_awareness_contacts()
    {
        var written = await deliveries.WritePlanPageAsync(Page(MixedPage, MixedBatchSize, countsTowardCap: false));

        Assert.NotNull(written);
        Assert.Equal(5, written.Count);
        await AssertRowsAsync([], "SELECT msisdn FROM awareness_contacts");
    }

    [Fact]
    public async Task The_same_page_written_again_after_a_crash_writes_nothing_and_leaves_no_batch_behind()
    {
        var first = await deliveries.WritePlanPageAsync(Page(MixedPage, MixedBatchSize, countsTowardCap: true));
        Assert.NotNull(first);
        var before = await SnapshotAsync();
        time.Advance(TimeSpan.FromSeconds(5)); // a later "now" would show in any row or counter written again

        var again = await deliveries.WritePlanPageAsync(Page(MixedPage, MixedBatchSize, countsTowardCap: true));

        Assert.NotNull(again); // the campaign is still running: an empty answer, not "cancelled"
        Assert.Empty(again);
        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal(5, before.Count(r => r.StartsWith("batch|", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_page_overlapping_rows_already_written_counts_and_batches_only_the_new_ones()
    {
        var now = Now;
        var first = await deliveries.WritePlanPageAsync(Page(
            [new("+84960000001", HaNoi, "viettel"), new("+84970000001", HaNoi, "viettel", SuppressionReason.OptedOut)], _ => 2));
        Assert.NotNull(first);

        // Overlapping lists: the first of each chunk was planned already (one queued, one suppressed).
        var second = await deliveries.WritePlanPageAsync(Page(
            [
                new("+84960000001", HaNoi, "viettel"), new("+84960000002", HaNoi, "viettel"),
                new("+84960000003", Hcm, "viettel"), new("+84970000001", HaNoi, "viettel", SuppressionReason.OptedOut),
            ],
            _ => 2, countsTowardCap: true));

        Assert.NotNull(second);
        Assert.Equal(2, second.Count);
        var (b0, b1, b2) = (Assert.Single(first).BatchId, second[0].BatchId, second[1].BatchId);
        await AssertRowsAsync(
            [
                $"{b0}|1|2",
                $"{b1}|1|2", // two planned, one of them already written
                $"{b2}|1|2",
            ],
            "SELECT id, messages, parts FROM batches WHERE campaign_id = @c");
        await AssertRowsAsync(
            [
                $"+84960000001|{b0}|queued",
                $"+84960000002|{b1}|queued",
                $"+84960000003|{b2}|queued",
                "+84970000001|null|suppressed",
            ],
            "SELECT recipient, batch_id, status FROM deliveries WHERE campaign_id = @c");
        await AssertRowsAsync(
            [$"viettel|{HaNoi}|queued|2", $"viettel|{Hcm}|queued|1", $"viettel|{HaNoi}|suppressed:opted-out|1"],
            "SELECT carrier, province, status, count FROM campaign_progress WHERE campaign_id = @c");
        await AssertRowsAsync([$"+84960000002|{now}", $"+84960000003|{now}"], "SELECT msisdn, at FROM awareness_contacts WHERE campaign_id = @c");
    }

    [Fact]
    public async Task Results_move_only_queued_rows_with_the_batch_attempts_and_count_them_by_province()
    {
        var written = await deliveries.WritePlanPageAsync(Page(FiveViettel(), _ => 500));
        var batch = Assert.Single(written!);
        Assert.NotNull(await deliveries.ClaimBatchAsync(batch.BatchId, TimeSpan.FromMinutes(1)));
        time.Advance(TimeSpan.FromSeconds(61)); // the first lane died: its lease ran out
        var claim = await deliveries.ClaimBatchAsync(batch.BatchId, TimeSpan.FromMinutes(1));
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
        await deliveries.RecordResultsAsync(claim,
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
        await AssertRowsAsync([$"{DeliveryStore.ThroughputBucketOf(at)}|2|0|2"],
            "SELECT bucket_start, submitted, delivered, failed FROM campaign_throughput WHERE campaign_id = @c");
        await AssertRowsAsync([$"{batch.BatchId}|done|2|{at}|null|null"],
            "SELECT id, status, attempts, done_at, lease_until, last_error FROM batches WHERE campaign_id = @c");
    }

    [Fact]
    public async Task Results_that_arrive_after_the_batch_was_cancelled_move_nothing()
    {
        var written = await deliveries.WritePlanPageAsync(Page(
            [new("+84960000001", HaNoi, "viettel"), new("+84960000002", Hcm, "viettel")], _ => 500));
        var batch = Assert.Single(written!);
        var claim = await deliveries.ClaimBatchAsync(batch.BatchId, TimeSpan.FromMinutes(1));
        Assert.NotNull(claim);
        var cancelledAt = Now;
        await deliveries.FinishBatchAsync(claim, DeliveryStatus.Cancelled, "campaign cancelled", claim.Attempts - 1);
        time.Advance(TimeSpan.FromSeconds(1));
        var id = await IdsAsync();

        await deliveries.RecordResultsAsync(claim,
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

    [Fact]
    public async Task A_result_that_names_a_delivery_of_another_batch_moves_only_the_claimed_batch()
    {
        // Two carriers, two batches: a result for the Mobifone row handed in with the Viettel claim
        // would otherwise move it and count it under Viettel.
        var written = await deliveries.WritePlanPageAsync(Page(
            [new("+84960000001", HaNoi, "viettel"), new("+84900000001", HaNoi, "mobifone")], _ => 500));
        Assert.Equal(2, written!.Count);
        var viettel = await deliveries.ClaimBatchAsync(written.Single(b => b.Carrier == "viettel").BatchId, TimeSpan.FromMinutes(1));
        Assert.NotNull(viettel);
        var id = await IdsAsync();

        await deliveries.RecordResultsAsync(viettel,
            [new SubmitResult(id["+84960000001"], true, "m-1", null), new SubmitResult(id["+84900000001"], true, "m-stray", null)]);

        await AssertRowsAsync(
            ["+84960000001|submitted|m-1", "+84900000001|queued|null"],
            "SELECT recipient, status, carrier_message_id FROM deliveries WHERE campaign_id = @c");
        await AssertRowsAsync(
            [$"mobifone|{HaNoi}|queued|1", $"viettel|{HaNoi}|queued|0", $"viettel|{HaNoi}|submitted|1"],
            "SELECT carrier, province, status, count FROM campaign_progress WHERE campaign_id = @c");
    }

    [Fact]
    public async Task A_receipt_that_overtook_its_result_is_parked_then_applied_when_the_result_lands()
    {
        var written = await deliveries.WritePlanPageAsync(Page(
            [new("+84960000001", HaNoi, "viettel"), new("+84960000002", Hcm, "viettel")], _ => 500));
        var batch = Assert.Single(written!);
        var claim = await deliveries.ClaimBatchAsync(batch.BatchId, TimeSpan.FromMinutes(1));
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
        await deliveries.RecordResultsAsync(claim,
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

    [Fact]
    public async Task A_receipt_post_moves_each_open_delivery_once_by_its_first_receipt_and_parks_each_unknown_id_once()
    {
        var written = await deliveries.WritePlanPageAsync(Page(FiveViettel(), _ => 500));
        var batch = Assert.Single(written!);
        var claim = await deliveries.ClaimBatchAsync(batch.BatchId, TimeSpan.FromMinutes(1));
        Assert.NotNull(claim);
        var id = await IdsAsync();
        await deliveries.RecordResultsAsync(claim, Enumerable.Range(1, 5)
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

    [Fact]
    public async Task A_claim_takes_the_batch_once_per_lease_and_counts_each_attempt()
    {
        var written = await deliveries.WritePlanPageAsync(Page([new("+84960000001", HaNoi, "viettel")], _ => 500));
        var batch = Assert.Single(written!);
        var lease = TimeSpan.FromSeconds(30);

        var first = await deliveries.ClaimBatchAsync(batch.BatchId, lease);
        Assert.Equal(new BatchClaim(batch.BatchId, Campaign, "viettel", 3, 1), first);
        var firstUntil = Now + 30_000;
        await AssertRowsAsync([$"sending|{firstUntil}|1"], "SELECT status, lease_until, attempts FROM batches WHERE campaign_id = @c");

        Assert.Null(await deliveries.ClaimBatchAsync(batch.BatchId, lease));
        time.Advance(TimeSpan.FromMilliseconds(29_999));
        Assert.Null(await deliveries.ClaimBatchAsync(batch.BatchId, lease));
        await AssertRowsAsync([$"sending|{firstUntil}|1"], "SELECT status, lease_until, attempts FROM batches WHERE campaign_id = @c");

        time.Advance(TimeSpan.FromMilliseconds(2)); // past the lease: the lane that held it is presumed dead
        var second = await deliveries.ClaimBatchAsync(batch.BatchId, lease);
        Assert.NotNull(second);
        Assert.Equal(new BatchClaim(batch.BatchId, Campaign, "viettel", 3, 2), second);
        await AssertRowsAsync([$"sending|{Now + 30_000}|2"], "SELECT status, lease_until, attempts FROM batches WHERE campaign_id = @c");
        Assert.Null(await deliveries.ClaimBatchAsync(batch.BatchId, lease));

        // A finished batch is never taken again, however old its lease.
        var id = await IdsAsync();
        await deliveries.RecordResultsAsync(second, [new SubmitResult(id["+84960000001"], true, "m-1", null)]);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(await deliveries.ClaimBatchAsync(batch.BatchId, lease));
        await AssertRowsAsync(["done|null|2"], "SELECT status, lease_until, attempts FROM batches WHERE campaign_id = @c");
    }

    private static PlannedRecipient[] FiveViettel() =>
    [
        new("+84960000001", HaNoi, "viettel"),
        new("+84960000002", Hcm, "viettel"),
        new("+84960000003", HaNoi, "viettel"),
        new("+84960000004", Hcm, "viettel"),
        new("+84960000005", HaNoi, "viettel"),
    ];

    private static PlanPage Page(IReadOnlyList<PlannedRecipient> recipients, Func<string, int> maxBatchSize, bool countsTowardCap = false) =>
        new(Campaign, Priority: 3, PartsPerMessage: 2, recipients, maxBatchSize,
            NextList: 1, NextAfter: recipients[^1].Msisdn, Last: false, Lease: TimeSpan.FromMinutes(1), countsTowardCap);

    private async Task<Dictionary<string, long>> IdsAsync() =>
        (await QueryAsync("SELECT recipient, id FROM deliveries WHERE campaign_id = @c"))
        .Select(r => r.Split('|'))
        .ToDictionary(r => r[0], r => long.Parse(r[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);

    /// <summary>Everything a plan page writes, one line per row, to compare before and after a replay.</summary>
    private async Task<List<string>> SnapshotAsync()
    {
        var all = new List<string>();
        foreach (var (name, sql) in new[]
                 {
                     ("delivery", "SELECT * FROM deliveries"),
                     ("batch", "SELECT * FROM batches"),
                     ("progress", "SELECT * FROM campaign_progress"),
                     ("failure", "SELECT * FROM campaign_failures"),
                     ("throughput", "SELECT * FROM campaign_throughput"),
                     ("contact", "SELECT * FROM awareness_contacts"),
                 })
        {
            all.AddRange((await QueryAsync(sql)).Order(StringComparer.Ordinal).Select(r => name + "|" + r));
        }
        return all;
    }

    /// <summary>The rows of <paramref name="sql"/> (with <c>@c</c> the campaign) as <c>a|b|c</c> lines, in any order.</summary>
    private async Task AssertRowsAsync(IEnumerable<string> expected, string sql) =>
        Assert.Equal(expected.Order(StringComparer.Ordinal), (await QueryAsync(sql)).Order(StringComparer.Ordinal));

    private async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var campaign = command.CreateParameter();
        campaign.ParameterName = "@c";
        campaign.Value = Campaign;
        command.Parameters.Add(campaign);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount)
                .Select(i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }
        return rows;
    }

    private async Task ExecuteAsync(string sql) =>
        await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            return await command.ExecuteNonQueryAsync();
        });
}
