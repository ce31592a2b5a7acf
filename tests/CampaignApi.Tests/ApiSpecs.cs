using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.CarrierAdapters.HttpBatch;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests;

/// <summary>The public contract of api.md, against the real host.</summary>
public sealed class ApiSpecs : IAsyncLifetime
{
    private LoaTestHost loa = null!;

    public async Task InitializeAsync() => loa = await LoaTestHost.StartAsync();

    public async Task DisposeAsync() => await loa.DisposeAsync();

    [Fact]
    public async Task A_csv_with_bad_rows_reports_them_by_line_and_imports_the_rest()
    {
        using var author = loa.Client("dev-author");
        var csv = "msisdn,province,name\n"
            + "0912345678,HN,An\n"          // line 2: ok
            + "not-a-number,HN,\n"           // line 3: junk
            + "+84 96-123-4567,HN,Binh\n"    // line 4: ok, with spaces and dashes
            + "02438123456,HN,\n"            // line 5: landline
            + "84912345678,HN,\n"            // line 6: duplicate of line 2
            + "0981234567,H@N,\n"            // line 7: bad province
            + "0321234567,,\n";              // line 8: ok, no province
        var list = await LoaTestHost.UploadListAsync(author, csv);

        Assert.Equal(3, list.GetProperty("accepted").GetInt32());
        Assert.Equal(3, list.GetProperty("rejected").GetInt32());
        Assert.Equal(1, list.GetProperty("duplicates").GetInt32());
        var errors = list.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal([3L, 5L, 7L], errors.Select(e => e.GetProperty("line").GetInt64()));
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("reason").GetString())));

        var details = await author.GetFromJsonAsync<JsonElement>($"/api/v1/lists/{list.GetProperty("id").GetString()}");
        Assert.Equal(2, details.GetProperty("byCarrier").GetProperty("viettel").GetInt64());
        Assert.Equal(1, details.GetProperty("byCarrier").GetProperty("vinaphone").GetInt64());
    }

    [Fact]
    public async Task A_csv_without_a_msisdn_column_is_refused_with_a_field_error()
    {
        using var author = loa.Client("dev-author");
        using var content = new StringContent("phone\n0912345678\n", Encoding.UTF8, "text/csv");
        var response = await author.PostAsync("/api/v1/lists?name=x", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("msisdn", out _));
    }

    [Fact]
    public async Task The_author_may_not_approve_their_own_campaign()
    {
        // A person who holds both roles is still refused on their own campaign.
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-author-approver", "author-approver", "national", ["author", "approver"]);
        using var both = loa.Client("test-author-approver");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(both, LoaTestHost.NumbersCsv(10));
        var id = await LoaTestHost.CreateCampaignAsync(both, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        (await both.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();

        var own = await both.PostAsync($"/api/v1/campaigns/{id}/approve", null);
        Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
        var problem = await own.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("two-person-rule", problem.GetProperty("type").GetString());
        var campaign = await both.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal("pending_approval", campaign.GetProperty("status").GetString());

        var other = await approver.PostAsync($"/api/v1/campaigns/{id}/approve", null);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Creating_a_campaign_answers_with_a_preview_of_encoding_parts_and_carriers()
    {
        using var author = loa.Client("dev-author");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(130));
        var accented = "Cục ATTT cảnh báo: ứng dụng giả mạo dịch vụ công đang phát tán mã độc trên Android. Chỉ cài ứng dụng từ kho chính thức.";
        var response = await author.PostAsJsonAsync("/api/v1/campaigns", LoaTestHost.Campaign(list.GetProperty("id").GetString()!, sms: accented));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("draft", body.GetProperty("status").GetString());
        var preview = body.GetProperty("preview");
        Assert.Equal(130, preview.GetProperty("recipients").GetInt64());
        Assert.Equal("ucs2", preview.GetProperty("smsEncoding").GetString());
        Assert.Equal(2, preview.GetProperty("smsParts").GetInt32()); // 121 UTF-16 units: more than 70, at most 134
        Assert.Equal(30, preview.GetProperty("byCarrier").GetProperty("viettel").GetInt64()); // 086, 096, 032 of 13 prefixes
        Assert.Equal(10, preview.GetProperty("byCarrier").GetProperty("gmobile").GetInt64());
    }

    [Fact]
    public async Task A_campaign_approved_before_its_start_time_waits_as_scheduled_then_runs_to_completion()
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(40));
        var startAt = DateTimeOffset.UtcNow.AddSeconds(4);
        var id = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Ngày An toàn thông tin",
            kind = "warning",
            channels = new[] { "sms" },
            message = new { sms = "Huong ung Ngay ATTT Viet Nam: dat mat khau manh, bat xac thuc 2 lop." },
            audience = new { lists = new[] { list.GetProperty("id").GetString() } },
            schedule = new { startAt },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);

        var campaign = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal("scheduled", campaign.GetProperty("status").GetString());
        var progress = await LoaTestHost.WaitForStatusAsync(author, id, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(40, progress.GetProperty("delivered").GetInt64());
        Assert.True(progress.GetProperty("startedAt").GetDateTimeOffset() >= startAt.AddMilliseconds(-1));
    }

    [Fact]
    public async Task Invalid_campaigns_get_problem_details_with_field_errors()
    {
        using var author = loa.Client("dev-author");
        var response = await author.PostAsJsonAsync("/api/v1/campaigns", new { name = "", kind = "panic", channels = Array.Empty<string>(), audience = new { lists = new[] { "nope" } } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        foreach (var field in new[] { "name", "kind", "channels", "audience.lists[0]" })
            Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {errors}");
    }

    [Fact]
    public async Task Actions_that_do_not_fit_the_status_answer_409()
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3));
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        var early = await approver.PostAsync($"/api/v1/campaigns/{id}/approve", null); // still a draft
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
    }

    [Fact]
    public async Task A_province_cannot_see_a_national_campaign_or_list()
    {
        using var author = loa.Client("dev-author");
        using var hanoi = loa.Client("dev-hn-author");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3));
        var listId = list.GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(listId));
        Assert.Equal(HttpStatusCode.NotFound, (await hanoi.GetAsync($"/api/v1/campaigns/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hanoi.GetAsync($"/api/v1/lists/{listId}")).StatusCode);
        var own = await hanoi.PostAsJsonAsync("/api/v1/campaigns", LoaTestHost.Campaign(listId));
        Assert.Equal(HttpStatusCode.BadRequest, own.StatusCode); // the national list is not visible to HN
    }

    [Fact]
    public async Task Requests_without_a_valid_key_are_refused()
    {
        using var anonymous = new HttpClient { BaseAddress = loa.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/campaigns")).StatusCode);
        using var wrong = loa.Client("not-a-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/v1/campaigns")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task Receipts_with_a_missing_or_wrong_signature_are_refused_and_unknown_ids_are_counted()
    {
        using var carrier = new HttpClient { BaseAddress = loa.BaseAddress };
        var body = Encoding.UTF8.GetBytes("""[{"messageId":"never-sent-1","status":"delivered","at":"2026-11-23T10:00:00+07:00"}]""");

        using var unsigned = new ByteArrayContent(body);
        Assert.Equal(HttpStatusCode.Unauthorized, (await carrier.PostAsync("/api/v1/carriers/viettel/receipts", unsigned)).StatusCode);

        using var forged = new ByteArrayContent(body);
        forged.Headers.Add(ReceiptSignature.Header, ReceiptSignature.Sign(body, "wrong-secret"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await carrier.PostAsync("/api/v1/carriers/viettel/receipts", forged)).StatusCode);

        using var signed = new ByteArrayContent(body);
        signed.Headers.Add(ReceiptSignature.Header, ReceiptSignature.Sign(body, "dev-viettel-receipt-secret"));
        var response = await carrier.PostAsync("/api/v1/carriers/viettel/receipts", signed);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var outcome = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, outcome.GetProperty("accepted").GetInt32());
        Assert.Equal(1, outcome.GetProperty("unknown").GetInt32());
    }
}
