using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Lifecycle;

/// <summary>Who an awareness or test campaign must leave out: opt-outs, the daily cap, numbers off the test allow-list.</summary>
public sealed class SuppressionSpecs
{
    // Noon in Hanoi: awareness campaigns are inside their sending window whenever the suite runs.
    private static Task<LoaTestHost> StartAsync(Action<Dictionary<string, string?>>? adjust = null) =>
        LoaTestHost.StartAsync(adjust, clock: ShiftedClock.AtVietnamTime(new TimeOnly(12, 0)));

    private static string Csv(int count, int offset = 0)
    {
        var csv = new StringBuilder("msisdn\n");
        for (var i = 0; i < count; i++)
            csv.Append("0912").Append((offset + i).ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        return csv.ToString();
    }

    [Fact]
    public async Task Opt_outs_are_added_read_and_removed_by_number_with_masked_answers()
    {
        await using var loa = await StartAsync();
        using var operatorClient = loa.Client("dev-operator");
        using var author = loa.Client("dev-author");

        var added = await operatorClient.PostAsync("/api/v1/optouts/0912000001", null);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var body = await added.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("+8491****001", body.GetProperty("msisdn").GetString());
        Assert.Equal("api", body.GetProperty("source").GetString());
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PostAsync("/api/v1/optouts/+84912000001", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync("/api/v1/optouts/84912000001")).StatusCode);

        var bad = await operatorClient.PostAsync("/api/v1/optouts/12345", null);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("msisdn", out _));
        Assert.Equal(HttpStatusCode.Forbidden, (await author.PostAsync("/api/v1/optouts/0912000002", null)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await operatorClient.DeleteAsync("/api/v1/optouts/0912000001")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.DeleteAsync("/api/v1/optouts/0912000001")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.GetAsync("/api/v1/optouts/0912000001")).StatusCode);
    }

    [Fact]
    public async Task Opted_out_numbers_get_no_awareness_message_but_still_get_warnings()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var list = (await LoaTestHost.UploadListAsync(author, Csv(20))).GetProperty("id").GetString()!;

        using var optouts = new StringContent("msisdn\n0912000003\n0912000007\nnot-a-number\n0912000011\n0912000003\n", Encoding.UTF8, "text/csv");
        var imported = await (await operatorClient.PostAsync("/api/v1/optouts", optouts)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, imported.GetProperty("accepted").GetInt32());
        Assert.Equal(1, imported.GetProperty("duplicates").GetInt32());
        Assert.Equal(1, imported.GetProperty("rejected").GetInt32());
        Assert.Equal(4, imported.GetProperty("errors")[0].GetProperty("line").GetInt64());

        var created = await (await author.PostAsJsonAsync("/api/v1/campaigns", LoaTestHost.Campaign(list, kind: "awareness"))).Content.ReadFromJsonAsync<JsonElement>();
        var preview = created.GetProperty("preview");
        Assert.Equal(3, preview.GetProperty("suppressed").GetInt64());
        Assert.Equal(3, preview.GetProperty("suppressedByReason").GetProperty("opted-out").GetInt64());
        var awareness = created.GetProperty("id").GetString()!;
        await LoaTestHost.SubmitAndApproveAsync(author, approver, awareness);
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, awareness, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(20, done.GetProperty("total").GetInt64());
        Assert.Equal(17, done.GetProperty("delivered").GetInt64());
        Assert.Equal(3, done.GetProperty("suppressed").GetInt64());
        Assert.Equal(3, done.GetProperty("suppressedByReason").GetProperty("opted-out").GetInt64());
        Assert.Equal(3, done.GetProperty("byCarrier").GetProperty("vinaphone").GetProperty("suppressed").GetInt64());
        var suppressed = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{awareness}/deliveries?status=suppressed");
        Assert.All(suppressed.GetProperty("items").EnumerateArray(), d => Assert.Equal("opted-out", d.GetProperty("error").GetString()));

        var warning = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list, kind: "warning"));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, warning);
        var warned = await LoaTestHost.WaitForStatusAsync(operatorClient, warning, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(20, warned.GetProperty("delivered").GetInt64());
        Assert.Equal(0, warned.GetProperty("suppressed").GetInt64());
    }

    [Fact]
    public async Task A_number_in_two_of_a_campaign_s_lists_gets_one_message()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var first = (await LoaTestHost.UploadListAsync(author, Csv(10))).GetProperty("id").GetString()!;
        var second = (await LoaTestHost.UploadListAsync(author, Csv(10, offset: 6))).GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Hai danh sách", kind = "warning", channels = new[] { "sms" }, message = new { sms = "Canh bao" },
            audience = new { lists = new[] { first, second } },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(16, done.GetProperty("total").GetInt64());
        Assert.Equal(16, done.GetProperty("delivered").GetInt64());
        Assert.Equal(16, loa.Simulators.Stats["vinaphone"].MessagesAccepted);
        Assert.Equal(0, loa.Simulators.Stats["vinaphone"].DuplicateMessageIds);
    }

    [Fact]
    public async Task No_number_gets_more_awareness_messages_a_day_than_the_cap()
    {
        await using var loa = await StartAsync(s => s["Loa:Safety:AwarenessPerDay"] = "2");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var first = (await LoaTestHost.UploadListAsync(author, Csv(10))).GetProperty("id").GetString()!;
        var overlapping = (await LoaTestHost.UploadListAsync(author, Csv(10, offset: 5))).GetProperty("id").GetString()!;

        long[] delivered = new long[3];
        string[] lists = [first, first, overlapping];
        for (var i = 0; i < 3; i++)
        {
            var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(lists[i], kind: "awareness"));
            await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
            var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(60));
            delivered[i] = done.GetProperty("delivered").GetInt64();
            if (i == 2)
                Assert.Equal(5, done.GetProperty("suppressedByReason").GetProperty("frequency-cap").GetInt64());
        }
        // Two campaigns reach the first ten; the third reaches only the five it had not reached twice.
        Assert.Equal([10L, 10L, 5L], delivered);
    }

    [Fact]
    public async Task A_test_campaign_reaches_only_the_allow_list_and_says_it_is_a_test()
    {
        await using var loa = await StartAsync(s =>
        {
            s["Loa:Safety:TestNumbers:0"] = "0912000002";
            s["Loa:Safety:TestNumbers:1"] = "+84 912 000 004";
        });
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var list = (await LoaTestHost.UploadListAsync(author, Csv(10))).GetProperty("id").GetString()!;

        var created = await (await author.PostAsJsonAsync("/api/v1/campaigns", LoaTestHost.Campaign(list, kind: "test", sms: "Thu nghiem he thong canh bao")))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("[TEST] Thu nghiem he thong canh bao", created.GetProperty("sms").GetProperty("text").GetString());
        Assert.Equal(8, created.GetProperty("preview").GetProperty("suppressedByReason").GetProperty("not-test-number").GetInt64());
        var id = created.GetProperty("id").GetString()!;
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(2, done.GetProperty("delivered").GetInt64());
        Assert.Equal(8, done.GetProperty("suppressedByReason").GetProperty("not-test-number").GetInt64());
        Assert.Equal(2, loa.Simulators.Stats["vinaphone"].MessagesAccepted);

        // A correction of a test is a test too, marker and all: a test can never become a real alert.
        var correction = await (await author.PostAsJsonAsync($"/api/v1/campaigns/{id}/correction", new { message = new { sms = "Thu nghiem lan 2" } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("test", correction.GetProperty("kind").GetString());
        Assert.Equal("[TEST] Thu nghiem lan 2", correction.GetProperty("sms").GetProperty("text").GetString());
    }
}
