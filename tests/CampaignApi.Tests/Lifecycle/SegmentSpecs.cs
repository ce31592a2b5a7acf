using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Lifecycle;

/// <summary>
/// Segments: members carry tags and a commune from the upload, audiences include and exclude by tags,
/// provinces, communes and carriers, and the preview (read from the counters kept at upload) is the
/// run's figure for every filter, members with several tags and numbers in two lists included.
/// </summary>
public sealed class SegmentSpecs
{
    private static Task<LoaTestHost> StartAsync(Action<Dictionary<string, string?>>? adjust = null) =>
        LoaTestHost.StartAsync(adjust, clock: ShiftedClock.AtVietnamTime(new TimeOnly(12, 0)));

    private static readonly string[] TagSets = ["student", "elderly;Student", "civil-servant", ""];
    private static readonly string[] Communes = ["00004", "00007", ""];

    /// <summary>
    /// Numbers <paramref name="from"/>.. with tags cycling through <see cref="TagSets"/> (shifted by
    /// <paramref name="tagShift"/>, so a number in two lists may carry other tags in each), communes
    /// through <see cref="Communes"/>; the first half in Hà Nội, the rest in Hải Phòng.
    /// </summary>
    private static string Csv(int from, int count, int tagShift = 0)
    {
        var csv = new StringBuilder("msisdn,province,commune,tags\n");
        for (var n = from; n < from + count; n++)
        {
            csv.Append(LoaTestHost.Number(n)).Append(',').Append(n < from + count / 2 ? "01" : "HP").Append(',')
                .Append(Communes[n % Communes.Length]).Append(',').Append(TagSets[(n + tagShift) % TagSets.Length]).Append('\n');
        }
        return csv.ToString();
    }

    public static TheoryData<string, string> Filters() => new()
    {
        { "include tags", """{"tags":["student"]}""" + "|" },
        { "exclude tags", "|" + """{"tags":["student"]}""" },
        { "include any tag, exclude another", """{"tags":["student","civil-servant"]}""" + "|" + """{"tags":["elderly"]}""" },
        { "include provinces", """{"provinces":["HP"]}""" + "|" },
        { "exclude provinces", "|" + """{"provinces":["01"]}""" },
        { "include communes", """{"communes":["00004"]}""" + "|" },
        { "exclude communes", "|" + """{"communes":["00007"]}""" },
        { "include carriers", """{"carriers":["viettel","mobifone"]}""" + "|" },
        { "exclude carriers", "|" + """{"carriers":["viettel"]}""" },
        { "everything at once", """{"tags":["student"],"provinces":["01","HP"],"communes":["00004","00007"]}""" + "|" + """{"tags":["elderly"],"carriers":["vinaphone"]}""" },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task The_preview_of_a_segment_is_what_the_run_reaches(string name, string filters)
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        using var operatorClient = loa.Client("dev-operator");
        var first = (await LoaTestHost.UploadListAsync(author, Csv(0, 40))).GetProperty("id").GetString()!;
        // Numbers 30–49 are in both lists, with other tags in the second: the run reaches each once, by
        // the first list whose row of it is inside the segment.
        var second = (await LoaTestHost.UploadListAsync(author, Csv(30, 20, tagShift: 1))).GetProperty("id").GetString()!;
        foreach (var n in new[] { 1, 4, 22, 33 })
            (await operatorClient.PostAsync($"/api/v1/optouts/{LoaTestHost.Number(n)}", null)).EnsureSuccessStatusCode();

        var parts = filters.Split('|');
        var audience = new Dictionary<string, object> { ["lists"] = new[] { first, second } };
        if (parts[0].Length > 0)
            audience["include"] = JsonSerializer.Deserialize<JsonElement>(parts[0]);
        if (parts[1].Length > 0)
            audience["exclude"] = JsonSerializer.Deserialize<JsonElement>(parts[1]);
        var (preview, run) = await PreviewThenRunAsync(loa, new
        {
            name = "Phân nhóm: " + name,
            kind = "awareness",
            channels = new[] { "sms" },
            message = new { sms = "Cuc ATTT: khong cung cap ma OTP cho bat ky ai." },
            audience,
        });

        var total = run.GetProperty("total").GetInt64();
        Assert.True(total is > 0 and < 50, $"{name}: the segment should reach some but not all of the 50 numbers; {run}");
        Assert.Equal(total, preview.GetProperty("recipients").GetInt64());
        Assert.Equal(run.GetProperty("suppressed").GetInt64(), preview.GetProperty("suppressed").GetInt64());
        Assert.True(preview.GetProperty("exact").GetBoolean());
        Assert.Equal(NonZero(run.GetProperty("byCarrier"), v => v.GetProperty("total").GetInt64()), NonZero(preview.GetProperty("byCarrier"), v => v.GetInt64()));
    }

