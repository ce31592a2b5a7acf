using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Templates;

/// <summary>The template library and national campaigns the provinces join (issue 19), over the real API.</summary>
public sealed class TemplateSpecs
{
    private const string Sms = "Cục ATTT cảnh báo: không cung cấp mã OTP cho bất kỳ ai.";

    private static object Template(string title = "Cảnh báo OTP", string kind = "warning", string[]? tags = null) => new
    {
        title,
        kind,
        sms = Sms,
        push = new { title = "Cảnh báo", body = Sms },
        tags = tags ?? ["otp", "elderly"],
    };

    private static async Task<JsonElement> CreateTemplateAsync(HttpClient author, object template)
    {
        var response = await author.PostAsJsonAsync("/api/v1/templates", template);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        return body;
    }

    private static async Task<JsonElement> ReadAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task National_templates_are_read_by_every_province_and_a_provinces_own_only_by_itself()
    {
        await using var loa = await LoaTestHost.StartAsync();
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("th-author", "th-author", "38", ["author"]);
        using var author = loa.Client("dev-author");
        using var hnAuthor = loa.Client("dev-hn-author");
        using var thAuthor = loa.Client("th-author");

        var national = await CreateTemplateAsync(author, Template());
        var nationalId = national.GetProperty("id").GetString()!;
        Assert.True(national.GetProperty("national").GetBoolean());
        Assert.Equal(Sms, national.GetProperty("sms").GetString());
        Assert.Equal("Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai.", national.GetProperty("smsUnaccented").GetString());
        var own = (await CreateTemplateAsync(hnAuthor, Template("Hà Nội: ngập lụt", "awareness", ["flood"]))).GetProperty("id").GetString()!;

        // Every province reads the national one; only Hà Nội reads its own.
        Assert.Equal(HttpStatusCode.OK, (await thAuthor.GetAsync($"/api/v1/templates/{nationalId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hnAuthor.GetAsync($"/api/v1/templates/{own}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await thAuthor.GetAsync($"/api/v1/templates/{own}")).StatusCode);
        var thList = await thAuthor.GetFromJsonAsync<JsonElement>("/api/v1/templates");
        Assert.Equal([nationalId], thList.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        var hnList = await hnAuthor.GetFromJsonAsync<JsonElement>("/api/v1/templates");
        Assert.Equal(2, hnList.GetProperty("items").GetArrayLength());

        // A province cannot change or delete the national one, nor see (let alone change) another's.
        Assert.Equal(HttpStatusCode.Forbidden, (await hnAuthor.PutAsJsonAsync($"/api/v1/templates/{nationalId}", Template("x"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hnAuthor.DeleteAsync($"/api/v1/templates/{nationalId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await thAuthor.PutAsJsonAsync($"/api/v1/templates/{own}", Template("x"))).StatusCode);

        // Its author changes and deletes it; then nobody reads it.
        var changed = await hnAuthor.PutAsJsonAsync($"/api/v1/templates/{own}", Template("Hà Nội: bão", "warning", ["storm"]));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var view = await hnAuthor.GetFromJsonAsync<JsonElement>($"/api/v1/templates/{own}");
        Assert.Equal("Hà Nội: bão", view.GetProperty("title").GetString());
        Assert.Equal(["storm"], view.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(HttpStatusCode.NoContent, (await hnAuthor.DeleteAsync($"/api/v1/templates/{own}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hnAuthor.GetAsync($"/api/v1/templates/{own}")).StatusCode);

        // Only authors write; an operator reads.
        using var operatorClient = loa.Client("dev-operator");
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.PostAsJsonAsync("/api/v1/templates", Template())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync($"/api/v1/templates/{nationalId}")).StatusCode);

        // Every write is on the audit trail.
        using var admin = loa.Client("dev-admin");
        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=500");
        var actions = audit.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("action").GetString()).ToList();
        Assert.Contains("POST /api/v1/templates", actions);
        Assert.Contains(actions, a => a!.StartsWith("PUT /api/v1/templates/", StringComparison.Ordinal));
        Assert.Contains(actions, a => a!.StartsWith("DELETE /api/v1/templates/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_template_is_refused_with_the_fields_at_fault()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        var response = await author.PostAsJsonAsync("/api/v1/templates", new
        {
            title = "",
            kind = "gossip",
            sms = "Cảnh báo",
            smsUnaccented = "Cảnh báo",
            push = new { title = "t", body = "" },
            tags = new[] { "Student!" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        foreach (var field in new[] { "title", "kind", "smsUnaccented", "push.body", "tags[0]" })
            Assert.True(errors.TryGetProperty(field, out _), $"{field} missing from {errors}");

        var empty = await author.PostAsJsonAsync("/api/v1/templates", new { title = "t", kind = "warning" });
        Assert.True((await empty.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("sms", out _));
    }

    [Fact]
    public async Task A_province_lists_the_national_campaigns_open_to_joining_and_never_another_provinces()
    {
        await using var loa = await LoaTestHost.StartAsync();
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("th-author", "th-author", "38", ["author"]);
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        using var hnAuthor = loa.Client("dev-hn-author");
        using var thAuthor = loa.Client("th-author");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(5))).GetProperty("id").GetString()!;
        object Later(string name) => new
        {
            name, kind = "awareness", channels = new[] { "sms" }, message = new { sms = Sms },
            audience = new { lists = new[] { list } }, schedule = new { startAt = DateTimeOffset.UtcNow.AddDays(2) },
        };

        // National: a draft (may still change), one awaiting approval, one approved for later, one cancelled.
        var draft = await LoaTestHost.CreateCampaignAsync(author, Later("draft"));
        var pending = await LoaTestHost.CreateCampaignAsync(author, Later("pending"));
        (await author.PostAsync($"/api/v1/campaigns/{pending}/submit", null)).EnsureSuccessStatusCode();
        var scheduled = await LoaTestHost.CreateCampaignAsync(author, Later("scheduled"));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, scheduled);
        var cancelled = await LoaTestHost.CreateCampaignAsync(author, Later("cancelled"));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, cancelled);
        (await operatorClient.PostAsync($"/api/v1/campaigns/{cancelled}/cancel", null)).EnsureSuccessStatusCode();
        // Another province's campaign awaiting approval.
        var thList = (await LoaTestHost.UploadListAsync(thAuthor, LoaTestHost.NumbersCsv(3, offset: 700))).GetProperty("id").GetString()!;
        var thPending = await LoaTestHost.CreateCampaignAsync(thAuthor, LoaTestHost.Campaign(thList));
        (await thAuthor.PostAsync($"/api/v1/campaigns/{thPending}/submit", null)).EnsureSuccessStatusCode();

        var page = await ReadAsync(hnAuthor, "/api/v1/campaigns/joinable");
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([pending, scheduled], items.Select(i => i.GetProperty("id").GetString()));
        var first = items[0];
        Assert.Equal("pending", first.GetProperty("name").GetString());
        Assert.Equal("pending_approval", first.GetProperty("status").GetString());
        Assert.Equal(Sms, first.GetProperty("message").GetProperty("sms").GetString());
        Assert.Equal(["sms"], first.GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
        Assert.False(first.TryGetProperty("audience", out _), "a national campaign's lists are not the province's to see");
        Assert.DoesNotContain(draft, items.Select(i => i.GetProperty("id").GetString()));

        // Paged by id; a province sees the same national ones, never Hà Nội's or its own as joinable.
        var one = await ReadAsync(thAuthor, "/api/v1/campaigns/joinable?limit=1");
        Assert.Equal(pending, Assert.Single(one.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
        var next = one.GetProperty("next").GetString();
        var rest = await ReadAsync(thAuthor, $"/api/v1/campaigns/joinable?limit=1&after={next}");
        Assert.Equal(scheduled, Assert.Single(rest.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
        Assert.DoesNotContain(thPending, (await ReadAsync(hnAuthor, "/api/v1/campaigns/joinable?limit=500")).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));

        // A national author joins nothing; the list is for authors.
        Assert.Equal(0, (await ReadAsync(author, "/api/v1/campaigns/joinable")).GetProperty("items").GetArrayLength());
        using var hnApprover = loa.Client("dev-hn-approver");
        Assert.Equal(HttpStatusCode.Forbidden, (await hnApprover.GetAsync("/api/v1/campaigns/joinable")).StatusCode);

        // What is listed is what create takes in joins.
        var hnList = (await LoaTestHost.UploadListAsync(hnAuthor, LoaTestHost.NumbersCsv(4, offset: 900))).GetProperty("id").GetString()!;
        var joined = await hnAuthor.PostAsJsonAsync("/api/v1/campaigns", new { joins = scheduled, audience = new { lists = new[] { hnList } } });
        Assert.True(joined.StatusCode == HttpStatusCode.Created, await joined.Content.ReadAsStringAsync());
        // And what is not listed cannot be joined by its id: the draft (it may still change), the cancelled one.
        foreach (var (unlisted, status) in new[] { (draft, "draft"), (cancelled, "cancelled") })
        {
            var refused = await hnAuthor.PostAsJsonAsync("/api/v1/campaigns", new { joins = unlisted, audience = new { lists = new[] { hnList } } });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var why = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("joins")[0].GetString();
            Assert.Contains($"is {status}", why, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_province_joins_a_national_campaign_from_its_template_and_the_national_campaign_shows_its_reach()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var hnAuthor = loa.Client("dev-hn-author");
        using var hnApprover = loa.Client("dev-hn-approver");

        var template = (await CreateTemplateAsync(author, Template())).GetProperty("id").GetString()!;
        var nationalList = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(13))).GetProperty("id").GetString()!;
        var created = await author.PostAsJsonAsync("/api/v1/campaigns", new { fromTemplate = template, audience = new { lists = new[] { nationalList } } });
        var nationalBody = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(created.StatusCode == HttpStatusCode.Created, nationalBody.ToString());
        Assert.Equal("Cảnh báo OTP", nationalBody.GetProperty("name").GetString());
        Assert.Equal("warning", nationalBody.GetProperty("kind").GetString());
        Assert.Equal(Sms, nationalBody.GetProperty("message").GetProperty("sms").GetString());
        var national = nationalBody.GetProperty("id").GetString()!;
        // Submitted: a draft may still change, so it cannot be joined yet.
        (await author.PostAsync($"/api/v1/campaigns/{national}/submit", null)).EnsureSuccessStatusCode();

        // A national principal does not join; a province cannot join what is not a national campaign.
        var refused = await author.PostAsJsonAsync("/api/v1/campaigns", new { joins = national, audience = new { lists = new[] { nationalList } } });
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("joins", out _));
        var bogus = await hnAuthor.PostAsJsonAsync("/api/v1/campaigns", new { joins = "nope" });
        Assert.Equal(HttpStatusCode.BadRequest, bogus.StatusCode);
        Assert.True((await bogus.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("joins", out _));
        var unknownTemplate = await hnAuthor.PostAsJsonAsync("/api/v1/campaigns", new { fromTemplate = "nope" });
        Assert.True((await unknownTemplate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("fromTemplate", out _));

        // Hà Nội joins for its own list, unaccented: the text comes from the national campaign's template.
        var hnList = (await LoaTestHost.UploadListAsync(hnAuthor, LoaTestHost.NumbersCsv(9, offset: 500))).GetProperty("id").GetString()!;
        var joined = await hnAuthor.PostAsJsonAsync("/api/v1/campaigns", new
        {
            joins = national,
            audience = new { lists = new[] { hnList } },
            options = new { stripDiacritics = true },
        });
        var joinedBody = await joined.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(joined.StatusCode == HttpStatusCode.Created, joinedBody.ToString());
        Assert.Equal("01", joinedBody.GetProperty("tenant").GetString());
        Assert.Equal("Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai.", joinedBody.GetProperty("message").GetProperty("sms").GetString());
        var hn = joinedBody.GetProperty("id").GetString()!;

        (await approver.PostAsync($"/api/v1/campaigns/{national}/approve", null)).EnsureSuccessStatusCode();
        await LoaTestHost.SubmitAndApproveAsync(hnAuthor, hnApprover, hn);
        await LoaTestHost.WaitForStatusAsync(author, national, "completed", TimeSpan.FromSeconds(90));
        var hnProgress = await LoaTestHost.WaitForStatusAsync(hnAuthor, hn, "completed", TimeSpan.FromSeconds(90));

        var links = await ReadAsync(author, $"/api/v1/campaigns/{national}/links");
        Assert.Equal(template, links.GetProperty("fromTemplate").GetString());
        var province = Assert.Single(links.GetProperty("joined").EnumerateArray());
        Assert.Equal("01", province.GetProperty("province").GetString());
        Assert.Equal("Hà Nội", province.GetProperty("name").GetString());
        Assert.Equal(hn, province.GetProperty("campaignId").GetString());
        Assert.Equal("completed", province.GetProperty("status").GetString());
        var delivered = hnProgress.GetProperty("delivered").GetInt64();
        Assert.True(delivered > 0, hnProgress.ToString());
        Assert.Equal(delivered, province.GetProperty("delivered").GetInt64());
        Assert.Equal(delivered, links.GetProperty("joinedDelivered").GetInt64());

        var hnLinks = await ReadAsync(hnAuthor, $"/api/v1/campaigns/{hn}/links");
        Assert.Equal(national, hnLinks.GetProperty("joins").GetString());
        Assert.Equal(template, hnLinks.GetProperty("fromTemplate").GetString());
    }
}
