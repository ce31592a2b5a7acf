using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using static Loa.CampaignApi.Tests.Reports.ReportTestParts;

namespace Loa.CampaignApi.Tests.Reports;

/// <summary>Coverage against the plans' targets (issue 19), read from the counters kept as deliveries became delivered.</summary>
public sealed class CoverageSpecs
{
    [Fact]
    public async Task Coverage_counts_each_person_reached_once_per_period_against_the_base_and_target()
    {
        await using var loa = await LoaTestHost.StartAsync();
        // Receipts that overtake their submit result are applied on the other path (parked, then matched): both keep reach.
        loa.Simulators.SetBehaviour("viettel", loa.Simulators.GetBehaviour("viettel") with { EarlyReceiptRatio = 0.5, Seed = 7 });
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("hn-operator", "hn-operator", "HN", ["operator"]);
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        using var hnOperator = loa.Client("hn-operator");

        // The same 39 people twice, and 13 of them a third time through another list: reached once each.
        var list = await UploadAsync(author, Csv(39, 0, "HN", "TH"));
        var again = await UploadAsync(author, Csv(13, 0, "HN", "TH"));
        var campaigns = new List<string>();
        foreach (var id in new[] { list, list, again })
            campaigns.Add(await StartAsync(author, approver, id));
        foreach (var id in campaigns)
            await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(90));

        // What the counters must say, counted here the slow way over the delivery rows.
        Dictionary<(string Province, string Carrier), long> expected;
        await using (var db = Open(loa))
        {
            expected = (await db.QueryAsync<(string Province, string Carrier, long Reached)>(
                    """
                    SELECT province, carrier, COUNT(*) FROM (
                        SELECT recipient, MIN(province) AS province, MIN(carrier) AS carrier FROM deliveries WHERE status = 'delivered' GROUP BY recipient)
                    GROUP BY province, carrier
                    """))
                .ToDictionary(r => (r.Province, r.Carrier), r => r.Reached);
        }
        Assert.True(expected.Values.Sum() >= 30, $"too few delivered to say anything: {expected.Values.Sum()}");

