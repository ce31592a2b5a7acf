using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Lifecycle;

/// <summary>A wrong alert that went out gets a prepared correction, which is approved like any campaign.</summary>
public sealed class CorrectionSpecs : IAsyncLifetime
{
    private LoaTestHost loa = null!;

    public async Task InitializeAsync() => loa = await LoaTestHost.StartAsync();

    public async Task DisposeAsync() => await loa.DisposeAsync();

    [Fact]
    public async Task A_correction_is_a_linked_draft_to_the_same_audience_that_needs_its_own_approval()
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(20));
        var listId = list.GetProperty("id").GetString()!;
        var original = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Cảnh báo lừa đảo",
            kind = "warning",
            channels = new[] { "sms" },
            message = new { sms = "Canh bao: so 0900000000 la lua dao." },
            audience = new { lists = new[] { listId } },
            schedule = new { expiresAt = DateTimeOffset.UtcNow.AddHours(6) },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, original);

        var response = await author.PostAsJsonAsync($"/api/v1/campaigns/{original}/correction",
            new { message = new { sms = "Dinh chinh: so dung la 0900000001. Xin loi vi nham lan." } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var correction = await response.Content.ReadFromJsonAsync<JsonElement>();
        var correctionId = correction.GetProperty("id").GetString()!;
        Assert.Equal("draft", correction.GetProperty("status").GetString());
        Assert.Equal(original, correction.GetProperty("corrects").GetString());
        Assert.Equal("warning", correction.GetProperty("kind").GetString());
        Assert.Equal("Đính chính: Cảnh báo lừa đảo", correction.GetProperty("name").GetString());
        Assert.Equal(listId, correction.GetProperty("audience").GetProperty("lists")[0].GetString());
        Assert.StartsWith("Dinh chinh", correction.GetProperty("sms").GetProperty("text").GetString());
        Assert.Equal(20, correction.GetProperty("preview").GetProperty("recipients").GetInt64());
        // Out as soon as approved, but not past the original's expiry.
        Assert.Equal(JsonValueKind.Null, correction.GetProperty("schedule").GetProperty("startAt").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, correction.GetProperty("schedule").GetProperty("expiresAt").ValueKind);

        var originalNow = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{original}");
        Assert.Equal(correctionId, originalNow.GetProperty("correctedBy").GetString());

        // The same two-person rule as any campaign.
        Assert.Equal(HttpStatusCode.OK, (await author.PostAsync($"/api/v1/campaigns/{correctionId}/submit", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await author.PostAsync($"/api/v1/campaigns/{correctionId}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsync($"/api/v1/campaigns/{correctionId}/approve", null)).StatusCode);
        using var operatorClient = loa.Client("dev-operator");
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, correctionId, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(20, done.GetProperty("delivered").GetInt64());
    }

    [Fact]
    public async Task A_draft_is_edited_not_corrected_and_a_bad_message_gets_field_errors()
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3));
        var draft = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        var conflict = await author.PostAsJsonAsync($"/api/v1/campaigns/{draft}/correction", new { message = new { sms = "x" } });
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);

        await LoaTestHost.SubmitAndApproveAsync(author, approver, draft);
        var empty = await author.PostAsJsonAsync($"/api/v1/campaigns/{draft}/correction", new { message = new { sms = "" } });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        var problem = await empty.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("message.sms", out _));

        Assert.Equal(HttpStatusCode.Forbidden, (await approver.PostAsJsonAsync($"/api/v1/campaigns/{draft}/correction", new { message = new { sms = "y" } })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await author.PostAsJsonAsync("/api/v1/campaigns/nope/correction", new { message = new { sms = "y" } })).StatusCode);
    }
}
