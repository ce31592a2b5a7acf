using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using static Loa.CampaignApi.Tests.Reports.ReportTestParts;

namespace Loa.CampaignApi.Tests.Reports;

/// <summary>
/// Finished campaigns the report specs read: a national warning over four provinces whose viettel
/// receipts partly fail, a national awareness campaign with opt-outs, a Hà Nội campaign written and
/// approved in Hà Nội, and one whose list carries province values that start like spreadsheet formulas.
/// </summary>
public sealed class FinishedCampaigns : IAsyncLifetime
{
    public const string FormulaProvince = "=HYPERLINK(\"http://x.example\",\"bấm\")";
    public const string MinusProvince = "-2+3";
    public const string VietnameseProvince = "Hà Nội";

    public LoaTestHost Loa { get; private set; } = null!;

    public IReadOnlyList<string> National { get; private set; } = [];

    public string Province { get; private set; } = "";

    public string Formulas { get; private set; } = "";

    public string Warning => National[0];

    public async Task InitializeAsync()
    {
        // Noon in Hanoi: the awareness campaign is inside its sending window whenever the suite runs.
        Loa = await LoaTestHost.StartAsync(clock: ShiftedClock.AtVietnamTime(new TimeOnly(12, 0)));
        Loa.Simulators.SetBehaviour("viettel", Loa.Simulators.GetBehaviour("viettel") with
        {
            DeliveredWeight = 3, FailedWeight = 2, RejectedWeight = 2, ExpiredWeight = 2, EarlyReceiptRatio = 0.3, Seed = 42,
        });
        await Loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("hn-operator", "hn-operator", "HN", ["operator"]);
        using var author = Loa.Client("dev-author");
        using var approver = Loa.Client("dev-approver");
        using var operatorClient = Loa.Client("dev-operator");
        using var hnAuthor = Loa.Client("dev-hn-author");
        using var hnApprover = Loa.Client("dev-hn-approver");

        var warning = await StartAsync(author, approver, await UploadAsync(author, Csv(130, 0, "HN", "TH", "HG", "")));
        var awarenessList = await UploadAsync(author, Csv(26, 100, "TH"));
        using (var optouts = new StringContent("msisdn\n0920000007\n0560000007\n0580000007\n", Encoding.UTF8, "text/csv"))
            (await operatorClient.PostAsync("/api/v1/optouts", optouts)).EnsureSuccessStatusCode();
        var awareness = await StartAsync(author, approver, awarenessList, kind: "awareness");

        var formulaList = await UploadAsync(author, Csv(13, 300, "HN"));
        await using (var db = Open(Loa))
        {
            // The upload accepts only province codes; these values stand for data that reached the database another way.
            await db.ExecuteAsync(
                """
                UPDATE list_members SET province = CASE substr(msisdn, 4, 2) WHEN '86' THEN @Formula WHEN '96' THEN @Minus ELSE @Vietnamese END
                WHERE list_id = @List
                """,
                new { Formula = FormulaProvince, Minus = MinusProvince, Vietnamese = VietnameseProvince, List = formulaList });
        }
        Formulas = await StartAsync(author, approver, formulaList);
        Province = await StartAsync(hnAuthor, hnApprover, await UploadAsync(hnAuthor, Csv(13, 200)));
        National = [warning, awareness, Formulas];

        foreach (var id in National.Append(Province))
            await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync() => await Loa.DisposeAsync();
}

public sealed class ReportSpecs(FinishedCampaigns campaigns) : IClassFixture<FinishedCampaigns>
{
    private const string All = "?from=2000-01-01&to=2100-01-01";