        // The base: 20 subscribers per carrier in each of the two provinces; the default target is 80 % of everyone.
        var month = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7));
        var rows = new List<object>();
        foreach (var province in new[] { "01", "TH" })
        {
            foreach (var carrier in new[] { "viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile" })
            {
                rows.Add(new { province, carrier, asOf = "2026-01-01", subscribers = 1000, source = "older figure" });
                rows.Add(new { province, carrier, asOf = month.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), subscribers = 20, source = "Bộ TT&TT" });
            }
        }
        var put = await operatorClient.PutAsJsonAsync("/api/v1/coverage/base", new { rows });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        var ym = month.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var year = month.ToString("yyyy", CultureInfo.InvariantCulture);
        var quarterStart = $"{year}-{(month.Month - 1) / 3 * 3 + 1:D2}";
        foreach (var period in new[] { $"from={ym}&to={ym}", $"from={year}-01&to={ym}", $"from={quarterStart}&to={ym}" })
        {
            var byBoth = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?{period}&groupBy=province,carrier");
            Assert.True(byBoth.GetProperty("exact").GetBoolean());
            foreach (var item in byBoth.GetProperty("items").EnumerateArray())
            {
                var key = (item.GetProperty("province").GetString()!, item.GetProperty("carrier").GetString()!);
                Assert.Equal(expected.GetValueOrDefault(key), item.GetProperty("reached").GetInt64());
                Assert.Equal(20, item.GetProperty("base").GetInt64());
            }
            Assert.Equal(expected.Values.Sum(), byBoth.GetProperty("total").GetProperty("reached").GetInt64());
            Assert.Equal(200, byBoth.GetProperty("total").GetProperty("base").GetInt64());
        }

        var byProvince = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?from={ym}&to={ym}&groupBy=province");
        Assert.Equal(80, byProvince.GetProperty("targetPercent").GetDouble());
        foreach (var item in byProvince.GetProperty("items").EnumerateArray())
        {
            var province = item.GetProperty("province").GetString()!;
            var reached = expected.Where(e => e.Key.Province == province).Sum(e => e.Value);
            Assert.Equal(reached, item.GetProperty("reached").GetInt64());
            Assert.Equal(100, item.GetProperty("base").GetInt64());
            Assert.Equal(reached / 100.0, item.GetProperty("share").GetDouble(), 6);
            Assert.Equal(reached >= 80, item.GetProperty("met").GetBoolean());
        }

        // A province's operator sees its own province only.
        var hn = await hnOperator.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?from={ym}&to={ym}");
        Assert.Equal(["01"], hn.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("province").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await hnOperator.PutAsJsonAsync("/api/v1/coverage/base", new { rows })).StatusCode);

        // A target the operators set is what the report measures against.
        var targets = await operatorClient.PutAsJsonAsync("/api/v1/coverage/targets", new { rows = new[] { new { tag = "", name = "Internet users", percent = 1.0 } } });
        Assert.True(targets.IsSuccessStatusCode, await targets.Content.ReadAsStringAsync());
        var low = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?from={ym}&to={ym}");
        Assert.True(low.GetProperty("total").GetProperty("met").GetBoolean());
    }

    [Fact]
    public async Task Coverage_by_target_group_counts_each_person_under_each_of_their_tags_against_the_groups_base_and_target()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        // 40 people in two provinces, tags cycling: a student, a student who is also elderly, untagged, a civil servant.
        string[] tagCells = ["student", "student;elderly", "", "civil-servant"];
        var csv = new System.Text.StringBuilder("msisdn,province,tags\n");
        for (var n = 0; n < 40; n++)
            csv.Append(LoaTestHost.Number(n)).Append(',').Append(n % 2 == 0 ? "01" : "TH").Append(',').Append(tagCells[n % tagCells.Length]).Append('\n');
        var list = await UploadAsync(author, csv.ToString());
        await LoaTestHost.WaitForStatusAsync(operatorClient, await StartAsync(author, approver, list), "completed", TimeSpan.FromSeconds(90));

        // What the counters must say, counted the slow way over the delivery rows: per tag, the people delivered to.
        Dictionary<(string Tag, string Province), long> expected = [];
        long everyone;
        await using (var db = Open(loa))
        {
            var delivered = (await db.QueryAsync<(string Recipient, string Province, string? Tags)>(
                "SELECT recipient, province, tags FROM deliveries WHERE status = 'delivered'")).ToList();
            everyone = delivered.Count;
            foreach (var (_, province, tags) in delivered)
            {
                foreach (var tag in (tags ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
                    expected[(tag, province)] = expected.GetValueOrDefault((tag, province)) + 1;
            }
        }
        Assert.True(everyone >= 30, $"too few delivered to say anything: {everyone}");
        Assert.Equal(["civil-servant", "elderly", "student"], expected.Keys.Select(k => k.Tag).Distinct().Order(StringComparer.Ordinal));

        // A base for students (10 per carrier in each province: 100) and a target of 100 % of them; none for the others.
        var asOf = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var rows = new[] { "01", "TH" }.SelectMany(province => new[] { "viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile" }
            .Select(carrier => new { province, carrier, tag = "student", asOf, subscribers = 10, source = "Bộ GD&ĐT" })).ToList();
        Assert.True((await operatorClient.PutAsJsonAsync("/api/v1/coverage/base", new { rows })).IsSuccessStatusCode);
        var targets = new[] { new { tag = "", name = "Internet users", percent = 80.0 }, new { tag = "student", name = "Students", percent = 100.0 } };
        Assert.True((await operatorClient.PutAsJsonAsync("/api/v1/coverage/targets", new { rows = targets })).IsSuccessStatusCode);

        var ym = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var byTag = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?from={ym}&to={ym}&groupBy=tag");
        var items = byTag.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("tag").GetString()!);
        Assert.Equal(["civil-servant", "elderly", "student"], items.Keys.Order(StringComparer.Ordinal));
        foreach (var (tag, item) in items)
            Assert.Equal(expected.Where(e => e.Key.Tag == tag).Sum(e => e.Value), item.GetProperty("reached").GetInt64());
        var students = items["student"];
        Assert.Equal(100, students.GetProperty("base").GetInt64());
        Assert.Equal(100.0, students.GetProperty("targetPercent").GetDouble());
        Assert.Equal("Students", students.GetProperty("targetName").GetString());
        Assert.False(students.GetProperty("met").GetBoolean());
        Assert.Equal(JsonValueKind.Null, items["elderly"].GetProperty("base").ValueKind);
        // The total is everyone reached, tagged or not, against the whole base (none entered) and the plan's target.
        Assert.Equal(everyone, byTag.GetProperty("total").GetProperty("reached").GetInt64());
        Assert.Equal(80.0, byTag.GetProperty("targetPercent").GetDouble());

        var byProvinceAndTag = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?from={ym}&to={ym}&groupBy=province,tag");
        foreach (var item in byProvinceAndTag.GetProperty("items").EnumerateArray())
        {
            var key = (item.GetProperty("tag").GetString()!, item.GetProperty("province").GetString()!);
            Assert.Equal(expected.GetValueOrDefault(key), item.GetProperty("reached").GetInt64());
            if (key.Item1 == "student")
                Assert.Equal(50, item.GetProperty("base").GetInt64());
        }
    }

    [Fact]
    public async Task The_base_uploaded_as_csv_is_kept_whole_or_refused_whole_with_each_bad_line_named()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var operatorClient = loa.Client("dev-operator");
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("hn-operator", "hn-operator", "HN", ["operator"]);
        using var hnOperator = loa.Client("hn-operator");
        static StringContent Csv(string text) => new(text, System.Text.Encoding.UTF8, "text/csv");

        // An old code (HG: Hậu Giang, now part of Cần Thơ) and a tag in another case are taken as members carry them.
        var good = "\uFEFFprovince,carrier,tag,asOf,subscribers,source\n"
            + "01,viettel,,2026-06-30,4200000,\"Cục Viễn thông, 6/2026\"\n"
            + "HG,mobifone,Student,2026-06-30,120000,Bộ GD&ĐT\n";
        var kept = await operatorClient.PostAsync("/api/v1/coverage/base", Csv(good));
        Assert.True(kept.IsSuccessStatusCode, await kept.Content.ReadAsStringAsync());
        Assert.Equal(2, (await kept.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
        var rows = (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/coverage/base?asOf=2026-07-01")).EnumerateArray()
            .Select(r => (r.GetProperty("province").GetString(), r.GetProperty("carrier").GetString(), r.GetProperty("tag").GetString(), r.GetProperty("subscribers").GetInt64(), r.GetProperty("source").GetString()))
            .ToList();
        Assert.Equal([("01", "viettel", "", 4_200_000L, "Cục Viễn thông, 6/2026"), ("92", "mobifone", "student", 120_000L, "Bộ GD&ĐT")], rows);

        // One bad line refuses the file: nothing of it is kept, and each bad cell is named by its line.
        var bad = await operatorClient.PostAsync("/api/v1/coverage/base", Csv(
            "province,carrier,asOf,subscribers,source\n01,viettel,2026-09-30,5000000,ok\nXX,nope,2026-13-01,-5,\n"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        foreach (var field in new[] { "line 3.province", "line 3.carrier", "line 3.asOf", "line 3.subscribers", "line 3.source" })
            Assert.True(errors.TryGetProperty(field, out _), $"{field} missing from {errors}");
        Assert.False(errors.TryGetProperty("line 2.province", out _));
        Assert.Equal(2, (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/coverage/base?asOf=2026-12-31")).GetArrayLength());

        var noColumn = await operatorClient.PostAsync("/api/v1/coverage/base", Csv("province,carrier,asOf,source\n01,viettel,2026-06-30,x\n"));
        Assert.True((await noColumn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("subscribers", out _));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await operatorClient.PostAsJsonAsync("/api/v1/coverage/base", new { rows = Array.Empty<object>() })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hnOperator.PostAsync("/api/v1/coverage/base", Csv(good))).StatusCode);
    }

    [Fact]
    public async Task Periods_the_counters_cannot_answer_exactly_and_groups_not_built_are_refused_with_the_field()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var operatorClient = loa.Client("dev-operator");
        async Task<JsonElement> Errors(string query)
        {
            var response = await operatorClient.GetAsync("/api/v1/reports/coverage?" + query);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        }
        Assert.True((await Errors("from=2026-02&to=2026-03")).TryGetProperty("from", out _));
        Assert.True((await Errors("from=2026-01&to=2027-03")).TryGetProperty("to", out _));
        Assert.True((await Errors("from=2026-01&to=2026-03&groupBy=commune")).TryGetProperty("groupBy", out _));
        Assert.True((await Errors("from=junk")).TryGetProperty("from", out _));

        var bad = await operatorClient.PutAsJsonAsync("/api/v1/coverage/base", new
        {
            rows = new[] { new { province = "XX", carrier = "nope", asOf = "2026-13-01", subscribers = -1, source = "" } },
        });
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        foreach (var field in new[] { "rows[0].province", "rows[0].carrier", "rows[0].asOf", "rows[0].subscribers", "rows[0].source" })
            Assert.True(errors.TryGetProperty(field, out _), $"{field} missing from {errors}");
    }

    [Fact]
    public async Task Targets_are_replaced_only_by_a_set_that_is_named_whole_and_a_malformed_body_leaves_them_as_they_were()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var operatorClient = loa.Client("dev-operator");
        var set = new[] { new { tag = "", name = "Internet users", percent = 80.0 }, new { tag = "student", name = "Students", percent = 100.0 } };
        Assert.True((await operatorClient.PutAsJsonAsync("/api/v1/coverage/targets", new { rows = set })).IsSuccessStatusCode);

        // A body without rows, or with a null row, is refused with the field: it must never read as "clear the targets".
        foreach (var (body, field) in new (string Body, string Field)[] { ("{}", "rows"), ("{\"rows\":null}", "rows"), ("{\"rows\":[null]}", "rows[0]") })
        {
            var response = await operatorClient.PutAsync("/api/v1/coverage/targets", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _), body);
        }
        var kept = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/coverage/targets");
        Assert.Equal(2, kept.GetArrayLength());

        // An empty set, named, clears them on purpose.
        Assert.True((await operatorClient.PutAsJsonAsync("/api/v1/coverage/targets", new { rows = Array.Empty<object>() })).IsSuccessStatusCode);
        Assert.Equal(0, (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/coverage/targets")).GetArrayLength());
    }
}
