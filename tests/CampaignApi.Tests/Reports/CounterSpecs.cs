using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Loa.Tests.Shared;
using Microsoft.Data.Sqlite;
using static Loa.CampaignApi.Tests.Reports.ReportTestParts;

namespace Loa.CampaignApi.Tests.Reports;

/// <summary>
/// The counters reports read are exact at every moment: read in one snapshot with the delivery rows,
/// they equal the rows counted directly, whatever the campaign is doing (planning, results, early
/// and late receipts, failures, suppression, cancellation).
/// </summary>
public sealed class CounterSpecs
{
    [Fact]
    public async Task Per_province_counters_equal_the_delivery_rows_through_planning_results_receipts_and_cancellation()
    {
        // Noon in Hanoi (awareness sends); viettel slow (5 parts/s in batches of 5) so that the cancel finds work queued.
        await using var loa = await LoaTestHost.StartAsync(
            s =>
            {
                s["Loa:Carriers:viettel:PartsPerSecond"] = "5";
                s["Loa:Carriers:viettel:MaxBatchSize"] = "5";
                s["Loa:Carriers:vinaphone:MaxBatchSize"] = "7";
            },
            clock: ShiftedClock.AtVietnamTime(new TimeOnly(12, 0)));
        foreach (var carrier in new[] { "viettel", "vinaphone" })
        {
            loa.Simulators.SetBehaviour(carrier, loa.Simulators.GetBehaviour(carrier) with
            {
                DeliveredWeight = 4, FailedWeight = 1, RejectedWeight = 1, ExpiredWeight = 1, EarlyReceiptRatio = 0.3, Seed = 7,
            });
        }
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var list = await UploadAsync(author, Csv(390, 0, "HN", "TH", "HG", "", "HN"));
        using (var optouts = new StringContent("msisdn\n0860000001\n0910000002\n0900000003\n0920000004\n", Encoding.UTF8, "text/csv"))
            (await operatorClient.PostAsync("/api/v1/optouts", optouts)).EnsureSuccessStatusCode();
        var id = await StartAsync(author, approver, list, kind: "awareness");

        var samples = 0;
        var cancelled = false;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            await AssertCountersMatchRowsAsync(loa, id);
            samples++;
            var progress = await ProgressAsync(operatorClient, id);
            // A few samples while the campaign moves, whatever the machine's speed: the cancel waits for them.
            if (!cancelled && samples >= 4 && progress.GetProperty("delivered").GetInt64() > 20)
            {
                (await operatorClient.PostAsync($"/api/v1/campaigns/{id}/cancel", null)).EnsureSuccessStatusCode();
                cancelled = true;
            }
            if (cancelled && progress.GetProperty("queued").GetInt64() == 0 && progress.GetProperty("submitted").GetInt64() == 0)
                break;
            Assert.True(DateTime.UtcNow < deadline, "the campaign did not settle: " + progress);
            await Task.Delay(100);
        }
        await Task.Delay(500); // late receipts of messages already final change nothing
        await AssertCountersMatchRowsAsync(loa, id);

        var final = await ProgressAsync(operatorClient, id);
        Assert.Equal("cancelled", final.GetProperty("status").GetString());
        Assert.True(final.GetProperty("cancelled").GetInt64() > 0, final.ToString());
        Assert.True(final.GetProperty("failed").GetInt64() > 0, final.ToString());
        Assert.Equal(4, final.GetProperty("suppressed").GetInt64());
        Assert.True(samples >= 4, $"{samples} samples");

        // The report by province says the same as the rows.
        var report = await ReportAsync(operatorClient, "?from=2000-01-01&to=2100-01-01&groupBy=province");
        await using var db = Open(loa);
        var rows = (await db.QueryAsync<(string Province, long Count)>(
            "SELECT province, COUNT(*) FROM deliveries WHERE campaign_id = @id GROUP BY province", new { id }))
            .ToDictionary(r => r.Province, r => r.Count);
        Assert.Equal(rows, report.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("province").GetString()!, i => i.GetProperty("total").GetInt64()));
        Assert.Equal(["", "01", "38", "92"], rows.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// In one read snapshot: campaign_progress equals the deliveries grouped by carrier, province and
    /// status (suppressed by reason); campaign_failures equals the failed rows grouped by carrier and
    /// error; campaign_throughput's submitted, delivered and failed equal the rows ever submitted,
    /// delivered and failed.
    /// </summary>
    private static async Task AssertCountersMatchRowsAsync(LoaTestHost loa, string id)
    {
        await using var db = Open(loa);
        await using var snapshot = db.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: true);
        var counters = (await db.QueryAsync<(string Carrier, string Province, string Status, long Count)>(
            "SELECT carrier, province, status, count FROM campaign_progress WHERE campaign_id = @id AND count <> 0", new { id }, snapshot))
            .ToDictionary(r => (r.Carrier, r.Province, r.Status), r => r.Count);
        var counted = (await db.QueryAsync<(string Carrier, string Province, string Status, long Count)>(
            """
            SELECT carrier, province, CASE WHEN status = 'suppressed' THEN 'suppressed:' || error ELSE status END, COUNT(*)
            FROM deliveries WHERE campaign_id = @id GROUP BY 1, 2, 3
            """, new { id }, snapshot))
            .ToDictionary(r => (r.Carrier, r.Province, r.Status), r => r.Count);
        Assert.Equal(Describe(counted), Describe(counters));

        var failures = (await db.QueryAsync<(string Carrier, string Reason, long Count)>(
            "SELECT carrier, reason, count FROM campaign_failures WHERE campaign_id = @id AND count <> 0", new { id }, snapshot))
            .ToDictionary(r => (r.Carrier, r.Reason), r => r.Count);
        var failedRows = (await db.QueryAsync<(string Carrier, string Reason, long Count)>(
            "SELECT carrier, substr(error, 1, 200), COUNT(*) FROM deliveries WHERE campaign_id = @id AND status = 'failed' GROUP BY 1, 2", new { id }, snapshot))
            .ToDictionary(r => (r.Carrier, r.Reason), r => r.Count);
        Assert.Equal(Describe(failedRows), Describe(failures));

        var buckets = await db.QuerySingleAsync<(long Submitted, long Delivered, long Failed)>(
            "SELECT COALESCE(SUM(submitted), 0), COALESCE(SUM(delivered), 0), COALESCE(SUM(failed), 0) FROM campaign_throughput WHERE campaign_id = @id",
            new { id }, snapshot);
        var moved = await db.QuerySingleAsync<(long Submitted, long Delivered, long Failed)>(
            """
            SELECT COALESCE(SUM(CASE WHEN submitted_at IS NOT NULL THEN 1 ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0)
            FROM deliveries WHERE campaign_id = @id
            """, new { id }, snapshot);
        Assert.Equal(moved, buckets);
    }

    private static string Describe<TKey>(Dictionary<TKey, long> counts) where TKey : notnull =>
        string.Join("\n", counts.Select(c => $"{c.Key} = {c.Value}").Order(StringComparer.Ordinal));
}
