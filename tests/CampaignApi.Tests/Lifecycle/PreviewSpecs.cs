using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.Storage.Routing;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Lifecycle;

/// <summary>
/// The preview an approver reads is what the run then does: when nothing changes in between, its
/// recipients, suppressed, suppressedByReason and byCarrier equal the finished run's progress, for
/// every suppression reason and every audience filter.
/// </summary>
public sealed class PreviewSpecs
{
    // Noon in Hanoi: awareness campaigns are inside their sending window whenever the suite runs.
    private static Task<LoaTestHost> StartAsync(Action<Dictionary<string, string?>>? adjust = null) =>
        LoaTestHost.StartAsync(adjust, clock: ShiftedClock.AtVietnamTime(new TimeOnly(12, 0)));

    /// <summary>CSV rows (no header) of numbers <paramref name="from"/>.. of the host's spread over the five carriers.</summary>
    private static string Rows(int from, int count, string province)
    {
        var rows = new StringBuilder();
        for (var n = from; n < from + count; n++)
            rows.Append(LoaTestHost.Number(n)).Append(',').Append(province).Append('\n');
        return rows.ToString();
    }

    private static async Task<string> ListAsync(HttpClient author, params string[] rows) =>
        (await LoaTestHost.UploadListAsync(author, "msisdn,province\n" + string.Concat(rows))).GetProperty("id").GetString()!;

    private static async Task OptOutAsync(LoaTestHost loa, params int[] numbers)
    {
        using var operatorClient = loa.Client("dev-operator");
        foreach (var n in numbers)
            (await operatorClient.PostAsync($"/api/v1/optouts/{LoaTestHost.Number(n)}", null)).EnsureSuccessStatusCode();
    }

    private static object Campaign(string kind, string[] lists, string[]? provinces = null, string[]? carriers = null) => new
    {
        name = "Xem trước",
        kind,
        channels = new[] { "sms" },
        message = new { sms = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai." },
        audience = new { lists, provinces, carriers },
    };

    /// <summary>Creates the campaign, runs it to its end, and returns what the preview said and what the run did.</summary>
    private static async Task<(JsonElement Preview, JsonElement Run)> PreviewThenRunAsync(
        LoaTestHost loa, object campaign, string authorKey = "dev-author", string approverKey = "dev-approver")
    {
        using var author = loa.Client(authorKey);
        using var approver = loa.Client(approverKey);
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

    private static void AssertPreviewIsTheRun(JsonElement preview, JsonElement run)
    {
        var said = (
            Recipients: preview.GetProperty("recipients").GetInt64(),
            Suppressed: preview.GetProperty("suppressed").GetInt64(),
            ByReason: NonZero(preview.GetProperty("suppressedByReason"), v => v.GetInt64()),
            ByCarrier: NonZero(preview.GetProperty("byCarrier"), v => v.GetInt64()));
        var did = (
            Recipients: run.GetProperty("total").GetInt64(),
            Suppressed: run.GetProperty("suppressed").GetInt64(),
            ByReason: NonZero(run.GetProperty("suppressedByReason"), v => v.GetInt64()),
            ByCarrier: NonZero(run.GetProperty("byCarrier"), v => v.GetProperty("total").GetInt64()));
        Assert.Equal(did.Recipients, said.Recipients);
        Assert.Equal(did.Suppressed, said.Suppressed);
        Assert.Equal(did.ByReason, said.ByReason);
        Assert.Equal(did.ByCarrier, said.ByCarrier);
    }

    [Fact]
    public async Task A_test_alert_s_preview_counts_the_allow_list_only_inside_its_area()
    {
        // The incident: an allow-listed number outside the alert's area was counted as reached.
        await using var loa = await StartAsync(s =>
        {
            s["Loa:Safety:TestNumbers:0"] = LoaTestHost.Number(1);
            s["Loa:Safety:TestNumbers:1"] = LoaTestHost.Number(5);
        });
        using var author = loa.Client("dev-author");
        var list = await ListAsync(author, Rows(0, 4, "HN"), Rows(4, 4, "HP"));

        var (preview, run) = await PreviewThenRunAsync(loa, Campaign("test", [list], provinces: ["HN"]));

        Assert.Equal(1, run.GetProperty("delivered").GetInt64());
        Assert.Equal(3, run.GetProperty("suppressedByReason").GetProperty("not-test-number").GetInt64());
        AssertPreviewIsTheRun(preview, run);
    }

    [Fact]
    public async Task Opt_outs_outside_the_campaign_s_provinces_are_not_counted_as_suppressed()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        var list = await ListAsync(author, Rows(0, 10, "HN"), Rows(10, 10, "HP"));
        await OptOutAsync(loa, 2, 3, 12, 13, 14);

        var (preview, run) = await PreviewThenRunAsync(loa, Campaign("awareness", [list], provinces: ["HP"]));

        Assert.Equal(10, run.GetProperty("total").GetInt64());
        Assert.Equal(3, run.GetProperty("suppressedByReason").GetProperty("opted-out").GetInt64());
        AssertPreviewIsTheRun(preview, run);
    }

