using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ClosedXML.Excel;
using Loa.CampaignApi.Reports;
using Loa.CampaignApi.Scheduling;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using static Loa.CampaignApi.Tests.Reports.ReportTestParts;

namespace Loa.CampaignApi.Tests.Reports;

/// <summary>Scheduled exports (issue 19): the yearly and quarterly reports generated on schedule or on demand, kept, downloaded per tenant, audited.</summary>
public sealed class ExportSpecs
{
    private static readonly TimeSpan Vietnam = TimeSpan.FromHours(7);

    [Fact]
    public async Task A_scheduled_run_keeps_a_csv_and_a_spreadsheet_with_the_coverage_figures_and_a_restart_does_not_run_the_period_again()
    {
        string directory;
        await using (var first = await LoaTestHost.StartAsync())
        {
            directory = first.Directory;
            using var author = first.Client("dev-author");
            using var approver = first.Client("dev-approver");
            using var operatorClient = first.Client("dev-operator");
            // Tagged members, so the target groups part has something to show: students, some also elderly.
            var tagged = string.Join('\n', Csv(26, 0, "HN", "TH").TrimEnd('\n').Split('\n')
                .Select((line, i) => i == 0 ? line + ",tags" : line + (i % 3 == 0 ? ",student;elderly" : i % 3 == 1 ? ",student" : ","))) + "\n";
            var list = await UploadAsync(author, tagged);
            var campaign = await StartAsync(author, approver, list);
            await LoaTestHost.WaitForStatusAsync(operatorClient, campaign, "completed", TimeSpan.FromSeconds(90));
            var rows = new List<object>();
            foreach (var province in new[] { "01", "TH" })
            {
                foreach (var carrier in new[] { "viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile" })
                    rows.Add(new { province, carrier, asOf = "2020-01-01", subscribers = 4, source = "Bộ TT&TT" });
            }
            var put = await operatorClient.PutAsJsonAsync("/api/v1/coverage/base", new { rows });
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
            await first.StopKeepingDataAsync();
        }

        // The yearly schedule every second: the trigger stored by the first host is replaced (its cron changed), fires,
        // and every later firing finds the year's report already kept.
        void EverySecond(Dictionary<string, string?> s)
        {
            s["Loa:Reports:Yearly"] = "0/1 * * * * ?";
            s["Loa:Reports:Quarterly"] = "";
        }
        JsonElement export;
        await using (var loa = await LoaTestHost.StartAsync(EverySecond, directory))
        {
            using var operatorClient = loa.Client("dev-operator");
            using var admin = loa.Client("dev-admin");
            export = await WaitForExportsAsync(operatorClient, 1);
            Assert.Equal(("national", "yearly", "scheduled", "ready"), (Str(export, "tenant"), Str(export, "kind"), Str(export, "origin"), Str(export, "status")));
            var id = Str(export, "id");
            var from = export.GetProperty("from").GetDateTimeOffset().ToOffset(Vietnam);
            var to = export.GetProperty("to").GetDateTimeOffset().ToOffset(Vietnam).AddTicks(-1);
            Assert.Equal(from.Year.ToString(CultureInfo.InvariantCulture), Str(export, "period"));

            var coverage = await operatorClient.GetFromJsonAsync<JsonElement>(
                $"/api/v1/reports/coverage?from={from:yyyy-MM}&to={to:yyyy-MM}&groupBy=province,carrier");
            var items = coverage.GetProperty("items").EnumerateArray().ToList();
            Assert.True(coverage.GetProperty("total").GetProperty("reached").GetInt64() >= 20, coverage.ToString());

            // The spreadsheet: a sheet per part, a header row, numbers as numbers, the share as a percentage.
            var xlsx = await operatorClient.GetAsync($"/api/v1/reports/exports/{id}/file?format=xlsx");
            Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
            Assert.Equal(ExportFiles.XlsxType, xlsx.Content.Headers.ContentType?.MediaType);
            Assert.EndsWith(".xlsx", xlsx.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
            using (var workbook = new XLWorkbook(new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync())))
            {
                var sheet = workbook.Worksheet("coverage");
                Assert.Equal(ExportFiles.CoverageColumns, Enumerable.Range(1, 9).Select(c => sheet.Cell(1, c).GetString()));
                for (var i = 0; i < items.Count; i++)
                {
                    var row = i + 2;
                    Assert.Equal(Str(items[i], "province"), sheet.Cell(row, 1).GetString());
                    Assert.Equal(Str(items[i], "provinceName"), sheet.Cell(row, 2).GetString());
                    Assert.Equal(Str(items[i], "carrier"), sheet.Cell(row, 3).GetString());
                    Assert.Equal(XLDataType.Number, sheet.Cell(row, 4).DataType);
                    Assert.Equal(items[i].GetProperty("reached").GetInt64(), sheet.Cell(row, 4).GetValue<long>());
                    Assert.Equal(items[i].GetProperty("base").GetInt64(), sheet.Cell(row, 5).GetValue<long>());
                    Assert.Equal(items[i].GetProperty("share").GetDouble(), sheet.Cell(row, 7).GetValue<double>(), 12);
                    Assert.Equal("0.00%", sheet.Cell(row, 7).Style.NumberFormat.Format);
                    Assert.Equal(items[i].GetProperty("met").GetBoolean(), sheet.Cell(row, 9).GetValue<bool>());
                }
                var total = items.Count + 2;
                Assert.Equal(ExportFiles.TotalLabel, sheet.Cell(total, 2).GetString());
                Assert.Equal(coverage.GetProperty("total").GetProperty("reached").GetInt64(), sheet.Cell(total, 4).GetValue<long>());
                Assert.Contains("Hà Nội", Enumerable.Range(2, items.Count).Select(r => sheet.Cell(r, 2).GetString()));

                // The target groups: each tag's rows by province, then its whole, as the API answers them.
                var period = $"from={from:yyyy-MM}&to={to:yyyy-MM}";
                var byProvince = (await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?{period}&groupBy=province,tag")).GetProperty("items").EnumerateArray();
                var whole = (await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?{period}&groupBy=tag")).GetProperty("items").EnumerateArray();
                var expectedGroups = byProvince.Concat(whole)
                    .Select(g => (Tag: Str(g, "tag"), Province: g.GetProperty("province").ValueKind == JsonValueKind.Null ? "" : Str(g, "province"), Reached: g.GetProperty("reached").GetInt64()))
                    .OrderBy(g => g.Tag, StringComparer.Ordinal).ThenBy(g => g.Province == "").ThenBy(g => g.Province, StringComparer.Ordinal).ToList();
                Assert.Equal(["elderly", "student"], expectedGroups.Select(g => g.Tag).Distinct());
                var groups = workbook.Worksheet("groups");
                Assert.Equal(ExportFiles.GroupColumns, Enumerable.Range(1, 10).Select(c => groups.Cell(1, c).GetString()));
                Assert.Equal(expectedGroups, Enumerable.Range(2, expectedGroups.Count)
                    .Select(r => (groups.Cell(r, 1).GetString(), groups.Cell(r, 3).GetString(), groups.Cell(r, 5).GetValue<long>())));
                Assert.Equal(ExportFiles.TotalLabel, groups.Cell(expectedGroups.Count + 1, 4).GetString());
                Assert.Equal("Students", groups.Cell(expectedGroups.Count + 1, 2).GetString());

                var deliveries = await operatorClient.GetFromJsonAsync<JsonElement>(
                    $"/api/v1/reports/deliveries?groupBy=unit,carrier,kind&from={Uri.EscapeDataString(export.GetProperty("from").GetString()!)}&to={Uri.EscapeDataString(export.GetProperty("to").GetString()!)}");
                var sent = deliveries.GetProperty("items").EnumerateArray().ToList();
                var summary = workbook.Worksheet("deliveries");
                Assert.Equal(sent.Count, summary.RowsUsed().Count() - 1);
                for (var i = 0; i < sent.Count; i++)
                {
                    Assert.Equal(Str(sent[i], "unit"), summary.Cell(i + 2, 1).GetString());
                    Assert.Equal(sent[i].GetProperty("delivered").GetInt64(), summary.Cell(i + 2, 7).GetValue<long>());
                    Assert.Equal(sent[i].GetProperty("total").GetInt64(), summary.Cell(i + 2, 5).GetValue<long>());
                }
                Assert.True(sent.Sum(s => s.GetProperty("delivered").GetInt64()) > 0);
            }

            // The CSV: UTF-8 with a byte-order mark, the same figures, Vietnamese as written.
            var csv = await operatorClient.GetAsync($"/api/v1/reports/exports/{id}/file?format=csv");
            Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
            var bytes = await csv.Content.ReadAsByteArrayAsync();
            Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
            var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n");
            Assert.Equal(["coverage", string.Join(',', ExportFiles.CoverageColumns)], lines[..2]);
            for (var i = 0; i < items.Count; i++)
            {
                var cells = lines[i + 2].Split(',');
                Assert.Equal((Str(items[i], "province"), Str(items[i], "provinceName"), Str(items[i], "carrier")), (cells[0], cells[1], cells[2]));
                Assert.Equal(items[i].GetProperty("reached").GetInt64(), long.Parse(cells[3], CultureInfo.InvariantCulture));
                Assert.Equal(items[i].GetProperty("share").GetDouble(), double.Parse(cells[6], CultureInfo.InvariantCulture));
            }
            Assert.Contains("deliveries", lines);
            Assert.Contains("groups", lines);
            Assert.Contains(string.Join(',', ExportFiles.GroupColumns), lines);

            // Generation and both downloads are on the audit trail; the generation under the scheduler's principal.
            // A served download's record is written once its answer has gone (AuditServedReads), so it may land just
            // after the client has the file: read until both are there, bounded.
            List<JsonElement> audit = [], downloads = [];
            for (var attempt = 0; attempt < 50 && downloads.Count < 2; attempt++, await Task.Delay(attempt == 1 ? 0 : 200))
            {
                audit = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000")).GetProperty("items").EnumerateArray().ToList();
                downloads = audit.Where(r => Str(r, "action") == "GET /api/v1/reports/exports/{id}/file" && Str(r, "target") == id).ToList();
            }
            var generated = Assert.Single(audit, r => Str(r, "action") == ReportExportJob.AuditAction);
            Assert.Equal(("system:scheduler", "national", id, 201), (Str(generated, "who"), Str(generated, "tenant"), Str(generated, "target"), generated.GetProperty("outcome").GetInt32()));
            Assert.Equal(["xlsx", "csv"], downloads.Select(d => d.GetProperty("details").GetProperty("download").GetProperty("format").GetString()));
            await loa.StopKeepingDataAsync();
        }

        // A restart on the same store: the trigger is kept as it was and fires on, but the year is kept once.
        await using (var again = await LoaTestHost.StartAsync(EverySecond, directory))
        {
            var started = DateTimeOffset.UtcNow;
            var scheduler = await again.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await scheduler.GetTrigger(ReportTriggers.KeyOf("national", "yearly")))?.PreviousFireTimeUtc is not { } fired || fired < started.AddSeconds(2))
            {
                Assert.True(DateTime.UtcNow < deadline, "the yearly trigger did not fire after the restart");
                await Task.Delay(200);
            }
            using var operatorClient = again.Client("dev-operator");
            var page = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/reports/exports");
            Assert.Equal([Str(export, "id")], page.GetProperty("items").EnumerateArray().Select(i => Str(i, "id")));
        }
    }

