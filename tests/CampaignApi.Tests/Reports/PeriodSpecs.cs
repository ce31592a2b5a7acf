using System.Text.Json;
using Loa.Tests.Shared;
using static Loa.CampaignApi.Tests.Reports.ReportTestParts;

namespace Loa.CampaignApi.Tests.Reports;

/// <summary>A campaign counts in the month, quarter and year of its start in Vietnam time.</summary>
public sealed class PeriodSpecs
{
    [Fact]
    public async Task Reports_group_by_the_Vietnam_month_quarter_and_year_of_the_start_and_filter_by_from_and_to()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        // Three sizes, so that each campaign is recognisable in any sum.
        var april = await StartAsync(author, approver, await UploadAsync(author, Csv(13, 0, "HN")));
        var march = await StartAsync(author, approver, await UploadAsync(author, Csv(26, 100, "HN")));
        var january = await StartAsync(author, approver, await UploadAsync(author, Csv(39, 200, "HN")));
        foreach (var id in new[] { april, march, january })
            await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(60));

        // Each starts near a period's edge: in UTC it is still the month (and year) before.
        await SetStartedAtAsync(loa, april, DateTimeOffset.Parse("2025-03-31T17:30:00Z"));   // 2025-04-01 00:30 in Vietnam
        await SetStartedAtAsync(loa, march, DateTimeOffset.Parse("2025-03-31T16:30:00Z"));   // 2025-03-31 23:30 in Vietnam
        await SetStartedAtAsync(loa, january, DateTimeOffset.Parse("2024-12-31T18:00:00Z")); // 2025-01-01 01:00 in Vietnam

        async Task<Dictionary<string, long>> Totals(string query)
        {
            var report = await ReportAsync(operatorClient, query);
            return report.GetProperty("items").EnumerateArray()
                .ToDictionary(i => i.GetProperty("period").GetString()!, i => i.GetProperty("total").GetInt64());
        }

        const string Range = "from=2024-06-01&to=2026-01-01";
        Assert.Equal(new Dictionary<string, long> { ["2025-01"] = 39, ["2025-03"] = 26, ["2025-04"] = 13 }, await Totals($"?{Range}&groupBy=period"));
        Assert.Equal(new Dictionary<string, long> { ["2025-Q1"] = 65, ["2025-Q2"] = 13 }, await Totals($"?{Range}&groupBy=period&period=quarter"));
        Assert.Equal(new Dictionary<string, long> { ["2025"] = 78 }, await Totals($"?{Range}&groupBy=period&period=YEAR"));
        var ordered = await ReportAsync(operatorClient, $"?{Range}&groupBy=period");
        Assert.Equal(["2025-01", "2025-03", "2025-04"], ordered.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("period").GetString()!));

        // A date is midnight in Vietnam; from is inclusive, to exclusive.
        Assert.Equal(new Dictionary<string, long> { ["2025-04"] = 13 }, await Totals("?from=2025-04-01&to=2026-01-01&groupBy=period"));
        Assert.Equal(new Dictionary<string, long> { ["2025-01"] = 39, ["2025-03"] = 26 }, await Totals("?from=2024-06-01&to=2025-04-01&groupBy=period"));
        // Times with an offset are instants; without one they are Vietnam time; Z is UTC.
        Assert.Equal(new Dictionary<string, long> { ["2025-03"] = 26 },
            await Totals($"?from={Uri.EscapeDataString("2025-03-31T23:00:00+07:00")}&to={Uri.EscapeDataString("2025-04-01T00:00:00+07:00")}&groupBy=period"));
        Assert.Equal(new Dictionary<string, long> { ["2025-04"] = 13 }, await Totals("?from=2025-04-01T00:30&to=2025-04-01T00:31&groupBy=period"));
        Assert.Equal(new Dictionary<string, long> { ["2025-01"] = 39 }, await Totals("?from=2024-12-31T18:00:00Z&to=2024-12-31T18:00:01Z&groupBy=period"));
        // A '+' left unencoded in the query arrives as a space and is still read as the offset.
        Assert.Equal(new Dictionary<string, long> { ["2025-03"] = 26 }, await Totals("?from=2025-03-31T23:00:00+07:00&to=2025-04-01T00:00:00+07:00&groupBy=period"));

        // Grouping columns come in the order asked, and a campaign never started is in no report.
        var draft = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(await UploadAsync(author, Csv(5, 400, "HN"))));
        Assert.NotNull(draft);
        var byKindAndPeriod = await ReportAsync(operatorClient, $"?{Range}&groupBy=period,kind&period=year");
        var row = Assert.Single(byKindAndPeriod.GetProperty("items").EnumerateArray());
        Assert.Equal(["period", "kind", "total"], row.EnumerateObject().Select(p => p.Name).Take(3));
        Assert.Equal(78, row.GetProperty("total").GetInt64());
        Assert.Equal(78, row.GetProperty("delivered").GetInt64());

        // This year's default range leaves the moved campaigns out.
        var thisYear = await ReportAsync(operatorClient, "");
        Assert.Equal(JsonValueKind.Array, thisYear.GetProperty("items").ValueKind);
        Assert.Empty(thisYear.GetProperty("items").EnumerateArray());
    }
}
