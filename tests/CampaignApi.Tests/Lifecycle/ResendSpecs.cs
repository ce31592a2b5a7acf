using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Lifecycle;

/// <summary>
/// Re-send to those not reached: a draft to exactly the recipients of a finished campaign that ended
/// in the outcomes named, previewed exactly, approved by a second person, linked both ways, refused
/// across tenants (re-sends across channels: EndToEnd Push/PushResendSpecs).
/// </summary>
public sealed class ResendSpecs
{
    private static Task<LoaTestHost> StartAsync() => LoaTestHost.StartAsync(s =>
    {
        // The simulated carriers fail a share of the numbers, permanently (a seeded draw: the spec repeats).
        foreach (var carrier in new[] { "viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile" })
        {
            s[$"Loa:Simulators:Carriers:{carrier}:DeliveredWeight"] = "0.6";
            s[$"Loa:Simulators:Carriers:{carrier}:FailedWeight"] = "0.4";
            s[$"Loa:Simulators:Carriers:{carrier}:Seed"] = "7";
        }
    });

    private static async Task<IReadOnlyList<JsonElement>> DeliveriesAsync(HttpClient client, string id)
    {
        var items = new List<JsonElement>();
        string? after = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var page = await client.GetFromJsonAsync<JsonElement>(
                $"/api/v1/campaigns/{id}/deliveries?limit=1000" + (after is null ? "" : $"&after={after}"));
            items.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.Clone()));
            after = page.TryGetProperty("next", out var next) ? next.GetString() : null;
            if (after is null)
                break;
        }
        return items;
    }

    [Fact]
    public async Task A_resend_of_the_failed_reaches_exactly_them_after_a_second_person_approves()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(120, "01"))).GetProperty("id").GetString()!;
        var original = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, original);
        var run = await LoaTestHost.WaitForEndAsync(operatorClient, original, TimeSpan.FromSeconds(60));
        var failed = (await DeliveriesAsync(operatorClient, original))
            .Where(d => d.GetProperty("status").GetString() == "failed").Select(d => d.GetProperty("recipient").GetString()!).ToHashSet();
        Assert.Equal(run.GetProperty("failed").GetInt64(), failed.Count);
        Assert.InRange(failed.Count, 1, 119);

        var response = await author.PostAsJsonAsync($"/api/v1/campaigns/{original}/resend", new { statuses = new[] { "failed" }, channel = "sms" });
        var resend = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = resend.GetProperty("id").GetString()!;
        Assert.Equal("draft", resend.GetProperty("status").GetString());
        Assert.Equal(original, resend.GetProperty("resendOf").GetString());
        Assert.Equal(failed.Count, resend.GetProperty("preview").GetProperty("recipients").GetInt64());
        var originalNow = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{original}");
        Assert.Equal([id], originalNow.GetProperty("resends").EnumerateArray().Select(r => r.GetString()));

        // The same two-person rule: its author cannot approve it.
        (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();
        using (var self = loa.Client("dev-author"))
            Assert.Equal(HttpStatusCode.Forbidden, (await self.PostAsync($"/api/v1/campaigns/{id}/approve", null)).StatusCode);
        (await approver.PostAsync($"/api/v1/campaigns/{id}/approve", null)).EnsureSuccessStatusCode();
        var resent = await LoaTestHost.WaitForEndAsync(operatorClient, id, TimeSpan.FromSeconds(60));

        Assert.Equal(failed.Count, resent.GetProperty("total").GetInt64());
        var reached = (await DeliveriesAsync(operatorClient, id)).Select(d => d.GetProperty("recipient").GetString()!).ToHashSet();
        Assert.Equal(failed.OrderBy(n => n, StringComparer.Ordinal), reached.OrderBy(n => n, StringComparer.Ordinal));
        var audit = await loa.Client("dev-admin").GetStringAsync("/api/v1/audit?limit=100");
        Assert.Contains("resend", audit);
    }

    [Fact]
    public async Task A_resend_is_refused_without_the_text_its_channel_needs_before_the_end_across_tenants_and_for_unknown_outcomes()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        using var hnAuthor = loa.Client("dev-hn-author");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(10, "01"))).GetProperty("id").GetString()!;
        var draft = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));

        // Through push, an SMS campaign's re-send needs a notification of its own, and an SMS text is not one.
        var push = await author.PostAsJsonAsync($"/api/v1/campaigns/{draft}/resend", new { statuses = new[] { "failed" }, channel = "push", sms = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, push.StatusCode);
        var pushErrors = (await push.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["push", "sms"], pushErrors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));

        // A push campaign is re-sent by SMS to its devices' linked numbers: a campaign that had no SMS text needs one.
        var pushCampaign = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Thông báo", kind = "warning", channels = new[] { "push" },
            message = new { push = new { title = "Cảnh báo", body = "Không cung cấp mã OTP cho bất kỳ ai." } },
            audience = new { devices = true },
        });
        var noText = await author.PostAsJsonAsync($"/api/v1/campaigns/{pushCampaign}/resend", new { statuses = new[] { "failed" }, channel = "sms" });
        Assert.Equal(HttpStatusCode.BadRequest, noText.StatusCode);
        Assert.Contains("\"sms\"", await noText.Content.ReadAsStringAsync());
        var withText = await author.PostAsJsonAsync($"/api/v1/campaigns/{pushCampaign}/resend", new { statuses = new[] { "failed" }, sms = "Cuc ATTT: khong cung cap ma OTP." });
        Assert.Equal(HttpStatusCode.Conflict, withText.StatusCode); // a draft: its outcomes are not final

        var unknown = await author.PostAsJsonAsync($"/api/v1/campaigns/{draft}/resend", new { statuses = new[] { "failed", "delivered" } });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("statuses[1]", await unknown.Content.ReadAsStringAsync());

        var early = await author.PostAsJsonAsync($"/api/v1/campaigns/{draft}/resend", new { statuses = new[] { "failed" } });
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);

        // A province cannot even see a national campaign, let alone re-send it.
        var other = await hnAuthor.PostAsJsonAsync($"/api/v1/campaigns/{draft}/resend", new { statuses = new[] { "failed" } });
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);

        // Only POST /resend aims a campaign at another's recipients.
        var sneaky = await hnAuthor.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "x", kind = "warning", channels = new[] { "sms" }, message = new { sms = "x" },
            audience = new { lists = Array.Empty<string>(), resend = new { campaign = draft, statuses = new[] { "failed" } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, sneaky.StatusCode);
    }
}