    [Fact]
    public async Task Report_totals_equal_the_sum_of_the_campaigns_progress_in_json_and_csv()
    {
        using var operatorClient = campaigns.Loa.Client("dev-operator");
        var progress = new List<JsonElement>();
        foreach (var id in campaigns.National.Append(campaigns.Province))
            progress.Add(await ProgressAsync(operatorClient, id));
        var report = await ReportAsync(operatorClient, All);

        Assert.Equal(["carrier", "province", "kind", "period"], report.GetProperty("groupBy").EnumerateArray().Select(g => g.GetString()!));
        foreach (var column in CountColumns)
            Assert.Equal(progress.Sum(p => ProgressCount(p, column)), Sum(report, column));
        // The spec's faults really happened: failures, expiries and suppressions are in the figures.
        Assert.True(Sum(report, "failed") > 0 && Sum(report, "expired") > 0 && Sum(report, "suppressed") == 3, report.ToString());
        foreach (var item in report.GetProperty("items").EnumerateArray())
        {
            var counts = CountColumns.Skip(1).Sum(c => item.GetProperty(c).GetInt64());
            Assert.Equal(item.GetProperty("total").GetInt64(), counts); // queued makes the row add up
        }

        // By carrier: each carrier's row is the sum of that carrier in every campaign's progress.
        var byCarrier = await ReportAsync(operatorClient, All + "&groupBy=carrier");
        foreach (var item in byCarrier.GetProperty("items").EnumerateArray())
        {
            var carrier = item.GetProperty("carrier").GetString()!;
            foreach (var column in new[] { "total", "delivered", "failed", "expired", "suppressed" })
            {
                var expected = progress.Sum(p => p.GetProperty("byCarrier").TryGetProperty(carrier, out var c) ? c.GetProperty(column).GetInt64() : 0);
                Assert.Equal(expected, item.GetProperty(column).GetInt64());
            }
        }

        // The same rows as CSV: a header, then the JSON rows cell for cell.
        var csvResponse = await operatorClient.GetAsync("/api/v1/reports/deliveries" + All + "&format=csv");
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var csv = ParseCsv(await csvResponse.Content.ReadAsStringAsync());
        string[] header = ["carrier", "province", "kind", "period", .. CountColumns, .. AckColumns];
        Assert.Equal(header, csv[0]);
        var items = report.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(items.Count, csv.Count - 1);
        for (var i = 0; i < items.Count; i++)
        {
            var expected = header.Select(h => items[i].GetProperty(h) is { ValueKind: JsonValueKind.Number } n
                ? n.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)
                : Loa.CampaignApi.Reports.CsvCell.Neutralise(items[i].GetProperty(h).GetString()!));
            Assert.Equal(expected, csv[i + 1]);
        }
    }

