using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Lifecycle;

/// <summary>
/// Once a correction is approved, the campaign it corrects is superseded: stopped, never approved,
/// resumed or launched again, and shown as superseded. A cancel may follow the whole chain of corrections.
/// </summary>
public sealed class SupersedeSpecs : IAsyncLifetime
{
    private LoaTestHost loa = null!;

    public async Task InitializeAsync() => loa = await LoaTestHost.StartAsync();

    public async Task DisposeAsync() => await loa.DisposeAsync();

    private static object Scheduled(string listId, DateTimeOffset startAt) => new
    {
        name = "Cảnh báo lừa đảo",
        kind = "warning",
        channels = new[] { "sms" },
        message = new { sms = "Canh bao: so 0900000000 la lua dao." },
        audience = new { lists = new[] { listId } },
        schedule = new { startAt },
    };

    private static async Task<JsonElement> CorrectAsync(HttpClient author, string original)
    {
        var response = await author.PostAsJsonAsync($"/api/v1/campaigns/{original}/correction",
            new { message = new { sms = "Dinh chinh: so dung la 0900000001." } });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"correction: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>A 409 that names the campaign superseding this one, in its text and as <c>supersededBy</c>.</summary>
    private static async Task AssertRefusedAsSupersededAsync(HttpResponseMessage response, string by)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"expected 409, got {(int)response.StatusCode}: {problem}");
        Assert.Contains($"superseded by {by}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(by, problem.GetProperty("supersededBy").GetString());
    }

