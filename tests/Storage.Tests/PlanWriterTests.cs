using System.Globalization;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Deliveries;
using Loa.Storage.Planning;
using Loa.Storage.Suppression;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// The planner's page write (<see cref="PlanWriter"/>): deliveries, batches, counters, awareness
/// contacts and keyset position in one transaction; a replayed page writes nothing twice.
/// </summary>
public sealed class PlanWriterTests : LedgerSpec
{
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

    [Theory, SqliteData, SqlServerData]
    public async Task A_mixed_page_writes_exactly_its_first_occurrences_in_carrier_batches_with_counters_by_province(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var now = Now;
        var written = await plans.WriteAsync(Page(MixedPage, MixedBatchSize, countsTowardCap: true));

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
        await AssertRowsAsync([$"{DeliveryReads.ThroughputBucketOf(now)}|0|0|2"],
            "SELECT bucket_start, submitted, delivered, failed FROM campaign_throughput WHERE campaign_id = @c");

        // Only numbers that will get a message count toward the cap: not the suppressed, not the unrouted.
        await AssertRowsAsync(
            new[] { "+84900000001", "+84900000002", "+84900000003", "+84900000004", "+84960000001", "+84960000002", "+84960000003", "+84960000004", "+84960000005" }
                .Select(m => $"{m}|{now}"),
            "SELECT msisdn, at FROM awareness_contacts WHERE campaign_id = @c");

        await AssertRowsAsync([$"1|+84970000001|{now + 60_000}|null"],
            "SELECT plan_list, plan_after, plan_lease_until, planned_at FROM campaigns WHERE id = @c");
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_page_that_does_not_count_toward_the_cap_records_no_awareness_contacts(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var written = await plans.WriteAsync(Page(MixedPage, MixedBatchSize, countsTowardCap: false));

        Assert.NotNull(written);
        Assert.Equal(5, written.Count);
        await AssertRowsAsync([], "SELECT msisdn FROM awareness_contacts");
    }

    [Theory, SqliteData, SqlServerData]
    public async Task The_same_page_written_again_after_a_crash_writes_nothing_and_leaves_no_batch_behind(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var first = await plans.WriteAsync(Page(MixedPage, MixedBatchSize, countsTowardCap: true));
        Assert.NotNull(first);
        var before = await SnapshotAsync();
        time.Advance(TimeSpan.FromSeconds(5)); // a later "now" would show in any row or counter written again

        var again = await plans.WriteAsync(Page(MixedPage, MixedBatchSize, countsTowardCap: true));

        Assert.NotNull(again); // the campaign is still running: an empty answer, not "cancelled"
        Assert.Empty(again);
        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal(5, before.Count(r => r.StartsWith("batch|", StringComparison.Ordinal)));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_page_overlapping_rows_already_written_counts_and_batches_only_the_new_ones(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var now = Now;
        var first = await plans.WriteAsync(Page(
            [new("+84960000001", HaNoi, "viettel"), new("+84970000001", HaNoi, "viettel", SuppressionReason.OptedOut)], _ => 2));
        Assert.NotNull(first);

        // Overlapping lists: the first of each chunk was planned already (one queued, one suppressed).
        var second = await plans.WriteAsync(Page(
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
}