    [Fact]
    public async Task Accept_text_csv_gets_csv_and_an_explicit_format_wins()
    {
        using var operatorClient = campaigns.Loa.Client("dev-operator");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/reports/deliveries" + All + "&groupBy=kind");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var response = await operatorClient.SendAsync(request);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        var csv = ParseCsv(await response.Content.ReadAsStringAsync());
        Assert.Equal(["kind", .. CountColumns, .. AckColumns], csv[0]);
        Assert.Equal(["awareness", "warning"], csv.Skip(1).Select(r => r[0]));

        using var json = new HttpRequestMessage(HttpMethod.Get, "/api/v1/reports/deliveries" + All + "&groupBy=kind&format=json");
        json.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        Assert.Equal("application/json", (await operatorClient.SendAsync(json)).Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Csv_cells_that_start_like_a_formula_are_neutralised_and_Vietnamese_stays_intact()
    {
        using var operatorClient = campaigns.Loa.Client("dev-operator");
        var response = await operatorClient.GetAsync("/api/v1/reports/deliveries" + All + "&groupBy=province&format=csv");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        // Quoted (it holds quotes and a comma), with the apostrophe inside the quotes.
        Assert.Contains("\"'=HYPERLINK(\"\"http://x.example\"\",\"\"bấm\"\")\"", text, StringComparison.Ordinal);
        var provinces = ParseCsv(text).Skip(1).Select(r => r[0]).ToList();
        Assert.Contains("'" + FinishedCampaigns.FormulaProvince, provinces);
        Assert.Contains("'" + FinishedCampaigns.MinusProvince, provinces);
        Assert.Contains(FinishedCampaigns.VietnameseProvince, provinces);
        Assert.Contains("01", provinces);
        Assert.DoesNotContain(provinces, p => p.Length > 0 && "=+-@\t\r".Contains(p[0], StringComparison.Ordinal));

        // JSON carries the data as it is: neutralising is for spreadsheets only.
        var json = await ReportAsync(operatorClient, All + "&groupBy=province");
        Assert.Contains(json.GetProperty("items").EnumerateArray(), i => i.GetProperty("province").GetString() == FinishedCampaigns.FormulaProvince);
    }

    [Fact]
    public async Task A_province_operator_reports_only_its_own_tenant_s_campaigns()
    {
        using var national = campaigns.Loa.Client("dev-operator");
        using var province = campaigns.Loa.Client("hn-operator");
        var own = await ProgressAsync(national, campaigns.Province);
        var report = await ReportAsync(province, All);
        foreach (var column in CountColumns)
            Assert.Equal(ProgressCount(own, column), Sum(report, column));
        Assert.All(report.GetProperty("items").EnumerateArray(), i => Assert.Equal("01", i.GetProperty("province").GetString()));

        var everything = await ReportAsync(national, All);
        Assert.True(Sum(everything, "total") > Sum(report, "total"));
    }

    [Fact]
    public async Task Operators_approvers_and_admins_read_reports_and_authors_do_not()
    {
        foreach (var key in new[] { "dev-operator", "dev-approver", "dev-admin" })
        {
            using var client = campaigns.Loa.Client(key);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/reports/deliveries")).StatusCode);
        }
        using var author = campaigns.Loa.Client("dev-author");
        Assert.Equal(HttpStatusCode.Forbidden, (await author.GetAsync("/api/v1/reports/deliveries")).StatusCode);
        using var nobody = campaigns.Loa.Client("not-a-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await nobody.GetAsync("/api/v1/reports/deliveries")).StatusCode);
    }

    [Theory]
    [InlineData("?groupBy=carrier,colour", "groupBy")]
    [InlineData("?period=week", "period")]
    [InlineData("?format=xlsx", "format")]
    [InlineData("?from=yesterday", "from")]
    [InlineData("?to=2026-13-01", "to")]
    [InlineData("?from=2026-05-01&to=2026-04-01", "to")]
    [InlineData("?from=2026-05-01&to=2026-05-01", "to")]
    public async Task A_bad_report_query_is_a_problem_naming_the_field(string query, string field)
    {
        using var operatorClient = campaigns.Loa.Client("dev-operator");
        var response = await operatorClient.GetAsync("/api/v1/reports/deliveries" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://loa.gov.vn/problems/validation", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task By_default_the_report_covers_this_year_until_now()
    {
        using var operatorClient = campaigns.Loa.Client("dev-operator");
        var report = await ReportAsync(operatorClient, "");
        var now = campaigns.Loa.Services.GetRequiredService<TimeProvider>().GetUtcNow().ToOffset(TimeSpan.FromHours(7));
        Assert.Equal(new DateTimeOffset(now.Year, 1, 1, 0, 0, 0, TimeSpan.FromHours(7)), report.GetProperty("from").GetDateTimeOffset());
        Assert.True(report.GetProperty("to").GetDateTimeOffset() >= now.AddMinutes(-1));
        Assert.Equal("month", report.GetProperty("period").GetString());
        Assert.Equal(Sum(await ReportAsync(operatorClient, All), "total"), Sum(report, "total"));
        Assert.All(report.GetProperty("items").EnumerateArray(), i => Assert.Equal(now.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), i.GetProperty("period").GetString()));
    }

    [Fact]
    public async Task Failures_list_reasons_per_carrier_most_frequent_first()
    {
        using var operatorClient = campaigns.Loa.Client("dev-operator");
        var progress = await ProgressAsync(operatorClient, campaigns.Warning);
        var failures = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{campaigns.Warning}/failures");
        var items = failures.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(progress.GetProperty("failed").GetInt64(), items.Sum(i => i.GetProperty("count").GetInt64()));
        Assert.All(items, i => Assert.Equal("viettel", i.GetProperty("carrier").GetString()));
        Assert.Equal(["simulated failed", "simulated rejected"], items.Select(i => i.GetProperty("reason").GetString()!).Order());
        var counts = items.Select(i => i.GetProperty("count").GetInt64()).ToList();
        Assert.Equal(counts.OrderDescending(), counts);

        foreach (var id in campaigns.National.Append(campaigns.Province))
        {
            var failed = (await ProgressAsync(operatorClient, id)).GetProperty("failed").GetInt64();
            var listed = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/failures");
            Assert.Equal(failed, listed.GetProperty("items").EnumerateArray().Sum(i => i.GetProperty("count").GetInt64()));
        }
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.GetAsync("/api/v1/campaigns/nope/failures")).StatusCode);
    }

    [Fact]
    public async Task Throughput_buckets_of_a_finished_campaign_add_up_to_its_progress()
    {
        using var operatorClient = campaigns.Loa.Client("dev-operator");
        foreach (var id in campaigns.National)
        {
            var progress = await ProgressAsync(operatorClient, id);
            var throughput = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/throughput?minutes=180");
            Assert.Equal(10, throughput.GetProperty("bucketSeconds").GetInt32());
            var items = throughput.GetProperty("items").EnumerateArray().ToList();
            long Sum(string column) => items.Sum(i => i.GetProperty(column).GetInt64());
            Assert.Equal(progress.GetProperty("delivered").GetInt64(), Sum("delivered"));
            Assert.Equal(progress.GetProperty("failed").GetInt64(), Sum("failed"));
            // Every message the carriers took was submitted once, then delivered, failed or expired by its receipt.
            Assert.Equal(progress.GetProperty("delivered").GetInt64() + progress.GetProperty("failed").GetInt64() + progress.GetProperty("expired").GetInt64(), Sum("submitted"));
            var starts = items.Select(i => i.GetProperty("at").GetDateTimeOffset()).ToList();
            Assert.Equal(starts.Order(), starts);
            Assert.All(starts, s => Assert.Equal(0, s.ToUnixTimeMilliseconds() % 10_000));
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("181")]
    [InlineData("ten")]
    [InlineData("-5")]
    public async Task A_throughput_window_outside_1_to_180_minutes_is_a_problem_naming_minutes(string minutes)
    {
        using var operatorClient = campaigns.Loa.Client("dev-operator");
        var response = await operatorClient.GetAsync($"/api/v1/campaigns/{campaigns.Warning}/throughput?minutes={minutes}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("minutes", out _), problem.ToString());
    }

    [Fact]
    public async Task The_throughput_window_keeps_only_recent_buckets()
    {
        using var operatorClient = campaigns.Loa.Client("dev-operator");
        await using (var db = Open(campaigns.Loa))
        {
            // A bucket from two hours ago: inside a 180-minute window, outside the default 15.
            var old = campaigns.Loa.Services.GetRequiredService<TimeProvider>().GetUtcNow().AddHours(-2).ToUnixTimeMilliseconds() / 10_000 * 10_000;
            await db.ExecuteAsync(
                "INSERT INTO campaign_throughput (campaign_id, bucket_start, submitted, delivered, failed) VALUES (@Id, @Old, 7, 0, 0)",
                new { Id = campaigns.Province, Old = old });
        }
        var wide = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{campaigns.Province}/throughput?minutes=180");
        var recent = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{campaigns.Province}/throughput");
        Assert.Equal(recent.GetProperty("items").GetArrayLength() + 1, wide.GetProperty("items").GetArrayLength());
        Assert.Equal(7, wide.GetProperty("items")[0].GetProperty("submitted").GetInt64());
    }
}
