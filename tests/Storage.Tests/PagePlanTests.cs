using Loa.Contracts;
using Loa.Storage.Deliveries;
using Loa.Storage.Planning;
using Loa.Storage.Suppression;

namespace Loa.Storage.Tests;

/// <summary>
/// What a plan page becomes before the write lock is taken (<see cref="PagePlan"/>): pure logic, no
/// database. The page's rows, batches and counters must agree with what the unique index and the
/// counters would make of the same page.
/// </summary>
public sealed class PagePlanTests
{
    private const long Now = 1_700_000_000_000;

    private static string Line(KeyValuePair<PlanCounter, long> c) => $"{c.Key.Carrier}|{c.Key.Province}|{c.Key.Status}|{c.Key.Reason ?? "null"}|{c.Value}";

    [Fact]
    public void A_number_met_twice_in_a_page_keeps_only_its_first_row()
    {
        var plan = PagePlan.Of(
        [
            new("+84960000001", "HN", "viettel"),
            new("+84960000001", "SG", "mobifone"),
            new("+84970000001", "HN", "viettel", SuppressionReason.OptedOut),
            new("+84970000001", "HN", "viettel"),
        ], _ => 10, Now);

        var batch = Assert.Single(plan.Batches);
        Assert.Equal("viettel", batch.Carrier);
        Assert.Equal(["+84960000001"], batch.Recipients.Select(r => r.Msisdn));
        var closed = Assert.Single(plan.Closed);
        Assert.Equal(("+84970000001", DeliveryStatus.Suppressed, SuppressionReason.OptedOut), (closed.Recipient.Msisdn, closed.Status, closed.Error));
    }

    [Fact]
    public void Suppressed_and_unrouted_recipients_are_closed_at_once_with_their_reason_and_get_no_batch()
    {
        var plan = PagePlan.Of(
        [
            new("+84970000002", "HN", "viettel", SuppressionReason.FrequencyCap),
            new("+84100000001", "SG", Unrouted.Carrier),
        ], _ => 10, Now);

        Assert.Empty(plan.Batches);
        Assert.Equal(
            [$"+84970000002|{DeliveryStatus.Suppressed}|{SuppressionReason.FrequencyCap}|{Now}", $"+84100000001|{DeliveryStatus.Failed}|{DeliveryReason.Unrouted}|{Now}"],
            plan.Closed.Select(r => $"{r.Recipient.Msisdn}|{r.Status}|{r.Error}|{r.FinalAt}"));
        Assert.All(plan.Closed, r => Assert.Null(r.BatchId));
    }

    [Fact]
    public void Each_carriers_recipients_fill_batches_of_at_most_its_batch_size_in_page_order()
    {
        var page = Enumerable.Range(1, 5).Select(i => new PlannedRecipient($"+8496000000{i}", "HN", "viettel"))
            .Concat(Enumerable.Range(1, 3).Select(i => new PlannedRecipient($"+8490000000{i}", "HN", "mobifone")))
            .ToList();

        var plan = PagePlan.Of(page, carrier => carrier == "viettel" ? 2 : 500, Now);

        Assert.Equal(
            ["viettel:+84960000001,+84960000002", "viettel:+84960000003,+84960000004", "viettel:+84960000005", "mobifone:+84900000001,+84900000002,+84900000003"],
            plan.Batches.Select(b => $"{b.Carrier}:{string.Join(',', b.Recipients.Select(r => r.Msisdn))}"));
    }

    [Fact]
    public void A_batch_size_below_one_still_makes_batches_of_one()
    {
        var plan = PagePlan.Of([new("+84960000001", "HN", "viettel"), new("+84960000002", "HN", "viettel")], _ => 0, Now);

        Assert.Equal([1, 1], plan.Batches.Select(b => b.Recipients.Length));
    }

    [Fact]
    public void Counters_are_one_entry_per_carrier_province_and_status_with_suppression_reasons_and_failure_reasons_apart()
    {
        var plan = PagePlan.Of(
        [
            new("+84960000001", "HN", "viettel"),
            new("+84960000002", "HN", "viettel"),
            new("+84960000003", "SG", "viettel"),
            new("+84970000001", "HN", "viettel", SuppressionReason.OptedOut),
            new("+84970000002", "HN", "viettel", SuppressionReason.OptedOut),
            new("+84970000003", "HN", "viettel", SuppressionReason.NotTestNumber),
            new("+84100000001", "SG", Unrouted.Carrier),
        ], _ => 500, Now);

        string[] expected =
        [
            "viettel|HN|queued|null|2",
            "viettel|SG|queued|null|1",
            $"viettel|HN|{SuppressionReason.ProgressPrefix}{SuppressionReason.OptedOut}|null|2",
            $"viettel|HN|{SuppressionReason.ProgressPrefix}{SuppressionReason.NotTestNumber}|null|1",
            $"{Unrouted.Carrier}|SG|failed|{DeliveryReason.Unrouted}|1",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), plan.Counts.Select(Line).Order(StringComparer.Ordinal));
    }
}
