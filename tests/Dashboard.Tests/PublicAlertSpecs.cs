using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.CampaignApi.Verification;
using Loa.Tests.Shared;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Loa.Dashboard.Tests;

/// <summary>
/// The public verification page: <c>GET /alerts</c> and <c>GET /a/{code}</c>, anonymous, in Chromium;
/// and <c>options.verifyCode</c>, whose suffix is part of the text measured, previewed, stored and sent.
/// </summary>
public sealed partial class PublicAlertSpecs(DashboardWorld world) : IClassFixture<DashboardWorld>
{
    private const string RealText = "Canh bao: mao danh cong an goi dien yeu cau chuyen tien la lua dao.";
    private const string DrillText = "Dien tap khong duoc cong bo";

    [Fact]
    public async Task A_citizen_finds_a_sent_alert_by_its_code_with_its_exact_text_and_never_a_test()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(10, province: "01"), "public");
        var listId = list.GetProperty("id").GetString()!;

        // 67 GSM-7 characters, plus the 30 of " Xac thuc: loa.gov.vn/a/XXXXXX": 97, still one part; the measure says the same before the code exists.
        using var measured = await author.PostAsJsonAsync("/api/v1/sms/measure", new { text = RealText, kind = "warning", verifyCode = true });
        var measure = await measured.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(RealText.Length + 30, measure.GetProperty("length").GetInt32());
        Assert.EndsWith(" Xac thuc: loa.gov.vn/a/000000", measure.GetProperty("text").GetString(), StringComparison.Ordinal);

        using var created = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Cảnh báo mạo danh công an", kind = "warning", channels = new[] { "sms" }, message = new { sms = RealText },
            audience = new { lists = new[] { listId }, provinces = new[] { "01" } }, options = new { verifyCode = true },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var campaign = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = campaign.GetProperty("id").GetString()!;
        var sent = campaign.GetProperty("sms").GetProperty("text").GetString()!;
        var code = Suffix().Match(sent) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException("no code in " + sent);
        Assert.Equal(RealText + " Xac thuc: loa.gov.vn/a/" + code, sent);
        Assert.Equal(measure.GetProperty("length").GetInt32(), campaign.GetProperty("sms").GetProperty("length").GetInt32());
        Assert.Equal(1, campaign.GetProperty("preview").GetProperty("smsParts").GetInt32());

        // A test with a code is sent too, but never listed.
        var drill = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Diễn tập", kind = "test", channels = new[] { "sms" }, message = new { sms = DrillText },
            audience = new { lists = new[] { listId } }, options = new { verifyCode = true },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        await LoaTestHost.SubmitAndApproveAsync(author, approver, drill);
        await LoaTestHost.WaitForEndAsync(approver, id, TimeSpan.FromSeconds(60));
        await LoaTestHost.WaitForEndAsync(approver, drill, TimeSpan.FromSeconds(60));

        var page = await world.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);
        var list200 = await page.GotoAsync("/alerts");
        Assert.Equal(200, list200!.Status);
        Assert.Equal("public, max-age=60", await list200.HeaderValueAsync("cache-control"));
        var item = page.Locator("ol.alerts article", new() { HasText = code });
        await Expect(item).ToHaveCountAsync(1, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(item.Locator(".text")).ToHaveTextAsync(sent, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(item.Locator(".kind")).ToHaveTextAsync("Cảnh báo", new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(item).ToContainTextAsync("Hà Nội", new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(item.Locator("time")).ToContainTextAsync("(giờ Việt Nam)", new() { Timeout = DashboardWorld.TimeoutMs });
        await ConsolePage.ScreenshotAsync(page, "public-alerts");
        var body = await page.InnerTextAsync("body");
        Assert.DoesNotContain(DrillText, body, StringComparison.Ordinal);
        Assert.DoesNotMatch(ConsolePage.PhoneNumber(), body);
        Assert.DoesNotContain("key:", body, StringComparison.Ordinal);

        // The code in the SMS opens that alert; the lookup form finds it too; an unknown code says so.
        await item.GetByRole(AriaRole.Link, new() { Name = code }).ClickAsync();
        await Expect(page.Locator(".genuine")).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.Locator(".text")).ToHaveTextAsync(sent, new() { Timeout = DashboardWorld.TimeoutMs });
        await ConsolePage.ScreenshotAsync(page, "public-verified");
        await page.GotoAsync("/alerts");
        await page.GetByLabel("Mã xác thực trong tin nhắn").FillAsync(code.ToLowerInvariant());
        await page.GetByRole(AriaRole.Button, new() { Name = "Kiểm tra" }).ClickAsync();
        await Expect(page.Locator("article .text")).ToHaveTextAsync(sent, new() { Timeout = DashboardWorld.TimeoutMs });
        var missing = await page.GotoAsync("/a/ZZZZZZ");
        Assert.Equal(404, missing!.Status);
        await Expect(page.Locator(".unknown")).ToContainTextAsync("Không tìm thấy mã ZZZZZZ", new() { Timeout = DashboardWorld.TimeoutMs });
        var drillCode = VerifyCodes.Of((await approver.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{drill}")).GetProperty("sms").GetProperty("text").GetString());
        Assert.NotNull(drillCode);
        Assert.Equal(404, (await page.GotoAsync($"/a/{drillCode}"))!.Status);

        Assert.DoesNotContain("⟦", await page.InnerTextAsync("body"), StringComparison.Ordinal);

        // The same pages in English, by a visible switch that keeps the reader where they were; the alert's text stays as sent.
        await page.GotoAsync("/alerts");
        Assert.Equal("vi", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Ngôn ngữ" }).GetByRole(AriaRole.Link, new() { Name = "English" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Official alerts", new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.Equal("en", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        var english = page.Locator("ol.alerts article", new() { HasText = code });
        await Expect(english.Locator(".kind")).ToHaveTextAsync("Warning", new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(english.Locator(".text")).ToHaveTextAsync(sent, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(english.Locator("time")).ToContainTextAsync("(Vietnam time)", new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(english).ToContainTextAsync("Hà Nội", new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.DoesNotContain("⟦", await page.InnerTextAsync("body"), StringComparison.Ordinal);
        await ConsolePage.ScreenshotAsync(page, "public-alerts-en");
        await english.GetByRole(AriaRole.Link, new() { Name = code }).ClickAsync();
        await Expect(page.Locator(".genuine")).ToHaveTextAsync("✓ This message was sent by a state agency through Loa.", new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.EndsWith($"/a/{code}?lang=en", page.Url, StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Link, new() { Name = "All recent alerts" }).ClickAsync();
        await page.GetByLabel("Verification code in the message").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        await Expect(page.Locator("article .text")).ToHaveTextAsync(sent, new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.Equal("en", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        var englishMissing = await page.GotoAsync("/a/ZZZZZZ?lang=en");
        Assert.Equal(404, englishMissing!.Status);
        await Expect(page.Locator(".unknown")).ToContainTextAsync("Code ZZZZZZ not found.", new() { Timeout = DashboardWorld.TimeoutMs });
        // Back to Vietnamese from the switch: the default needs no parameter.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Language" }).GetByRole(AriaRole.Link, new() { Name = "Tiếng Việt" }).ClickAsync();
        await Expect(page.Locator(".unknown")).ToContainTextAsync("Không tìm thấy mã ZZZZZZ", new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.EndsWith("/a/ZZZZZZ", page.Url, StringComparison.Ordinal);
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync("/alerts?lang=en");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the public page scrolls sideways at 390 px");

        var origin = loa.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.All(requests, url => Assert.StartsWith(origin + "/", url, StringComparison.Ordinal));
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task One_address_that_asks_too_often_is_answered_429()
    {
        await using var loa = await LoaTestHost.StartAsync(s => s["Loa:PublicAlerts:RequestsPerMinute"] = "3");
        using var anonymous = new HttpClient { BaseAddress = loa.BaseAddress };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
            statuses.Add((await anonymous.GetAsync("/alerts")).StatusCode);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [GeneratedRegex(@" Xac thuc: loa\.gov\.vn/a/([0-9A-Z]{6})$")]
    private static partial Regex Suffix();
}