    [Fact]
    public async Task Lists_sharing_more_members_than_the_walk_limit_preview_an_upper_bound_until_walked_in_the_background()
    {
        // The second list (20 members, 10 of them also in the first) is the one walked: 20 is over a limit of 19.
        await using var loa = await StartAsync(s => s["Loa:Lists:SharedWalkLimit"] = "19");
        using var author = loa.Client("dev-author");
        var first = (await LoaTestHost.UploadListAsync(author, Csv(0, 40))).GetProperty("id").GetString()!;
        var second = (await LoaTestHost.UploadListAsync(author, Csv(30, 20))).GetProperty("id").GetString()!;
        var campaign = new
        {
            name = "Hai danh sách", kind = "warning", channels = new[] { "sms" }, message = new { sms = "Cuc ATTT canh bao." },
            audience = new { lists = new[] { first, second } },
        };

        var (preview, run) = await PreviewThenRunAsync(loa, campaign);

        Assert.False(preview.GetProperty("exact").GetBoolean());
        Assert.Equal(60, preview.GetProperty("recipients").GetInt64()); // every row counted: the bound, repeats not taken off
        Assert.Equal(50, run.GetProperty("total").GetInt64());           // the run writes one delivery per number

        // The preview asked for the two lists to be walked once in the background: from then on it is exact.
        var again = await author.PostAsJsonAsync("/api/v1/campaigns/preview", campaign);
        var figures = (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("preview");
        for (var turn = 0; turn < 100 && !figures.GetProperty("exact").GetBoolean(); turn++)
        {
            await Task.Delay(100);
            figures = (await (await author.PostAsJsonAsync("/api/v1/campaigns/preview", campaign)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("preview");
        }
        Assert.True(figures.GetProperty("exact").GetBoolean(), figures.ToString());
        Assert.Equal(50, figures.GetProperty("recipients").GetInt64());
    }

    [Fact]
    public async Task A_bad_tag_or_commune_is_a_row_error_with_its_line_and_the_rest_is_kept()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        var csv = "msisdn,province,commune,tags\n"
            + $"{LoaTestHost.Number(0)},01,00004,Student; elderly\n"
            + $"{LoaTestHost.Number(1)},01,4,student\n"
            + $"{LoaTestHost.Number(2)},01,,sinh_viên\n"
            + $"{LoaTestHost.Number(3)},01,,a;b;c;d;e;f;g;h;i\n"
            + $"{LoaTestHost.Number(4)},01,00007,\n";

        var list = await LoaTestHost.UploadListAsync(author, csv);

        Assert.Equal(2, list.GetProperty("accepted").GetInt32());
        Assert.Equal(3, list.GetProperty("rejected").GetInt32());
        var errors = list.GetProperty("errors").EnumerateArray().Select(e => (Line: e.GetProperty("line").GetInt64(), Reason: e.GetProperty("reason").GetString()!)).ToList();
        Assert.Equal([3L, 4L, 5L], errors.Select(e => e.Line));
        Assert.Contains("commune", errors[0].Reason);
        Assert.Contains("sinh_viên", errors[1].Reason);
        Assert.Contains("at most 8 tags", errors[2].Reason);
    }

    [Fact]
    public async Task Filters_are_checked_value_by_value_and_a_province_may_include_only_itself()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        using var hnAuthor = loa.Client("dev-hn-author");
        var list = (await LoaTestHost.UploadListAsync(author, Csv(0, 4))).GetProperty("id").GetString()!;
        var hnList = (await LoaTestHost.UploadListAsync(hnAuthor, LoaTestHost.NumbersCsv(4))).GetProperty("id").GetString()!;

        var bad = await author.PostAsJsonAsync("/api/v1/campaigns", Campaign(list,
            include: new { tags = new[] { "Student", "sinh viên" }, communes = new[] { "123" } },
            exclude: new { provinces = new[] { "XX" }, carriers = new[] { "nobody" } }));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        foreach (var field in new[] { "audience.include.tags[1]", "audience.include.communes[0]", "audience.exclude.provinces[0]", "audience.exclude.carriers[0]" })
            Assert.True(errors.TryGetProperty(field, out _), $"{field} missing in {errors}");
        Assert.False(errors.TryGetProperty("audience.include.tags[0]", out _), "'Student' is a tag in another case");

        var elsewhere = await hnAuthor.PostAsJsonAsync("/api/v1/campaigns", Campaign(hnList, include: new { provinces = new[] { "HP" } }));
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);

        // Stored canonical: provinces by today's code, tags in lower case, repeats dropped.
        var ok = await author.PostAsJsonAsync("/api/v1/campaigns", Campaign(list,
            include: new { tags = new[] { "Student", "student" }, provinces = new[] { "HN", "01" } }));
        var created = await ok.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(ok.IsSuccessStatusCode, created.ToString());
        var include = created.GetProperty("audience").GetProperty("include");
        Assert.Equal(["student"], include.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["01"], include.GetProperty("provinces").EnumerateArray().Select(t => t.GetString()));
    }

    private static object Campaign(string list, object? include = null, object? exclude = null) => new
    {
        name = "Phân nhóm",
        kind = "warning",
        channels = new[] { "sms" },
        message = new { sms = "Cuc ATTT canh bao." },
        audience = new { lists = new[] { list }, include, exclude },
    };

    private static async Task<(JsonElement Preview, JsonElement Run)> PreviewThenRunAsync(LoaTestHost loa, object campaign)
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var response = await author.PostAsJsonAsync("/api/v1/campaigns", campaign);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, created.ToString());
        var id = created.GetProperty("id").GetString()!;
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        var run = await LoaTestHost.WaitForEndAsync(operatorClient, id, TimeSpan.FromSeconds(60));
        return (created.GetProperty("preview"), run);
    }

    private static SortedDictionary<string, long> NonZero(JsonElement map, Func<JsonElement, long> value) =>
        new(map.EnumerateObject().Select(p => (p.Name, Value: value(p.Value))).Where(p => p.Value != 0).ToDictionary(p => p.Name, p => p.Value), StringComparer.Ordinal);
}