    [Fact]
    public async Task An_approved_correction_supersedes_a_scheduled_original_which_never_launches_and_cannot_be_approved_or_resumed()
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var listId = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(20))).GetProperty("id").GetString()!;
        // Starts in a few seconds: if being superseded did not stop it, the scheduler would launch it during this spec.
        var original = await LoaTestHost.CreateCampaignAsync(author, Scheduled(listId, DateTimeOffset.UtcNow.AddSeconds(3)));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, original);
        var correction = (await CorrectAsync(author, original)).GetProperty("id").GetString()!;

        // A correction in waiting stops nothing: only its approval does.
        Assert.Equal("scheduled", (await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{original}")).GetProperty("status").GetString());
        await LoaTestHost.SubmitAndApproveAsync(author, approver, correction);

        var view = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{original}");
        Assert.Equal("cancelled", view.GetProperty("status").GetString());
        Assert.Equal(correction, view.GetProperty("supersededBy").GetString());
        Assert.Equal(correction, view.GetProperty("correctedBy").GetString());
        await AssertRefusedAsSupersededAsync(await approver.PostAsync($"/api/v1/campaigns/{original}/approve", null), correction);
        await AssertRefusedAsSupersededAsync(await operatorClient.PostAsync($"/api/v1/campaigns/{original}/resume", null), correction);

        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, correction, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(20, done.GetProperty("delivered").GetInt64());
        // Past the original's start time: the scheduler found nothing of it to launch.
        await Task.Delay(TimeSpan.FromSeconds(4));
        var originalProgress = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{original}/progress");
        Assert.Equal("cancelled", originalProgress.GetProperty("status").GetString());
        Assert.Equal(0, originalProgress.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_corrections_preview_says_how_many_already_had_the_original_and_how_many_get_only_the_correction()
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var listId = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(20))).GetProperty("id").GetString()!;

        // Sent to everyone: all 20 had the original, and all 20 get the correction too.
        var sent = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(listId));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, sent);
        await LoaTestHost.WaitForStatusAsync(operatorClient, sent, "completed", TimeSpan.FromSeconds(60));
        var afterSending = await CorrectAsync(author, sent);
        Assert.Equal(20, afterSending.GetProperty("preview").GetProperty("recipients").GetInt64());
        var counts = afterSending.GetProperty("preview").GetProperty("correction");
        Assert.Equal((20, 0), (counts.GetProperty("alreadySentOriginal").GetInt64(), counts.GetProperty("notYetSentOriginal").GetInt64()));

        // Not started yet: nobody had the original, so all 20 get only the correction.
        var waiting = await LoaTestHost.CreateCampaignAsync(author, Scheduled(listId, DateTimeOffset.UtcNow.AddDays(1)));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, waiting);
        var beforeSending = (await CorrectAsync(author, waiting)).GetProperty("id").GetString()!;
        var view = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{beforeSending}");
        counts = view.GetProperty("preview").GetProperty("correction");
        Assert.Equal((0, 20), (counts.GetProperty("alreadySentOriginal").GetInt64(), counts.GetProperty("notYetSentOriginal").GetInt64()));
    }

    [Fact]
    public async Task Cancel_with_chain_also_cancels_the_corrections_in_waiting_and_the_audit_lists_each()
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        using var admin = loa.Client("dev-admin");
        var listId = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(5))).GetProperty("id").GetString()!;

        var alone = await LoaTestHost.CreateCampaignAsync(author, Scheduled(listId, DateTimeOffset.UtcNow.AddDays(1)));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, alone);
        var aloneCorrection = (await CorrectAsync(author, alone)).GetProperty("id").GetString()!;
        // Without chain, a cancel stops the one campaign it names.
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PostAsync($"/api/v1/campaigns/{alone}/cancel", null)).StatusCode);
        Assert.Equal("draft", (await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{aloneCorrection}")).GetProperty("status").GetString());

        var original = await LoaTestHost.CreateCampaignAsync(author, Scheduled(listId, DateTimeOffset.UtcNow.AddDays(1)));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, original);
        // One correction in waiting, submitted for approval (a campaign has one correction at a time; a
        // deeper chain is built by approving, as CapChainSpecs does).
        var first = (await CorrectAsync(author, original)).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await author.PostAsync($"/api/v1/campaigns/{first}/submit", null)).StatusCode);

        var response = await operatorClient.PostAsync($"/api/v1/campaigns/{original}/cancel?chain=true", null);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {answer}");
        Assert.Equal(
            new[] { original, first }.Order(StringComparer.Ordinal),
            answer.GetProperty("campaigns").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        foreach (var id in new[] { original, first })
            Assert.Equal("cancelled", (await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}")).GetProperty("status").GetString());

        var audit = await AuditRowsAsync(admin);
        var row = Assert.Single(audit, r =>
            r.GetProperty("action").GetString() == "POST /api/v1/campaigns/{id}/cancel" && r.GetProperty("target").GetString() == original);
        Assert.Equal(
            new[] { original, first }.Order(StringComparer.Ordinal),
            row.GetProperty("details").GetProperty("cancelled").EnumerateArray().Select(c => c.GetString()!).Order(StringComparer.Ordinal));

        // Nothing of the chain is left to stop.
        Assert.Equal(HttpStatusCode.Conflict, (await operatorClient.PostAsync($"/api/v1/campaigns/{first}/cancel?chain=true", null)).StatusCode);
    }

    private static async Task<List<JsonElement>> AuditRowsAsync(HttpClient admin)
    {
        var rows = new List<JsonElement>();
        string? after = null;
        for (var page = 0; page < 1000; page++)
        {
            var answer = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?limit=500&after={after}");
            rows.AddRange(answer.GetProperty("items").EnumerateArray().Select(r => r.Clone()));
            after = answer.GetProperty("next").GetString();
            if (after is null)
                return rows;
        }
        throw new InvalidOperationException("The audit trail did not end within 1000 pages.");
    }

    [Fact]
    public async Task A_second_correction_of_a_campaign_is_refused_while_the_first_is_alive_so_two_never_go_out_side_by_side()
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var listId = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(20))).GetProperty("id").GetString()!;
        var original = await LoaTestHost.CreateCampaignAsync(author, Scheduled(listId, DateTimeOffset.UtcNow.AddHours(1)));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, original);
        var first = (await CorrectAsync(author, original)).GetProperty("id").GetString()!;

        var second = await author.PostAsJsonAsync($"/api/v1/campaigns/{original}/correction",
            new { message = new { sms = "Dinh chinh lan hai." } });

        var problem = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(second.StatusCode == HttpStatusCode.Conflict, $"expected 409, got {(int)second.StatusCode}: {problem}");
        Assert.Contains(first, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // The first correction cancelled, a new one may take its place.
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PostAsync($"/api/v1/campaigns/{first}/cancel", null)).StatusCode);
        var replacement = (await CorrectAsync(author, original)).GetProperty("id").GetString()!;
        Assert.NotEqual(first, replacement);
    }
}