    [Fact]
    public async Task The_frequency_cap_is_previewed_from_the_day_s_earlier_campaigns_within_the_carriers_named()
    {
        await using var loa = await StartAsync(s => s["Loa:Safety:AwarenessPerDay"] = "1");
        using var author = loa.Client("dev-author");
        var earlier = await ListAsync(author, Rows(0, 13, "HN"));
        var list = await ListAsync(author, Rows(0, 26, "HN"));
        await PreviewThenRunAsync(loa, Campaign("awareness", [earlier]));
        await OptOutAsync(loa, 14, 15);

        // Numbers 0–12 had their one awareness message today; the carriers filter leaves out a part of them.
        var (preview, run) = await PreviewThenRunAsync(loa, Campaign("awareness", [list], carriers: ["viettel", "vinaphone"]));

        Assert.True(run.GetProperty("suppressedByReason").GetProperty("frequency-cap").GetInt64() > 0, run.ToString());
        Assert.True(run.GetProperty("total").GetInt64() < 26, run.ToString());
        AssertPreviewIsTheRun(preview, run);
    }

    [Fact]
    public async Task Overlapping_lists_are_previewed_as_the_distinct_numbers_the_run_reaches()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        var first = await ListAsync(author, Rows(0, 20, "HN"));
        var second = await ListAsync(author, Rows(10, 20, "HN"));
        var third = await ListAsync(author, Rows(25, 10, "HN"));
        await OptOutAsync(loa, 12, 27, 40);

        var (preview, run) = await PreviewThenRunAsync(loa, Campaign("awareness", [first, second, third, second]));

        Assert.Equal(35, run.GetProperty("total").GetInt64());
        Assert.Equal(2, run.GetProperty("suppressedByReason").GetProperty("opted-out").GetInt64());
        AssertPreviewIsTheRun(preview, run);
    }

    [Fact]
    public async Task A_number_in_two_lists_under_two_provinces_is_counted_in_the_province_the_run_reaches_it_in()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        var first = await ListAsync(author, Rows(0, 10, "HN"));
        var second = await ListAsync(author, Rows(5, 10, "HP"));

        var (preview, run) = await PreviewThenRunAsync(loa, Campaign("warning", [first, second], provinces: ["HP"]));

        Assert.Equal(10, run.GetProperty("total").GetInt64());
        AssertPreviewIsTheRun(preview, run);
    }

    [Fact]
    public async Task A_province_s_preview_of_its_overlapping_lists_is_what_its_run_reaches()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-hn-author");
        var first = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(15))).GetProperty("id").GetString()!;
        var second = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(15, offset: 8))).GetProperty("id").GetString()!;
        await OptOutAsync(loa, 9, 10, 20);

        var (preview, run) = await PreviewThenRunAsync(loa, Campaign("awareness", [first, second]), "dev-hn-author", "dev-hn-approver");

        Assert.Equal(23, run.GetProperty("total").GetInt64());
        Assert.Equal(3, run.GetProperty("suppressedByReason").GetProperty("opted-out").GetInt64());
        AssertPreviewIsTheRun(preview, run);
    }

    [Fact]
    public async Task A_ported_number_is_previewed_with_the_carrier_it_was_ported_to()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        var list = await ListAsync(author, Rows(0, 26, "HN"));
        // Number 0 is a Viettel prefix (086) now served by MobiFone; number 1 (096) by VinaPhone.
        await loa.Services.GetRequiredService<RoutingStore>().UpsertPortedAsync(
            [("+84" + LoaTestHost.Number(0)[1..], "mobifone"), ("+84" + LoaTestHost.Number(1)[1..], "vinaphone")]);

        var (preview, run) = await PreviewThenRunAsync(loa, Campaign("warning", [list], carriers: ["viettel", "mobifone"]));

        Assert.Equal(0, run.GetProperty("suppressed").GetInt64());
        AssertPreviewIsTheRun(preview, run);
    }
}