    [Fact]
    public async Task An_export_on_demand_is_generated_at_once_and_a_province_lists_and_downloads_only_its_own()
    {
        await using var loa = await LoaTestHost.StartAsync();
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("hn-operator", "hn-operator", "HN", ["operator"]);
        using var operatorClient = loa.Client("dev-operator");
        using var hn = loa.Client("hn-operator");
        using var author = loa.Client("dev-author");
        using var admin = loa.Client("dev-admin");
        var year = DateTimeOffset.UtcNow.ToOffset(Vietnam).Year.ToString(CultureInfo.InvariantCulture);

        var national = await operatorClient.PostAsJsonAsync("/api/v1/reports/exports", new { period = year });
        Assert.Equal(HttpStatusCode.Created, national.StatusCode);
        var nationalExport = await national.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("national", "yearly", "on-demand", "ready"), (Str(nationalExport, "tenant"), Str(nationalExport, "kind"), Str(nationalExport, "origin"), Str(nationalExport, "status")));
        Assert.EndsWith(Str(nationalExport, "id"), national.Headers.Location!.ToString());
        var provincial = await hn.PostAsJsonAsync("/api/v1/reports/exports", new { period = $"{year}-Q1" });
        Assert.Equal(HttpStatusCode.Created, provincial.StatusCode);
        var hnExport = await provincial.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("01", "quarterly", $"{year}-Q1"), (Str(hnExport, "tenant"), Str(hnExport, "kind"), Str(hnExport, "period")));

        // A province names no tenant but its own; an author generates nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await hn.PostAsJsonAsync("/api/v1/reports/exports", new { period = year, tenant = "national" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hn.PostAsJsonAsync("/api/v1/reports/exports", new { period = year, tenant = "38" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await author.PostAsJsonAsync("/api/v1/reports/exports", new { period = year })).StatusCode);
        // National may generate a province's.
        var forHn = await operatorClient.PostAsJsonAsync("/api/v1/reports/exports", new { period = year, tenant = "HN" });
        Assert.Equal("01", Str(await forHn.Content.ReadFromJsonAsync<JsonElement>(), "tenant"));

        var hnList = (await hn.GetFromJsonAsync<JsonElement>("/api/v1/reports/exports")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, hnList.Count);
        Assert.All(hnList, e => Assert.Equal("01", Str(e, "tenant")));
        Assert.Equal(3, (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/reports/exports")).GetProperty("items").GetArrayLength());
        var paged = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/reports/exports?limit=2");
        Assert.Equal(Str(paged.GetProperty("items")[1], "id"), Str(paged, "next"));

        var nationalId = Str(nationalExport, "id");
        Assert.Equal(HttpStatusCode.NotFound, (await hn.GetAsync($"/api/v1/reports/exports/{nationalId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hn.GetAsync($"/api/v1/reports/exports/{nationalId}/file?format=csv")).StatusCode);
        var own = await hn.GetAsync($"/api/v1/reports/exports/{Str(hnExport, "id")}/file?format=xlsx");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using (var workbook = new XLWorkbook(new MemoryStream(await own.Content.ReadAsByteArrayAsync())))
            Assert.Equal(["coverage", "deliveries", "groups", "export"], workbook.Worksheets.Select(w => w.Name));
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync($"/api/v1/reports/exports/{Str(hnExport, "id")}/file?format=csv")).StatusCode);

        // Bad input: field errors, nothing kept.
        async Task Refused(HttpResponseMessage response, string field)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _), field);
        }
        await Refused(await operatorClient.PostAsJsonAsync("/api/v1/reports/exports", new { period = $"{year}-Q5" }), "period");
        await Refused(await operatorClient.PostAsJsonAsync("/api/v1/reports/exports", new { period = "2099" }), "period");
        await Refused(await operatorClient.PostAsJsonAsync("/api/v1/reports/exports", new { period = year, tenant = "XX" }), "tenant");
        await Refused(await operatorClient.GetAsync($"/api/v1/reports/exports/{nationalId}/file?format=pdf"), "format");
        await Refused(await operatorClient.GetAsync("/api/v1/reports/exports?limit=0"), "limit");
        Assert.Equal(3, (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/reports/exports")).GetProperty("items").GetArrayLength());

        // Each generation and each file served is on the record; the refused download is not a download.
        var audit = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000")).GetProperty("items").EnumerateArray().ToList();
        var created = audit.Where(r => Str(r, "action") == "POST /api/v1/reports/exports" && r.GetProperty("outcome").GetInt32() == 201).ToList();
        Assert.Equal(3, created.Count);
        Assert.Contains(created, r => Str(r, "target") == nationalId && r.GetProperty("details").GetProperty("export").GetProperty("period").GetString() == year);
        var served = audit.Where(r => Str(r, "action") == "GET /api/v1/reports/exports/{id}/file").ToList();
        Assert.Equal([200, 200], served.Select(r => r.GetProperty("outcome").GetInt32()));
        Assert.All(served, r => Assert.Equal(Str(hnExport, "id"), Str(r, "target")));
    }

    [Fact]
    public async Task A_province_sets_its_own_report_dates_and_its_schedule_fires_for_its_own_figures()
    {
        await using var loa = await LoaTestHost.StartAsync();
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("hn-operator", "hn-operator", "HN", ["operator"]);
        using var hn = loa.Client("hn-operator");
        using var operatorClient = loa.Client("dev-operator");
        var scheduler = await loa.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();

        var put = await hn.PutAsJsonAsync("/api/v1/reports/schedules/HN", new { yearly = "0 0 7 20 11 ?", quarterly = (string?)null });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var trigger = Assert.IsAssignableFrom<ICronTrigger>(await scheduler.GetTrigger(ReportTriggers.KeyOf("01", "yearly")));
        Assert.Equal("0 0 7 20 11 ?", trigger.CronExpressionString);
        Assert.Equal(CronTriggerMisfireInstruction.FireAndProceed, trigger.MisfireInstruction);
        var next = trigger.NextFireTimeUtc!.Value.ToOffset(Vietnam);
        Assert.Equal((11, 20, 7), (next.Month, next.Day, next.Hour));

        var mine = (await hn.GetFromJsonAsync<JsonElement>("/api/v1/reports/schedules")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["national:yearly", "national:quarterly", "01:yearly"], mine.Select(s => $"{Str(s, "tenant")}:{Str(s, "kind")}"));
        Assert.Equal("0 0 7 1 12 ?", Str(mine[0], "cron"));

        // Another province's dates, the national ones and a cron that is none are refused.
        Assert.Equal(HttpStatusCode.Forbidden, (await hn.PutAsJsonAsync("/api/v1/reports/schedules/38", new { yearly = "0 0 7 1 12 ?" })).StatusCode);
        var national = await operatorClient.PutAsJsonAsync("/api/v1/reports/schedules/national", new { yearly = "0 0 7 1 12 ?" });
        Assert.Equal(HttpStatusCode.BadRequest, national.StatusCode);
        var bad = await hn.PutAsJsonAsync("/api/v1/reports/schedules/01", new { yearly = "every day", quarterly = "0 0 7 1 1 ? 2001" });
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("yearly", out _) && errors.TryGetProperty("quarterly", out _), errors.ToString());
        Assert.NotNull(await scheduler.GetTrigger(ReportTriggers.KeyOf("01", "yearly")));

        // A firing of the province's schedule (driven through the scheduler, not the calendar) keeps its own report.
        await scheduler.TriggerJob(ReportExportJob.Key, new JobDataMap { [ReportExportJob.TenantData] = "01", [ReportExportJob.KindData] = "quarterly" });
        var export = await WaitForExportsAsync(hn, 1);
        Assert.Equal(("01", "quarterly", "scheduled"), (Str(export, "tenant"), Str(export, "kind"), Str(export, "origin")));
        Assert.Equal(ExportPeriod.ForFiring("quarterly", DateTimeOffset.UtcNow).Label, Str(export, "period"));

        // National sets a province's dates too; nulls take the province's own schedule away.
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PutAsJsonAsync("/api/v1/reports/schedules/01", new { yearly = (string?)null, quarterly = (string?)null })).StatusCode);
        Assert.Null(await scheduler.GetTrigger(ReportTriggers.KeyOf("01", "yearly")));
        Assert.NotNull(await scheduler.GetTrigger(ReportTriggers.KeyOf("national", "yearly")));
    }

    [Fact]
    public async Task A_firing_missed_while_every_host_was_down_runs_once_at_start_for_the_period_it_was_due()
    {
        string directory;
        await using (var first = await LoaTestHost.StartAsync())
        {
            directory = first.Directory;
            await first.StopKeepingDataAsync();
        }
        // While no host runs, the yearly firing of 1 December 2025 comes due: the stored trigger is set back to it.
        var due = new DateTimeOffset(2025, 12, 1, 7, 0, 0, Vietnam);
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory, "loa.db")};Pooling=False"))
        {
            await db.OpenAsync();
            const string where = "WHERE TRIGGER_NAME = 'national:yearly' AND TRIGGER_GROUP = 'report-exports'";
            var stored = await Dapper.SqlMapper.ExecuteScalarAsync<long>(db, $"SELECT NEXT_FIRE_TIME FROM QRTZ_TRIGGERS {where}");
            var next = new DateTimeOffset(stored, TimeSpan.Zero).ToOffset(Vietnam);
            Assert.Equal((12, 1, 7), (next.Month, next.Day, next.Hour)); // ticks, UTC: what the update below writes
            Assert.Equal(1, await Dapper.SqlMapper.ExecuteAsync(db, $"UPDATE QRTZ_TRIGGERS SET NEXT_FIRE_TIME = @ticks {where}", new { ticks = due.UtcTicks }));
        }

        await using var loa = await LoaTestHost.StartAsync(directory: directory);
        using var operatorClient = loa.Client("dev-operator");
        var export = await WaitForExportsAsync(operatorClient, 1);
        Assert.Equal(("yearly", "2025", "scheduled"), (Str(export, "kind"), Str(export, "period"), Str(export, "origin")));
        var scheduler = await loa.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var trigger = await scheduler.GetTrigger(ReportTriggers.KeyOf("national", "yearly"));
        Assert.True(trigger!.NextFireTimeUtc > DateTimeOffset.UtcNow, $"next firing {trigger.NextFireTimeUtc}");
        Assert.Equal(1, (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/reports/exports")).GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("yearly", "2026-12-01T07:00:00+07:00", "2026", "2026-01", "2026-12")]
    [InlineData("yearly", "2027-01-10T07:00:00+07:00", "2026", "2026-01", "2026-12")]
    [InlineData("quarterly", "2026-10-01T07:00:00+07:00", "2026-Q3", "2026-07", "2026-09")]
    [InlineData("quarterly", "2027-01-01T07:00:00+07:00", "2026-Q4", "2026-10", "2026-12")]
    [InlineData("quarterly", "2026-05-15T00:00:00+07:00", "2026-Q1", "2026-01", "2026-03")]
    public void A_firing_reports_the_year_so_far_or_the_quarter_just_ended(string kind, string fired, string label, string first, string last)
    {
        var at = DateTimeOffset.Parse(fired, CultureInfo.InvariantCulture);
        var period = ExportPeriod.ForFiring(kind, at);
        Assert.Equal((label, first, last), (period.Label, period.FirstMonth.ToString("yyyy-MM", CultureInfo.InvariantCulture), period.LastMonth.ToString("yyyy-MM", CultureInfo.InvariantCulture)));
        Assert.True(period.To <= at);
        Assert.NotNull(CoverageApi.Bucket(period.FirstMonth, period.LastMonth));
    }

    private static string Str(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    private static async Task<JsonElement> WaitForExportsAsync(HttpClient client, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var items = (await client.GetFromJsonAsync<JsonElement>("/api/v1/reports/exports")).GetProperty("items");
            if (items.GetArrayLength() >= count)
                return items[count - 1];
            Assert.True(DateTime.UtcNow < deadline, $"no {count} export(s) kept within 30 s");
            await Task.Delay(200);
        }
    }
}
