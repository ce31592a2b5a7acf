using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.Tests.Shared;
using Microsoft.Playwright;
using static Loa.Dashboard.Tests.ConsolePage;
using static Microsoft.Playwright.Assertions;

namespace Loa.Dashboard.Tests;

/// <summary>
/// The console for officials at <c>/console</c>, driven in Chromium against a real Loa host: an author
/// uploads and composes, the same person cannot approve, another approves, the operator watches it
/// complete and cancels another; in Vietnamese (the default) and in English; nothing leaves the origin.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleSpecs(DashboardWorld world)
{
    private const string CampaignName = "Cảnh báo lừa đảo mạo danh cơ quan thuế";
    private const string CampaignText = "Cục ATTT cảnh báo: cơ quan thuế không gọi điện yêu cầu cài ứng dụng. Không bấm vào đường link lạ.";

    /// <summary>A principal id as Loa records a key: <c>key:</c> and the key's id.</summary>
    private static readonly Regex KeyPrincipal = new("^key:[0-9a-f]{32}$");

    [Fact]
    public async Task An_author_uploads_and_composes_cannot_approve_their_own_another_approves_and_the_operator_sees_it_complete_and_cancels_another()
    {
        var loa = world.Loa;
        var origin = loa.BaseAddress.GetLeftPart(UriPartial.Authority);
        var requests = new List<string>();

        // An admin makes a key for an official who both writes and approves: the two-person rule must still hold.
        var admin = await world.OpenConsoleAsync(requests);
        await SignInAsync(admin, "dev-admin");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Khóa truy cập" }).ClickAsync();
        await admin.GetByLabel("Tên khóa").FillAsync("can-bo-soan-va-duyet");
        await admin.GetByLabel("soạn tin").CheckAsync();
        await admin.GetByLabel("phê duyệt", new() { Exact = true }).CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Tạo khóa" }).ClickAsync();
        var secret = admin.GetByTestId("key-secret");
        await Expect(secret).ToContainTextAsync("loa_", Contains);
        var key = (await secret.TextContentAsync())!.Trim();
        await Expect(admin.Locator("#key-rows tr", new() { HasText = "can-bo-soan-va-duyet" })).ToContainTextAsync("đang dùng", Contains);
        await ScreenshotAsync(admin, "keys");
        await admin.Context.CloseAsync();

        // The author uploads a list with two bad rows: the good rows are kept, the bad ones listed by line.
        var author = await world.OpenConsoleAsync(requests);
        await SignInAsync(author, key, "can-bo-soan-va-duyet");
        await author.GetByRole(AriaRole.Link, new() { Name = "Tải danh sách" }).ClickAsync();
        var csv = LoaTestHost.NumbersCsv(30, province: "01") + "12345,01\nkhông phải số,01\n";
        await author.GetByLabel("Tên danh sách").FillAsync("Danh sách thử Hà Nội");
        await author.GetByLabel("Tệp CSV").SetInputFilesAsync(new FilePayload { Name = "ds.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv) });
        await author.GetByRole(AriaRole.Button, new() { Name = "Tải lên" }).ClickAsync();
        await Expect(author.GetByTestId("upload-accepted")).ToHaveTextAsync("30", Bounded);
        await Expect(author.GetByTestId("upload-rejected")).ToHaveTextAsync("2", Bounded);
        await Expect(author.Locator("#upload-errors tr")).ToHaveCountAsync(2, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(author.Locator("#upload-errors tr").First.Locator("td").First).ToHaveTextAsync("32", Bounded);
        Assert.Equal(100, await author.Locator("#upload-progress").EvaluateAsync<int>("p => p.value"));
        await ScreenshotAsync(author, "upload");

        // Compose: the counter is the server's measure, live; unaccenting shows the text as sent and makes it GSM-7.
        await author.GetByRole(AriaRole.Link, new() { Name = "Soạn tin cho danh sách này →" }).ClickAsync();
        await author.GetByLabel("Tên chiến dịch").FillAsync(CampaignName);
        await author.GetByRole(AriaRole.Radio, new() { Name = "Cảnh báo: nguy cơ sắp xảy ra, gửi ngay, mọi giờ" }).CheckAsync();
        await author.GetByLabel("Nội dung SMS", new() { Exact = true }).FillAsync(CampaignText);
        var counter = author.GetByTestId("counter");
        await Expect(counter).ToContainTextAsync("UCS-2", Contains);
        await Expect(counter).ToContainTextAsync($"{CampaignText.Length} ký tự · UCS-2 (có dấu) · 2 phần tin", Contains);
        await Expect(author.GetByTestId("text-as-sent")).ToHaveTextAsync(CampaignText, Bounded);
        await author.GetByRole(AriaRole.Checkbox, new() { Name = "Bỏ dấu tiếng Việt (thường ít phần tin hơn)" }).CheckAsync();
        await Expect(counter).ToContainTextAsync("GSM-7 (không dấu) · 1 phần tin", Contains);
        await Expect(author.GetByTestId("text-as-sent")).ToContainTextAsync("Cuc ATTT canh bao: co quan thue khong goi dien", Contains);
        await author.GetByRole(AriaRole.Checkbox, new() { Name = "Bỏ dấu tiếng Việt (thường ít phần tin hơn)" }).UncheckAsync();
        await Expect(counter).ToContainTextAsync("2 phần tin", Contains);
        await Expect(author.Locator("#c-lists input:checked")).ToHaveCountAsync(1, new() { Timeout = DashboardWorld.TimeoutMs });
        await author.GetByLabel("Hà Nội", new() { Exact = true }).CheckAsync();
        await ScreenshotAsync(author, "compose");
        await author.GetByRole(AriaRole.Button, new() { Name = "Tạo và gửi phê duyệt" }).ClickAsync();
        await Expect(author.GetByTestId("campaign-status")).ToHaveTextAsync("chờ phê duyệt", Bounded);
        var id = new Uri(author.Url).Fragment.Split('/')[^1];

        // What the page counted is what the server stored and previews.
        using var operatorClient = loa.Client("dev-operator");
        var stored = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal(CampaignText, stored.GetProperty("sms").GetProperty("text").GetString());
        Assert.Equal(2, stored.GetProperty("sms").GetProperty("parts").GetInt32());
        Assert.Equal("ucs2", stored.GetProperty("sms").GetProperty("encoding").GetString());
        Assert.Equal(["01"], stored.GetProperty("audience").GetProperty("provinces").EnumerateArray().Select(p => p.GetString()));

        // The same person may not approve it: the page says why, and it stays pending.
        await author.GetByRole(AriaRole.Button, new() { Name = "Phê duyệt và gửi" }).ClickAsync();
        var dialog = author.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("TIN THẬT", Contains);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Phê duyệt và gửi" }).ClickAsync();
        await Expect(author.GetByTestId("two-person")).ToBeVisibleAsync(Visible);
        await Expect(author.GetByTestId("two-person")).ToContainTextAsync("Quy tắc hai người", Contains);
        await Expect(author.GetByTestId("campaign-status")).ToHaveTextAsync("chờ phê duyệt", Bounded);
        await ScreenshotAsync(author, "two-person");
        world.AssertNoScriptProblems(author);
        await author.Context.CloseAsync();

        // Another approver reviews exactly what goes out, and approves.
        var approver = await world.OpenConsoleAsync(requests);
        await SignInAsync(approver, "dev-approver");
        await approver.GetByRole(AriaRole.Link, new() { Name = "Chờ phê duyệt" }).ClickAsync();
        await approver.GetByRole(AriaRole.Link, new() { Name = CampaignName, Exact = true }).ClickAsync();
        await Expect(approver.GetByTestId("real-banner")).ToContainTextAsync("TIN THẬT", Contains);
        await Expect(approver.GetByTestId("test-banner")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(approver.GetByTestId("review-text")).ToHaveTextAsync(CampaignText, Bounded);
        await Expect(approver.GetByTestId("review-parts")).ToContainTextAsync("2 phần tin", Contains);
        await Expect(approver.GetByTestId("review-recipients")).ToHaveTextAsync("30", Bounded);
        await Expect(approver.GetByTestId("review-provinces")).ToHaveTextAsync("Hà Nội", Bounded);
        await Expect(approver.GetByTestId("campaign-kind")).ToHaveTextAsync("Cảnh báo", Bounded);
        await Expect(approver.GetByTestId("review-carriers").Locator("tr")).ToHaveCountAsync(5, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(approver.GetByTestId("review-by-province").Locator("tr")).ToHaveCountAsync(1, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(approver.GetByTestId("review-by-province").Locator("tr").First).ToHaveTextAsync("Hà Nội30", Bounded);
        // Who wrote it, by the name the admin gave the key; its id (what the two-person rule compares) under it and on hover.
        await Expect(approver.Locator("#cv-created-by .principal-name")).ToHaveTextAsync("can-bo-soan-va-duyet", Bounded);
        await Expect(approver.Locator("#cv-created-by")).ToHaveAttributeAsync("title", KeyPrincipal, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(approver.Locator("#cv-created-by .principal-id")).ToHaveTextAsync(KeyPrincipal, Bounded);
        await AssertFactsFitAsync(approver);
        await ScreenshotAsync(approver, "review");
        await approver.GetByRole(AriaRole.Button, new() { Name = "Phê duyệt và gửi" }).ClickAsync();
        await approver.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Phê duyệt và gửi" }).ClickAsync();
        await Expect(approver.GetByTestId("campaign-status")).Not.ToHaveTextAsync("chờ phê duyệt", new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(approver.Locator("#cv-approved-by .principal-name")).ToHaveTextAsync("dev-approver", Bounded);
        world.AssertNoScriptProblems(approver);
        await approver.Context.CloseAsync();

        // Another campaign, scheduled for tomorrow, for the operator to cancel.
        using var authorClient = loa.Client("dev-author");
        using var approverClient = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(authorClient, LoaTestHost.NumbersCsv(40), "danh sách ngày mai");
        var tomorrow = await LoaTestHost.CreateCampaignAsync(authorClient, new
        {
            name = "Tuyên truyền ngày mai", kind = "warning", channels = new[] { "sms" }, message = new { sms = "Canh bao ngay mai" },
            audience = new { lists = new[] { list.GetProperty("id").GetString() } },
            schedule = new { startAt = DateTimeOffset.UtcNow.AddDays(1) },
        });
        await LoaTestHost.SubmitAndApproveAsync(authorClient, approverClient, tomorrow);

        var operatorPage = await world.OpenConsoleAsync(requests);
        await SignInAsync(operatorPage, "dev-operator");
        await Expect(operatorPage.GetByRole(AriaRole.Link, new() { Name = "Bảng theo dõi gửi tin" })).ToHaveAttributeAsync("href", "/", new() { Timeout = DashboardWorld.TimeoutMs });
        await operatorPage.GotoAsync($"/console#/campaigns/{id}");
        await Expect(operatorPage.GetByTestId("campaign-status")).ToHaveTextAsync("hoàn tất", Bounded);
        await operatorPage.GotoAsync($"/console#/campaigns/{tomorrow}");
        await Expect(operatorPage.GetByTestId("campaign-status")).ToHaveTextAsync("đã lên lịch", Bounded);
        await operatorPage.GetByRole(AriaRole.Button, new() { Name = "Hủy chiến dịch" }).ClickAsync();
        await operatorPage.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Hủy chiến dịch" }).ClickAsync();
        await Expect(operatorPage.GetByTestId("campaign-status")).ToHaveTextAsync("đã hủy", Bounded);
        var cancelled = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{tomorrow}");
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        world.AssertNoScriptProblems(operatorPage);
        await operatorPage.Context.CloseAsync();

        Assert.NotEmpty(requests);
        Assert.All(requests, url => Assert.StartsWith(origin + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_admin_sees_a_new_keys_secret_only_once_and_a_revoked_key_is_refused_at_once_in_English()
    {
        var loa = world.Loa;
        var name = $"revoke-me-{Guid.NewGuid():n}"[..24];
        var requests = new List<string>();
        var page = await world.OpenConsoleAsync(requests);
        await page.GetByTestId("lang").SelectOptionAsync("en");
        await SignInAsync(page, "dev-admin", button: "Sign in", label: "API key");
        await page.GetByRole(AriaRole.Link, new() { Name = "API keys", Exact = true }).ClickAsync();
        await page.GetByLabel("Key name").FillAsync(name);
        await page.Locator("#key-form").GetByLabel("operator", new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var secret = page.GetByTestId("key-secret");
        await Expect(secret).ToContainTextAsync("loa_", Contains);
        var key = (await secret.TextContentAsync())!.Trim();
        var row = page.Locator("#key-rows tr", new() { HasText = name });
        var state = row.Locator("td").Nth(4);
        await Expect(state).ToHaveTextAsync("active", Bounded);
        // Used once, so that the server holds its lookup in the cache that a revoke must empty.
        using var holder = loa.Client(key);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await holder.GetAsync("/api/v1/campaigns")).StatusCode);

        // Shown once: away and back, and after a reload, the secret is nowhere in the page or its storage.
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log", Exact = true }).ClickAsync();
        await Expect(page.Locator("#audit-title")).ToBeVisibleAsync(Visible);
        await page.GetByRole(AriaRole.Link, new() { Name = "API keys", Exact = true }).ClickAsync();
        await Expect(state).ToHaveTextAsync("active", Bounded);
        await Expect(secret).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
        await page.ReloadAsync();
        await Expect(state).ToHaveTextAsync("active", Bounded);
        await Expect(secret).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(key, await page.EvaluateAsync<string>("() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage)"), StringComparison.Ordinal);

        // Going back from the confirmation leaves the key working.
        var revoke = row.GetByRole(AriaRole.Button, new() { Name = $"Revoke key {name}", Exact = true });
        await revoke.ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync($"The key “{name}” stops working at once.", Contains);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Go back" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(state).ToHaveTextAsync("active", Bounded);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await holder.GetAsync("/api/v1/campaigns")).StatusCode);

        // Revoked: the row says so and offers no button, the API lists it revoked, and the key is refused at once.
        await revoke.ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await Expect(state).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^revoked "), Bounded);
        await Expect(row.GetByRole(AriaRole.Button)).ToHaveCountAsync(0, new() { Timeout = DashboardWorld.TimeoutMs });
        using var admin = loa.Client("dev-admin");
        var keys = await admin.GetFromJsonAsync<JsonElement>("/api/v1/keys?limit=500");
        var stored = keys.GetProperty("items").EnumerateArray().Single(k => k.GetProperty("name").GetString() == name);
        Assert.Equal(JsonValueKind.String, stored.GetProperty("revokedAt").ValueKind);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await holder.GetAsync("/api/v1/campaigns")).StatusCode);
        await AssertTranslatedAsync(page);
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
        Assert.NotEmpty(requests);
        Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_test_campaign_is_marked_TEST_and_an_approver_can_reject_it_with_a_reason_in_English()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(10), "drill");
        var id = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Diễn tập", kind = "test", channels = new[] { "sms" }, message = new { sms = "Dien tap canh bao" },
            audience = new { lists = new[] { list.GetProperty("id").GetString() } },
        });
        Assert.Equal(HttpStatusOk, (int)(await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).StatusCode);

        var requests = new List<string>();
        var page = await world.OpenConsoleAsync(requests);
        await page.GetByLabel("Ngôn ngữ").SelectOptionAsync("en");
        await SignInAsync(page, "dev-approver", button: "Sign in", label: "API key");
        await page.GotoAsync($"/console#/campaigns/{id}");
        await Expect(page.GetByTestId("test-banner")).ToContainTextAsync("TEST", Contains);
        await Expect(page.GetByTestId("real-banner")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByTestId("campaign-kind")).ToHaveTextAsync("TEST", Bounded);
        await Expect(page.GetByTestId("review-text")).ToHaveTextAsync("[TEST] Dien tap canh bao", Bounded);
        await Expect(page.Locator("#cv-suppressed-rows")).ToContainTextAsync("not a test number", Contains);
        await AssertAccessibleAsync(page, "review of a test");
        await page.GetByLabel("Reason for rejecting (required)").FillAsync("Sai chính tả");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reject" }).ClickAsync();
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("draft", Bounded);
        await Expect(page.Locator("#cv-rejected")).ToHaveTextAsync("Sai chính tả", Bounded);
        await AssertTranslatedAsync(page);
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
        Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_author_corrects_a_sent_campaign_from_its_page_and_a_refusal_is_named_in_the_readers_language()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(10), "correct");
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        await LoaTestHost.WaitForEndAsync(approver, id, TimeSpan.FromSeconds(60));

        var page = await world.OpenConsoleAsync([]);
        await page.GetByTestId("lang").SelectOptionAsync("en");
        await SignInAsync(page, "dev-author", button: "Sign in", label: "API key");
        await page.GotoAsync($"/console#/campaigns/{id}");
        await page.GetByLabel("Corrected text").FillAsync("Dinh chinh: so dien thoai dung la 113.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the correction and submit it" }).ClickAsync();
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("awaiting approval", Bounded);
        await Expect(page.GetByTestId("review-text")).ToHaveTextAsync("Dinh chinh: so dien thoai dung la 113.", Bounded);
        var correction = new Uri(page.Url).Fragment.Split('/')[^1];
        Assert.NotEqual(id, correction);
        var stored = await approver.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{correction}");
        Assert.Equal(id, stored.GetProperty("corrects").GetString());

        // A second correction of the same campaign is refused: the refusal is named in English, the server's detail follows.
        await page.GotoAsync($"/console#/campaigns/{id}");
        // The hash changes in the same page: wait for the sent campaign's own view (the correction's view hid the form too),
        // or its late render hides the form again after the spec reopened it.
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("completed", Bounded);
        await Expect(page.Locator("#correct-form")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await page.EvaluateAsync("() => { document.getElementById('correct-form').hidden = false; document.getElementById('correct-text').value = 'Lan hai'; }");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the correction and submit it" }).ClickAsync();
        await Expect(page.Locator("#action-error")).ToContainTextAsync("Not allowed in the current status (409)", Contains);
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_author_composes_from_a_template_with_a_segment_and_a_recurrence_and_sees_the_servers_preview()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        var title = $"Mẫu cảnh báo OTP {Guid.NewGuid():n}"[..28];
        var template = await author.PostAsJsonAsync("/api/v1/templates", new
        {
            title, kind = "warning", sms = "Cục ATTT cảnh báo: không cung cấp mã OTP cho bất kỳ ai.", tags = new[] { "otp" },
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, template.StatusCode);
        var templateId = (await template.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        // Twelve members: every third a student, the others elderly; even ones in commune 00004, odd ones in 00007.
        var csv = "msisdn,province,commune,tags\n" + string.Concat(Enumerable.Range(0, 12).Select(n =>
            $"{LoaTestHost.Number(5000 + n)},01,{(n % 2 == 0 ? "00004" : "00007")},{(n % 3 == 0 ? "student" : "elderly")}\n"));
        var listName = $"Phân đoạn {Guid.NewGuid():n}"[..18];
        await LoaTestHost.UploadListAsync(author, csv, listName);

        var requests = new List<string>();
        var page = await world.OpenConsoleAsync(requests);
        await SignInAsync(page, "dev-author");
        await page.GetByRole(AriaRole.Link, new() { Name = "Soạn tin" }).ClickAsync();
        await page.GetByLabel("Bắt đầu từ mẫu tin").SelectOptionAsync(new SelectOptionValue { Label = $"{title} (trung ương)" });
        await Expect(page.GetByLabel("Tên chiến dịch")).ToHaveValueAsync(title, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByLabel("Nội dung SMS", new() { Exact = true })).ToHaveValueAsync("Cục ATTT cảnh báo: không cung cấp mã OTP cho bất kỳ ai.", new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Cảnh báo: nguy cơ sắp xảy ra, gửi ngay, mọi giờ" })).ToBeCheckedAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await page.Locator("#c-lists label", new() { HasText = listName }).Locator("input").CheckAsync();
        await Expect(page.GetByTestId("preview-recipients")).ToHaveTextAsync("12", Bounded);

        // Students only, and not in commune 00007: 0, 6 (commune 00004) of 0, 3, 6, 9.
        await page.GetByText("Thu hẹp người nhận (nhãn, xã/phường, nhà mạng)").ClickAsync();
        // The groups the ticked list holds are offered, with how many members each has.
        await Expect(page.GetByTestId("known-groups")).ToHaveTextAsync(
            "Nhãn trong các danh sách đã chọn: elderly (8) · student (4). Xã, phường trong các danh sách đã chọn: 00004 (6) · 00007 (6).", Bounded);
        await Expect(page.Locator("#c-known-tags option")).ToHaveCountAsync(2, new() { Timeout = DashboardWorld.TimeoutMs });
        await page.Locator("#c-inc-tags").FillAsync("student");
        await Expect(page.GetByTestId("preview-recipients")).ToHaveTextAsync("4", Bounded);
        await page.Locator("#c-exc-communes").FillAsync("00007");
        await Expect(page.GetByTestId("preview-recipients")).ToHaveTextAsync("2", Bounded);
        await Expect(page.GetByTestId("preview-suppressed")).ToHaveTextAsync("0", Bounded);
        await Expect(page.GetByTestId("preview-sms")).ToHaveTextAsync("2 số điện thoại", Bounded);

        await page.GetByLabel("Lặp lại (biểu thức cron của Quartz)").FillAsync("0 0 8 1 * ?");
        await Expect(page.GetByTestId("recurrence-words")).ToContainTextAsync("ngày 1 hằng tháng lúc 08:00", Contains);
        await page.GetByLabel("Hết hạn lúc").FillAsync(DateTime.UtcNow.AddHours(7).AddDays(70).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.GetByTestId("preview-recipients")).ToHaveTextAsync("2", Bounded);
        await AssertAccessibleAsync(page, "compose with a segment");
        await ScreenshotAsync(page, "compose-segment");

        // What the page showed is what the server previews for the stored campaign.
        await page.GetByRole(AriaRole.Button, new() { Name = "Tạo và gửi phê duyệt" }).ClickAsync();
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("chờ phê duyệt", Bounded);
        await Expect(page.GetByTestId("review-recipients")).ToHaveTextAsync("2", Bounded);
        await Expect(page.GetByTestId("review-segment")).ToContainTextAsync("chỉ gửi nhãn student", Contains);
        await Expect(page.GetByTestId("review-recurrence")).ToContainTextAsync("0 0 8 1 * ? · Lặp lại ngày 1 hằng tháng lúc 08:00", Contains);
        var id = new Uri(page.Url).Fragment.Split('/')[^1];
        var stored = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal(2, stored.GetProperty("preview").GetProperty("recipients").GetInt64());
        Assert.Equal(["student"], stored.GetProperty("audience").GetProperty("include").GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["00007"], stored.GetProperty("audience").GetProperty("exclude").GetProperty("communes").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("0 0 8 1 * ?", stored.GetProperty("schedule").GetProperty("recurrence").GetString());
        var links = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/links");
        Assert.Equal(templateId, links.GetProperty("fromTemplate").GetString());
        // The approver's table by province is the segment's too, not the whole list's.
        await Expect(page.GetByTestId("review-by-province").Locator("tr").First).ToHaveTextAsync("Hà Nội2", Bounded);
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
        Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_national_author_writes_and_edits_a_template_in_the_library_sees_field_errors_and_composes_from_it()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        var title = $"Mẫu lừa đảo đầu tư {Guid.NewGuid():n}"[..26];
        var requests = new List<string>();
        var page = await world.OpenConsoleAsync(requests);
        await SignInAsync(page, "dev-author");
        await page.GetByRole(AriaRole.Link, new() { Name = "Mẫu tin", Exact = true }).ClickAsync();
        await Expect(page.Locator("#templates-title")).ToHaveTextAsync("Thư viện mẫu tin", Bounded);

        // A template with no kind and a bad tag: each field says what is wrong under it, and nothing is stored.
        await page.GetByRole(AriaRole.Button, new() { Name = "Thêm mẫu tin" }).ClickAsync();
        var form = page.Locator("#tpl-form");
        await form.GetByLabel("Tiêu đề", new() { Exact = true }).FillAsync(title);
        await form.GetByLabel("Tin nhắn SMS (có dấu)").FillAsync("Cục ATTT cảnh báo: không chuyển tiền cho sàn đầu tư lạ.");
        await form.GetByLabel("Nhãn", new() { Exact = true }).FillAsync("Sai!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lưu mẫu tin" }).ClickAsync();
        // The API writes its field errors in English; the console says the ones it knows in the reader's language.
        await Expect(page.Locator("#tpl-kind-error")).ToHaveTextAsync("Hãy chọn loại tin: khẩn cấp, cảnh báo, tuyên truyền hoặc thử nghiệm.", Bounded);
        await Expect(page.Locator("#tpl-tags-error")).ToContainTextAsync("Nhãn gồm 1 đến 64 ký tự", Contains);
        await Expect(page.Locator("#tpl-form-error")).ToContainTextAsync("Một số mục cần sửa", Contains);
        await Expect(page.Locator("#tpl-title-error")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await AssertAccessibleAsync(page, "template form with errors");

        await form.GetByRole(AriaRole.Combobox, new() { Name = "Loại tin", Exact = true }).SelectOptionAsync("warning");
        await form.GetByLabel("Nhãn", new() { Exact = true }).FillAsync("dau-tu, elderly");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lưu mẫu tin" }).ClickAsync();
        await Expect(page.GetByTestId("template-saved")).ToHaveTextAsync($"Đã lưu: {title}", Bounded);
        var row = page.GetByTestId("template-rows").Locator("tr", new() { HasText = title });
        await Expect(row).ToContainTextAsync("Trung ương", Contains);
        await Expect(row).ToContainTextAsync("dau-tu, elderly", Contains);

        // Edited in place: the server keeps the new text and works out its unaccented form again.
        await row.GetByRole(AriaRole.Button, new() { Name = $"Sửa mẫu “{title}”" }).ClickAsync();
        await Expect(form.GetByLabel("Tiêu đề", new() { Exact = true })).ToHaveValueAsync(title, new() { Timeout = DashboardWorld.TimeoutMs });
        await form.GetByLabel("Tin nhắn SMS (có dấu)").FillAsync("Cục ATTT cảnh báo: sàn đầu tư hứa lãi cao là lừa đảo.");
        await form.GetByLabel("Tiêu đề thông báo ứng dụng").FillAsync("Cảnh báo đầu tư");
        await form.GetByLabel("Nội dung thông báo ứng dụng").FillAsync("Sàn đầu tư hứa lãi cao là lừa đảo.");
        await ScreenshotAsync(page, "templates");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lưu mẫu tin" }).ClickAsync();
        await Expect(page.GetByTestId("template-saved")).ToHaveTextAsync($"Đã lưu: {title}", Bounded);
        var library = await author.GetFromJsonAsync<JsonElement>("/api/v1/templates?limit=500");
        var stored = library.GetProperty("items").EnumerateArray().Single(t => t.GetProperty("title").GetString() == title);
        Assert.Equal("Cục ATTT cảnh báo: sàn đầu tư hứa lãi cao là lừa đảo.", stored.GetProperty("sms").GetString());
        Assert.Equal("Cuc ATTT canh bao: san dau tu hua lai cao la lua dao.", stored.GetProperty("smsUnaccented").GetString());
        Assert.Equal("Cảnh báo đầu tư", stored.GetProperty("push").GetProperty("title").GetString());
        Assert.Equal("warning", stored.GetProperty("kind").GetString());
        Assert.NotEqual(JsonValueKind.Null, stored.GetProperty("updatedAt").ValueKind);

        // Composing from it opens the compose screen with the template chosen and its fields filled.
        await page.GetByTestId("template-rows").Locator("tr", new() { HasText = title })
            .GetByRole(AriaRole.Button, new() { Name = $"Soạn chiến dịch từ mẫu “{title}”" }).ClickAsync();
        await Expect(page.Locator("#compose-title")).ToBeVisibleAsync(Visible);
        await Expect(page.GetByLabel("Tên chiến dịch")).ToHaveValueAsync(title, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByLabel("Nội dung SMS", new() { Exact = true })).ToHaveValueAsync("Cục ATTT cảnh báo: sàn đầu tư hứa lãi cao là lừa đảo.", new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Cảnh báo: nguy cơ sắp xảy ra, gửi ngay, mọi giờ" })).ToBeCheckedAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.Equal(stored.GetProperty("id").GetString(), await page.Locator("#c-template").InputValueAsync());
        await AssertTranslatedAsync(page);
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
        Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_province_author_reads_national_templates_without_changing_them_and_writes_its_own_in_English()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        using var hnAuthor = loa.Client("dev-hn-author");
        var national = $"National OTP {Guid.NewGuid():n}"[..21];
        (await author.PostAsJsonAsync("/api/v1/templates", new { title = national, kind = "awareness", sms = "Không cung cấp mã OTP cho bất kỳ ai." })).EnsureSuccessStatusCode();
        var own = $"Hà Nội: ngập {Guid.NewGuid():n}"[..21];

        var requests = new List<string>();
        var page = await world.OpenConsoleAsync(requests);
        await page.GetByTestId("lang").SelectOptionAsync("en");
        await SignInAsync(page, "dev-hn-author", button: "Sign in", label: "API key");
        await page.GetByRole(AriaRole.Link, new() { Name = "Templates", Exact = true }).ClickAsync();
        var nationalRow = page.GetByTestId("template-rows").Locator("tr", new() { HasText = national });
        await Expect(nationalRow).ToContainTextAsync("national: read only", Contains);
        await Expect(nationalRow.GetByRole(AriaRole.Button, new() { Name = $"Edit “{national}”" })).ToHaveCountAsync(0, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(nationalRow.GetByRole(AriaRole.Button, new() { Name = $"Compose a campaign from “{national}”" })).ToBeVisibleAsync(Visible);

        await page.GetByRole(AriaRole.Button, new() { Name = "New template" }).ClickAsync();
        var form = page.Locator("#tpl-form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save template" }).ClickAsync();
        await Expect(page.Locator("#tpl-kind-error")).ToHaveTextAsync("Choose the kind of message: emergency, warning, awareness or test.", Bounded);
        await Expect(page.Locator("#tpl-sms-error")).ToHaveTextAsync("A template needs an SMS text, an app notification, or both.", Bounded);
        await Expect(page.Locator("#tpl-form-error")).ToHaveTextAsync("Some fields need fixing: see the message under each.", Bounded);
        await form.GetByLabel("Title", new() { Exact = true }).FillAsync(own);
        await form.GetByRole(AriaRole.Combobox, new() { Name = "Kind of message", Exact = true }).SelectOptionAsync("awareness");
        await form.GetByLabel("SMS with diacritics").FillAsync("Sở TTTT Hà Nội: đề phòng lừa đảo hỗ trợ ngập lụt.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save template" }).ClickAsync();
        await Expect(page.GetByTestId("template-saved")).ToHaveTextAsync($"Saved: {own}", Bounded);
        var ownRow = page.GetByTestId("template-rows").Locator("tr", new() { HasText = own });
        await Expect(ownRow).ToContainTextAsync("Hà Nội", Contains);
        await Expect(ownRow.GetByRole(AriaRole.Button, new() { Name = $"Edit “{own}”" })).ToBeVisibleAsync(Visible);
        await AssertAccessibleAsync(page, "templates of a province");
        await AssertTranslatedAsync(page);
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();

        var mine = (await hnAuthor.GetFromJsonAsync<JsonElement>("/api/v1/templates?limit=500")).GetProperty("items").EnumerateArray()
            .Single(t => t.GetProperty("title").GetString() == own);
        Assert.Equal("01", mine.GetProperty("tenant").GetString());
        Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_province_author_picks_a_national_campaign_to_join_and_its_own_campaign_links_to_it_in_both_languages()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        using var hnAuthor = loa.Client("dev-hn-author");
        var nationalName = $"Tháng an toàn thông tin {Guid.NewGuid():n}"[..30];
        const string nationalText = "Cục ATTT: Tháng an toàn thông tin, hãy cập nhật phần mềm và đặt mật khẩu mạnh.";
        var nationalList = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3, offset: 9100), "national join")).GetProperty("id").GetString();
        var national = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = nationalName, kind = "awareness", channels = new[] { "sms" }, message = new { sms = nationalText },
            audience = new { lists = new[] { nationalList } }, schedule = new { startAt = DateTimeOffset.UtcNow.AddDays(3) },
        });
        (await author.PostAsync($"/api/v1/campaigns/{national}/submit", null)).EnsureSuccessStatusCode();
        var listName = $"Hà Nội tham gia {Guid.NewGuid():n}"[..22];
        await LoaTestHost.UploadListAsync(hnAuthor, LoaTestHost.NumbersCsv(6, province: "01", offset: 9200), listName);

        var requests = new List<string>();
        var page = await world.OpenConsoleAsync(requests);
        await SignInAsync(page, "dev-hn-author");
        await page.GetByRole(AriaRole.Link, new() { Name = "Soạn tin", Exact = true }).ClickAsync();
        var picker = page.GetByRole(AriaRole.Combobox, new() { Name = "Tham gia chiến dịch của trung ương" });
        await Expect(picker.Locator("option", new() { HasText = nationalName })).ToHaveCountAsync(1, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(picker.Locator("option", new() { HasText = nationalName })).ToContainTextAsync("chờ phê duyệt", Contains);
        await picker.SelectOptionAsync(national);
        await Expect(page.GetByLabel("Tên chiến dịch")).ToHaveValueAsync(nationalName, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByLabel("Nội dung SMS", new() { Exact = true })).ToHaveValueAsync(nationalText, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Tuyên truyền: thông tin phổ biến, chỉ gửi trong khung giờ cho phép" })).ToBeCheckedAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await page.Locator("#c-lists label", new() { HasText = listName }).Locator("input").CheckAsync();
        await Expect(page.GetByTestId("preview-recipients")).ToHaveTextAsync("6", Bounded);
        await AssertAccessibleAsync(page, "compose joining a national campaign");
        await AssertTranslatedAsync(page);
        await ScreenshotAsync(page, "compose-join");

        // In English the picker names the same campaign in English words, and what was chosen stays chosen.
        await page.GetByTestId("lang").SelectOptionAsync("en");
        var englishPicker = page.GetByRole(AriaRole.Combobox, new() { Name = "Join a national campaign" });
        await Expect(englishPicker.Locator("option", new() { HasText = nationalName })).ToContainTextAsync("awaiting approval", Contains);
        await Expect(englishPicker).ToHaveValueAsync(national, new() { Timeout = DashboardWorld.TimeoutMs });
        await AssertTranslatedAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create and submit for approval" }).ClickAsync();
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("awaiting approval", Bounded);
        var id = new Uri(page.Url).Fragment.Split('/')[^1];
        var links = await hnAuthor.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/links");
        Assert.Equal(national, links.GetProperty("joins").GetString());
        var stored = await hnAuthor.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal("01", stored.GetProperty("tenant").GetString());
        Assert.Equal(nationalText, stored.GetProperty("message").GetProperty("sms").GetString());
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
        Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_author_chooses_push_apps_from_the_configured_ones_instead_of_typing_names()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        var requests = new List<string>();
        var page = await world.OpenConsoleAsync(requests);
        await page.GetByTestId("lang").SelectOptionAsync("en");
        await SignInAsync(page, "dev-author", button: "Sign in", label: "API key");
        await page.GotoAsync("/console#/compose");
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "SMS to the numbers in the lists" }).UncheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "App notification (push) to registered devices" }).CheckAsync();
        // The world configures two apps, loa and news (DashboardWorld): offered by name, nothing to type.
        var apps = page.GetByRole(AriaRole.Group, new() { Name = "Apps", Exact = true });
        await Expect(apps.GetByRole(AriaRole.Checkbox)).ToHaveCountAsync(2, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(apps.GetByRole(AriaRole.Checkbox, new() { Name = "news", Exact = true })).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await apps.GetByRole(AriaRole.Checkbox, new() { Name = "loa", Exact = true }).CheckAsync();
        await page.GetByLabel("Campaign name").FillAsync("Push app choice");
        await page.GetByRole(AriaRole.Radio, new() { Name = "Warning: a threat to act on soon, sent at once, at any hour" }).CheckAsync();
        await page.Locator("#compose-form").GetByLabel("Notification title (one line, at most 100 characters)").FillAsync("Cảnh báo");
        await page.Locator("#compose-form").GetByLabel("Notification text (at most 1,000 characters)").FillAsync("Không cung cấp mã OTP cho bất kỳ ai.");
        await AssertAccessibleAsync(page, "compose with push apps");
        await AssertTranslatedAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create and submit for approval" }).ClickAsync();
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("awaiting approval", Bounded);
        var id = new Uri(page.Url).Fragment.Split('/')[^1];
        var stored = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal(["loa"], stored.GetProperty("audience").GetProperty("apps").EnumerateArray().Select(a => a.GetString()));
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
        Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_approvers_review_shows_the_SMS_and_the_app_notification_separately_in_English()
    {
        var loa = world.Loa;
        using var admin = loa.Client("dev-admin");
        var appKey = await admin.PostAsJsonAsync("/api/v1/keys", new { name = $"console-app-{Guid.NewGuid():n}"[..24], tenant = "national", roles = new[] { "app" } });
        using var app = loa.Client((await appKey.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
        const string province = "01";
        for (var i = 0; i < 3; i++)
        {
            var device = await app.PostAsJsonAsync("/api/v1/devices", new
            {
                token = $"console{i}{Guid.NewGuid():n}{new string('z', 40)}", platform = "android", app = "loa", province, language = "vi",
            });
            Assert.True(device.IsSuccessStatusCode, await device.Content.ReadAsStringAsync());
        }
        using var author = loa.Client("dev-author");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(10, province: "01", offset: 7000), "push and sms");
        var id = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Cảnh báo hai kênh", kind = "warning", channels = new[] { "sms", "push" },
            message = new { sms = "Canh bao lua dao qua mang", push = new { title = "Cảnh báo lừa đảo", body = "Không bấm vào đường link lạ." } },
            audience = new { lists = new[] { list.GetProperty("id").GetString() }, devices = true, provinces = new[] { "01" } },
        });
        (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();
        var stored = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        var devices = stored.GetProperty("preview").GetProperty("push").GetProperty("devices").GetInt64();
        Assert.True(devices >= 3, stored.ToString());

        var requests = new List<string>();
        var page = await world.OpenConsoleAsync(requests);
        await page.GetByTestId("lang").SelectOptionAsync("en");
        await SignInAsync(page, "dev-approver", button: "Sign in", label: "API key");
        await page.GotoAsync($"/console#/campaigns/{id}");
        await Expect(page.GetByTestId("review-text")).ToHaveTextAsync("Canh bao lua dao qua mang", Bounded);
        await Expect(page.GetByTestId("review-push-title")).ToHaveTextAsync("Cảnh báo lừa đảo", Bounded);
        await Expect(page.GetByTestId("review-push-body")).ToHaveTextAsync("Không bấm vào đường link lạ.", Bounded);
        await Expect(page.GetByTestId("review-sms-recipients")).ToHaveTextAsync("10 phone numbers", Bounded);
        await Expect(page.GetByTestId("review-push-devices")).ToHaveTextAsync($"{devices} devices", Bounded);
        await Expect(page.GetByTestId("review-push-by-app").Locator("tr")).ToHaveTextAsync($"loa{devices}", Bounded);
        await Expect(page.GetByTestId("review-push-by-province").Locator("tr")).ToHaveTextAsync($"Hà Nội{devices}", Bounded);
        // The SMS carriers table holds the five carriers and no push app.
        await Expect(page.GetByTestId("review-carriers").Locator("tr")).ToHaveCountAsync(5, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByTestId("review-carriers")).Not.ToContainTextAsync("push", new() { Timeout = DashboardWorld.TimeoutMs });
        await AssertAccessibleAsync(page, "review of push and SMS");
        await AssertTranslatedAsync(page);
        await ScreenshotAsync(page, "review-push");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve and send" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToContainTextAsync($"{devices} devices the app notification", Contains);
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Go back" }).ClickAsync();
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
        Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_review_of_an_app_on_topics_says_how_many_topic_sends_go_out_in_both_languages()
    {
        var loa = world.Loa;
        using var admin = loa.Client("dev-admin");
        var appKey = await admin.PostAsJsonAsync("/api/v1/keys", new { name = $"console-news-{Guid.NewGuid():n}"[..24], tenant = "national", roles = new[] { "app" } });
        using var app = loa.Client((await appKey.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
        // Three phones of the news app (on topics, DashboardWorld) in two (province, language) pairs: two topic sends.
        var tokens = new[] { ("01", "vi"), ("01", "vi"), ("79", "en") }.Select(d => (Token: $"cnews{Guid.NewGuid():n}{new string('n', 40)}", d.Item1, d.Item2)).ToList();
        foreach (var (token, province, language) in tokens)
            (await app.PostAsJsonAsync("/api/v1/devices", new { token, platform = "android", app = "news", province, language })).EnsureSuccessStatusCode();
        try
        {
            using var author = loa.Client("dev-author");
            var id = await LoaTestHost.CreateCampaignAsync(author, new
            {
                name = "Tin cảnh báo theo chủ đề", kind = "warning", channels = new[] { "push" },
                message = new { push = new { title = "Cảnh báo", body = "Không bấm vào đường link lạ." } },
                audience = new { devices = true, apps = new[] { "news" } },
            });
            (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();

            var requests = new List<string>();
            var page = await world.OpenConsoleAsync(requests);
            await SignInAsync(page, "dev-approver");
            await page.GotoAsync($"/console#/campaigns/{id}");
            await Expect(page.GetByTestId("review-push-devices")).ToHaveTextAsync(
                "3 thiết bị — qua 2 lượt gửi theo chủ đề của news (mỗi tỉnh và ngôn ngữ một lượt; mọi máy đã đăng ký chủ đề đều nhận)", Bounded);
            // By code: a map keyed "01" and "79" lists "79" first unless sorted.
            await Expect(page.GetByTestId("review-push-by-province").Locator("tr")).ToHaveTextAsync(["Hà Nội2", "Hồ Chí Minh1"], new() { Timeout = DashboardWorld.TimeoutMs });
            await page.GetByTestId("lang").SelectOptionAsync("en");
            await Expect(page.GetByTestId("review-push-devices")).ToHaveTextAsync(
                "3 devices — through 2 topic sends of news (one per province and language; every phone subscribed to a topic gets it)", Bounded);
            await AssertTranslatedAsync(page);
            world.AssertNoScriptProblems(page);
            await page.Context.CloseAsync();
            Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
        }
        finally
        {
            foreach (var (token, _, _) in tokens)
                await app.DeleteAsync($"/api/v1/devices/{Uri.EscapeDataString(token)}");
        }
    }

    [Fact]
    public async Task An_author_resends_to_those_not_reached_and_the_draft_waits_for_a_second_persons_approval()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        // Viettel fails 3 % and MobiFone expires 2 % of messages in this world: of 150 each, some end unreached
        // (all 300 reached has a chance under 1 in 1,000, so a run where nobody was missed is tried again, at
        // most three times); at 15 parts a second each lane takes about 10 s.
        var name = "";
        var id = "";
        long unreached = 0;
        JsonElement progress = default;
        for (var attempt = 0; attempt < 3 && unreached == 0; attempt++)
        {
            var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(300, offset: 20_000 + attempt * 300, prefixes: ["086", "090"]), "resend");
            name = $"Nhắc lại {Guid.NewGuid():n}"[..17];
            id = await LoaTestHost.CreateCampaignAsync(author, new
            {
                name, kind = "warning", channels = new[] { "sms" }, message = new { sms = "Canh bao: khong cung cap ma OTP." },
                audience = new { lists = new[] { list.GetProperty("id").GetString() } },
            });
            await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
            await LoaTestHost.WaitForEndAsync(approver, id, TimeSpan.FromSeconds(90));
            progress = await approver.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
            unreached = progress.GetProperty("failed").GetInt64() + progress.GetProperty("expired").GetInt64();
        }
        Assert.True(unreached > 0, progress.ToString());

        var requests = new List<string>();
        var page = await world.OpenConsoleAsync(requests);
        await SignInAsync(page, "dev-author");
        await page.GotoAsync($"/console#/campaigns/{id}");
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("hoàn tất", Bounded);
        await page.GetByRole(AriaRole.Button, new() { Name = "Tạo lần gửi lại và gửi phê duyệt" }).ClickAsync();
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("chờ phê duyệt", Bounded);
        await Expect(page.GetByTestId("review-resend-of")).ToHaveTextAsync(id, Bounded);
        await Expect(page.GetByTestId("review-recipients")).ToHaveTextAsync(unreached.ToString(System.Globalization.CultureInfo.InvariantCulture), Bounded);
        var draft = new Uri(page.Url).Fragment.Split('/')[^1];
        Assert.NotEqual(id, draft);
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();

        // It waits in the approver's queue like any campaign, and its author cannot approve it.
        var queue = await world.OpenConsoleAsync(requests);
        await SignInAsync(queue, "dev-approver");
        await queue.GetByRole(AriaRole.Link, new() { Name = "Chờ phê duyệt" }).ClickAsync();
        await queue.GetByRole(AriaRole.Link, new() { Name = $"Gửi lại: {name}", Exact = true }).ClickAsync();
        await Expect(queue.GetByTestId("review-resend-of")).ToHaveTextAsync(id, Bounded);
        await Expect(queue.GetByRole(AriaRole.Button, new() { Name = "Phê duyệt và gửi" })).ToBeVisibleAsync(Visible);
        world.AssertNoScriptProblems(queue);
        await queue.Context.CloseAsync();
        var stored = await approver.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{draft}");
        Assert.Equal(id, stored.GetProperty("resendOf").GetString());
        Assert.Equal("pending_approval", stored.GetProperty("status").GetString());

        // Through push: one unreached number has a phone now; the campaign had no notification, so the form asks for one.
        using var operatorClient = loa.Client("dev-operator");
        var unreachedNumber = (await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/deliveries?unmask=true&limit=1000"))
            .GetProperty("items").EnumerateArray().First(d => d.GetProperty("status").GetString() is "failed" or "expired").GetProperty("recipient").GetString()!;
        using var admin = loa.Client("dev-admin");
        var appKey = await admin.PostAsJsonAsync("/api/v1/keys", new { name = $"console-rpush-{Guid.NewGuid():n}"[..24], tenant = "national", roles = new[] { "app" } });
        using var app = loa.Client((await appKey.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
        var token = $"crpush{Guid.NewGuid():n}{new string('p', 40)}";
        (await app.PostAsJsonAsync("/api/v1/devices", new { token, platform = "android", app = "loa", province = "01", language = "vi", msisdn = unreachedNumber })).EnsureSuccessStatusCode();
        try
        {
            var byPush = await world.OpenConsoleAsync(requests);
            await SignInAsync(byPush, "dev-author");
            await byPush.GotoAsync($"/console#/campaigns/{id}");
            await Expect(byPush.GetByTestId("campaign-status")).ToHaveTextAsync("hoàn tất", Bounded);
            await byPush.GetByLabel("bằng thông báo ứng dụng, tới các thiết bị gắn với những số đó").CheckAsync();
            await byPush.Locator("#resend-push-title").FillAsync("Cảnh báo lừa đảo");
            await byPush.Locator("#resend-push-body").FillAsync("Không cung cấp mã OTP cho bất kỳ ai.");
            await byPush.GetByRole(AriaRole.Button, new() { Name = "Tạo lần gửi lại và gửi phê duyệt" }).ClickAsync();
            await Expect(byPush.GetByTestId("campaign-status")).ToHaveTextAsync("chờ phê duyệt", Bounded);
            await Expect(byPush.GetByTestId("review-push-devices")).ToHaveTextAsync("1 thiết bị", Bounded);
            await AssertTranslatedAsync(byPush);
            world.AssertNoScriptProblems(byPush);
            var pushDraft = new Uri(byPush.Url).Fragment.Split('/')[^1];
            await byPush.Context.CloseAsync();
            var pushStored = await approver.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{pushDraft}");
            Assert.Equal(["push"], pushStored.GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
            Assert.Equal("push", pushStored.GetProperty("audience").GetProperty("resend").GetProperty("channel").GetString());
            // Left for nobody to approve: it would push to this world's device, which other specs count.
            (await approver.PostAsync($"/api/v1/campaigns/{pushDraft}/cancel", null)).EnsureSuccessStatusCode();
        }
        finally
        {
            await app.DeleteAsync($"/api/v1/devices/{Uri.EscapeDataString(token)}");
        }
        Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_campaign_that_pushed_without_an_sms_text_asks_for_one_before_it_is_re_sent()
    {
        var loa = world.Loa;
        using var admin = loa.Client("dev-admin");
        var appKey = await admin.PostAsJsonAsync("/api/v1/keys", new { name = $"console-resend-{Guid.NewGuid():n}"[..24], tenant = "national", roles = new[] { "app" } });
        using var app = loa.Client((await appKey.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
        var token = $"cresend{Guid.NewGuid():n}{new string('s', 40)}";
        (await app.PostAsJsonAsync("/api/v1/devices", new { token, platform = "android", app = "loa", province = "11", language = "vi", msisdn = "0869931001" })).EnsureSuccessStatusCode();
        try
        {
            using var author = loa.Client("dev-author");
            using var approver = loa.Client("dev-approver");
            var id = await LoaTestHost.CreateCampaignAsync(author, new
            {
                name = "Thông báo Điện Biên", kind = "warning", channels = new[] { "push" },
                message = new { push = new { title = "Cảnh báo", body = "Không bấm vào đường link lạ." } },
                audience = new { devices = true, apps = new[] { "loa" }, provinces = new[] { "11" } }, options = new { verifyCode = true },
            });
            await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
            await LoaTestHost.WaitForEndAsync(approver, id, TimeSpan.FromSeconds(60));

            var requests = new List<string>();
            var page = await world.OpenConsoleAsync(requests);
            await SignInAsync(page, "dev-author");
            await page.GotoAsync($"/console#/campaigns/{id}");
            await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("hoàn tất", Bounded);
            // The body as it was pushed, with the campaign's own verification suffix.
            await Expect(page.GetByTestId("review-push-body")).ToHaveTextAsync(
                new System.Text.RegularExpressions.Regex(@"^Không bấm vào đường link lạ\. Xac thuc: loa\.gov\.vn/a/[0-9A-Z]{6}$"), Bounded);
            // The push reached its one device: the form takes the text, and the server answers that nobody is left.
            var text = page.GetByLabel("Nội dung SMS gửi tới số điện thoại gắn với các thiết bị đó");
            await Expect(text).ToBeVisibleAsync(Visible);
            await text.FillAsync("Canh bao: khong bam vao duong link la.");
            await page.GetByRole(AriaRole.Button, new() { Name = "Tạo lần gửi lại và gửi phê duyệt" }).ClickAsync();
            await Expect(page.Locator("#action-error")).ToContainTextAsync("Không có ai cần gửi lại", Contains);
            await AssertTranslatedAsync(page);
            world.AssertNoScriptProblems(page);
            await page.Context.CloseAsync();
            Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
        }
        finally
        {
            await app.DeleteAsync($"/api/v1/devices/{Uri.EscapeDataString(token)}");
        }
    }

    public static TheoryData<string> Languages => ["vi", "en"];

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Every_screen_shows_only_translated_strings(string language)
    {
        var requests = new List<string>();
        var page = await world.OpenConsoleAsync(requests);
        await page.GetByTestId("lang").SelectOptionAsync(language);
        await AssertTranslatedAsync(page);
        // A key with every role, so every screen and link shows.
        using var admin = world.Loa.Client("dev-admin");
        var created = await admin.PostAsJsonAsync("/api/v1/keys", new { name = $"all-roles-{language}", tenant = "national", roles = new[] { "author", "approver", "operator", "admin" } });
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        await page.Locator("#key-input").FillAsync(key);
        await page.Locator("#signin-button").ClickAsync();
        await Expect(page.GetByTestId("who-name")).ToHaveTextAsync($"all-roles-{language}", Bounded);
        string[] screens = ["#/", "#/review", "#/compose", "#/upload", "#/templates", "#/keys", "#/audit", "#/communes"];
        foreach (var screen in screens)
        {
            await page.GotoAsync("/console" + screen);
            await Expect(page.Locator("main h1:visible").First).Not.ToBeEmptyAsync(new() { Timeout = DashboardWorld.TimeoutMs });
            await AssertTranslatedAsync(page);
            await AssertAccessibleAsync(page, screen);
        }
        await page.GotoAsync("/console#/audit");
        await page.Locator("#audit-verify").ClickAsync();
        await Expect(page.GetByTestId("audit-verified")).ToContainTextAsync(language == "vi" ? "Toàn vẹn" : "Intact", Contains);
        Assert.Equal(language, await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
        Assert.All(requests, url => Assert.StartsWith(world.Loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_a_phone_sized_window_the_review_screen_fits_without_sideways_scrolling()
    {
        using var author = world.Loa.Client("dev-author");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(5), "phone");
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        var page = await world.OpenConsoleAsync([]);
        await page.SetViewportSizeAsync(390, 844);
        await SignInAsync(page, "dev-approver");
        await page.GotoAsync($"/console#/campaigns/{id}");
        await Expect(page.GetByTestId("review-text")).Not.ToBeEmptyAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByTestId("review-by-province")).ToHaveTextAsync("không rõ tỉnh5", Bounded);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
            "the page scrolls sideways at 390 px");
        // Every control can be reached by keyboard: tabbing lands on the language switch before long.
        for (var i = 0; i < 5 && await page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''") != "lang"; i++)
            await page.Keyboard.PressAsync("Tab");
        Assert.Equal("lang", await page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''"));
        await ScreenshotAsync(page, "phone");
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();

        // The compose screen too, with its audience filters open and the push section shown.
        var compose = await world.OpenConsoleAsync([]);
        await compose.SetViewportSizeAsync(390, 844);
        await SignInAsync(compose, "dev-author");
        await compose.GotoAsync("/console#/compose");
        await Expect(compose.Locator("#c-lists input").First).ToBeVisibleAsync(Visible);
        await compose.GetByText("Thu hẹp người nhận (nhãn, xã/phường, nhà mạng)").ClickAsync();
        await compose.GetByRole(AriaRole.Checkbox, new() { Name = "Thông báo ứng dụng (push) tới các thiết bị đã đăng ký" }).CheckAsync();
        await Expect(compose.Locator("#c-push-title")).ToBeVisibleAsync(Visible);
        Assert.True(await compose.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
            "the compose screen scrolls sideways at 390 px");
        await AssertAccessibleAsync(compose, "compose on a phone");
        // The template library with its form open: the table scrolls inside its card, the page does not.
        await compose.GotoAsync("/console#/templates");
        await compose.Locator("#tpl-new").ClickAsync();
        await Expect(compose.Locator("#tpl-title")).ToBeVisibleAsync(Visible);
        Assert.True(await compose.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
            "the template library scrolls sideways at 390 px: " + await compose.EvaluateAsync<string>(
                "() => [...document.querySelectorAll('body *')].filter(n => n.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(n => n.tagName + '#' + n.id + '.' + n.className + ' ' + Math.round(n.getBoundingClientRect().right)).join(' | ')"));
        await AssertAccessibleAsync(compose, "templates on a phone");
        world.AssertNoScriptProblems(compose);
        await compose.Context.CloseAsync();
    }

    private const int HttpStatusOk = 200;

    [Fact]
    public async Task An_approver_is_told_when_the_recipients_are_an_upper_bound_while_shared_numbers_are_counted()
    {
        using var authorClient = world.Loa.Client("dev-author");
        var first = (await LoaTestHost.UploadListAsync(authorClient, LoaTestHost.NumbersCsv(12, province: "01"), "chung 1")).GetProperty("id").GetString()!;
        var second = (await LoaTestHost.UploadListAsync(authorClient, LoaTestHost.NumbersCsv(12, province: "01", offset: 6), "chung 2")).GetProperty("id").GetString()!;
        var created = await authorClient.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Hai danh sách trùng số", kind = "warning", channels = new[] { "sms" }, message = new { sms = "Cuc ATTT canh bao." },
            audience = new { lists = new[] { first, second } },
        });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        (await authorClient.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();

        var requests = new List<string>();
        var approver = await world.OpenConsoleAsync(requests);
        // The walk of two small lists is done in milliseconds: the answer is made to say what a large set's first
        // previews say (an upper bound, 24 rows for 18 numbers), so the page's side of it can be seen.
        await approver.RouteAsync($"**/api/v1/campaigns/{id}", async route =>
        {
            var response = await route.FetchAsync();
            var body = System.Text.Json.Nodes.JsonNode.Parse(await response.TextAsync())!;
            body["preview"]!["exact"] = false;
            body["preview"]!["recipients"] = 24;
            await route.FulfillAsync(new RouteFulfillOptions { Response = response, Body = body.ToJsonString() });
        });
        await SignInAsync(approver, "dev-approver");
        await approver.EvaluateAsync($"() => location.hash = '#/campaigns/{id}'");
        await Expect(approver.GetByTestId("review-recipients")).ToHaveTextAsync("24", Bounded);
        await Expect(approver.Locator("#cv-inexact")).ToContainTextAsync("giới hạn trên", Contains);
        await approver.GetByRole(AriaRole.Button, new() { Name = "Phê duyệt và gửi" }).ClickAsync();
        var dialog = approver.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("sẽ gửi đến 24 người dân", Contains);
        await Expect(dialog).ToContainTextAsync("Con số này là giới hạn trên", Contains);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Quay lại" }).ClickAsync();
        await Expect(approver.GetByTestId("campaign-status")).ToHaveTextAsync("chờ phê duyệt", Bounded);

        // The real answer: the lists' 18 numbers, exact, and the dialog says no more than that.
        await approver.UnrouteAsync($"**/api/v1/campaigns/{id}");
        await approver.ReloadAsync();
        await Expect(approver.GetByTestId("review-recipients")).ToHaveTextAsync("18", Bounded);
        await Expect(approver.Locator("#cv-inexact")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await approver.GetByRole(AriaRole.Button, new() { Name = "Phê duyệt và gửi" }).ClickAsync();
        await Expect(dialog).ToContainTextAsync("sẽ gửi đến 18 người dân", Contains);
        await Expect(dialog).Not.ToContainTextAsync("giới hạn trên", new() { Timeout = DashboardWorld.TimeoutMs });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Quay lại" }).ClickAsync();
        world.AssertNoScriptProblems(approver);
        await approver.Context.CloseAsync();
    }

    [Fact]
    public async Task English_chosen_while_the_Vietnamese_strings_still_load_is_what_the_page_shows()
    {
        var page = await world.NewPageAsync();
        // The Vietnamese strings answer late (a slow link, a loaded server): the reader picks English meanwhile.
        var release = new TaskCompletionSource();
        await page.RouteAsync("**/console/vi.json", async route =>
        {
            await release.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await route.ContinueAsync();
        });
        await page.GotoAsync("/console");
        await page.GetByTestId("lang").SelectOptionAsync("en");
        await Expect(page.GetByLabel("API key", new() { Exact = true })).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        var late = page.WaitForResponseAsync("**/console/vi.json", new() { Timeout = DashboardWorld.TimeoutMs });
        release.SetResult(); // the Vietnamese answer arrives after: it changes nothing
        await late;
        await page.EvaluateAsync("() => new Promise(r => setTimeout(r, 200))");
        await Expect(page.GetByLabel("API key", new() { Exact = true })).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByTestId("lang")).ToHaveValueAsync("en", new() { Timeout = DashboardWorld.TimeoutMs });
        await SignInAsync(page, "dev-author", button: "Sign in", label: "API key");
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
    }
}
