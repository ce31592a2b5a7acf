using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.CarrierSimulators.Push;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Loa.Dashboard.Tests;

/// <summary>The operator dashboard at <c>/</c>, driven in Chromium against a real Loa host.</summary>
public sealed partial class DashboardSpecs(DashboardWorld world) : IClassFixture<DashboardWorld>
{
    private const string WarningName = "Cảnh báo lừa đảo qua điện thoại";
    private const string WarningText = "Cục ATTT cảnh báo: không cung cấp mã OTP cho bất kỳ ai.";

    /// <summary>
    /// Set to a path (e.g. docs/dashboard.png; a relative one is taken from the repository root) to
    /// save a screenshot of the campaign page mid-run.
    /// </summary>
    private const string ScreenshotVariable = "LOA_DASHBOARD_SCREENSHOT";

    private static readonly LocatorAssertionsToHaveTextOptions Bounded = new() { Timeout = DashboardWorld.TimeoutMs };

    [Fact]
    public async Task An_operator_watches_a_running_campaign_advance_and_cancels_it()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3000), "dashboard list");
        var id = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = WarningName,
            kind = "warning",
            channels = new[] { "sms" },
            message = new { sms = WarningText },
            audience = new { lists = new[] { list.GetProperty("id").GetString() } },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);

        var page = await world.NewPageAsync();
        await SignInAsync(page, "dev-operator");

        // The list shows it with its Vietnamese name intact, and opens it.
        var link = page.GetByRole(AriaRole.Link, new() { Name = WarningName, Exact = true });
        await Expect(link).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(link).ToHaveTextAsync(WarningName, Bounded);
        await link.ClickAsync();
        await Expect(page.Locator("#c-name")).ToHaveTextAsync(WarningName, Bounded);
        await Expect(page.Locator("#c-message")).ToHaveTextAsync(WarningText, Bounded);
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("running", Bounded);

        // Who wrote and approved it, by their keys' names, not the ids (those are under the names, cut to the
        // column, and in full on hover); no fact is drawn over the next column.
        var keys = loa.Services.GetRequiredService<ApiKeyStore>();
        var authorId = "key:" + (await keys.FindAsync("dev-author"))!.Id;
        await Expect(page.Locator("#c-created-by .principal-name")).ToHaveTextAsync("dev-author", Bounded);
        await Expect(page.Locator("#c-created-by")).ToHaveAttributeAsync("title", authorId, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.Locator("#c-approved-by .principal-name")).ToHaveTextAsync("dev-approver", Bounded);
        await Expect(page.Locator("#c-approved-by")).ToHaveAttributeAsync("title", "key:" + (await keys.FindAsync("dev-approver"))!.Id, new() { Timeout = DashboardWorld.TimeoutMs });
        await ConsolePage.AssertFactsFitAsync(page);

        // Progress advances while we watch: two readings of delivered, the second larger.
        var first = await WaitForDeliveredAboveAsync(page, 0);
        var second = await WaitForDeliveredAboveAsync(page, first);
        Assert.True(second > first, $"delivered went from {first} to {second}");
        await Expect(page.Locator("#carriers .carrier")).ToHaveCountAsync(5, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.Locator("#chart svg path.line-delivered")).ToHaveCountAsync(1, new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.DoesNotMatch(ConsolePage.PhoneNumber(), await page.InnerTextAsync("body"));

        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } screenshot)
        {
            // A chart with some history to it, for the README.
            await page.WaitForTimeoutAsync(12_000);
            await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("running", Bounded);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = ConsolePage.FromRepositoryRoot(screenshot), FullPage = true });
        }

        // Cancel, through the in-page confirmation.
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel campaign" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(dialog).ToContainTextAsync(WarningName, new() { Timeout = DashboardWorld.TimeoutMs });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Yes, cancel it" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("cancelled", Bounded);
        await Expect(page.Locator("#action-cancel")).ToBeDisabledAsync(new() { Timeout = DashboardWorld.TimeoutMs });

        var progress = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
        Assert.Equal("cancelled", progress.GetProperty("status").GetString());
        Assert.True(progress.GetProperty("delivered").GetInt64() < progress.GetProperty("total").GetInt64());

        // A second cancel is refused by the API; the page shows the problem readably.
        await page.EvaluateAsync("() => { const b = document.getElementById('action-cancel'); b.disabled = false; b.click(); }");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Yes, cancel it" }).ClickAsync();
        await Expect(page.Locator("#action-error")).ToContainTextAsync("(409)", new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.Locator("#action-error")).ToContainTextAsync("cancelled campaign cannot be cancelled", new() { Timeout = DashboardWorld.TimeoutMs });
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_test_campaign_is_marked_TEST_the_page_asks_no_other_host_and_an_author_gets_no_cancel_button()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(20), "drill list");
        var listId = list.GetProperty("id").GetString()!;
        const string drill = "Diễn tập cảnh báo với nhà mạng";
        var testId = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = drill, kind = "test", channels = new[] { "sms" }, message = new { sms = "Dien tap" }, audience = new { lists = new[] { listId } },
        });
        // Names come from users: one that looks like markup must show as the text it is.
        const string draft = "Nháp <img src=x onerror=\"window.__xss=1\">: mã độc trên Android";
        await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = draft, kind = "warning", channels = new[] { "sms" }, message = new { sms = "Canh bao" }, audience = new { lists = new[] { listId } },
        });

        const string emergency = "Khẩn cấp: lừa đảo giả danh ngân hàng";
        await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = emergency, kind = "emergency", channels = new[] { "sms" }, message = new { sms = "Canh bao khan" }, audience = new { lists = new[] { listId } },
        });

        var page = await world.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);
        await SignInAsync(page, "dev-author");
        await Expect(page.Locator("#who-roles")).ToHaveTextAsync("author", Bounded);

        var testRow = page.Locator($"tr[data-id='{testId}']");
        await Expect(testRow).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(testRow.Locator(".kind")).ToHaveTextAsync("TEST", Bounded);
        await Expect(testRow).ToHaveClassAsync(new Regex(@"\brow-test\b"), new() { Timeout = DashboardWorld.TimeoutMs });
        var draftRow = page.Locator("tr.campaign", new() { HasText = draft });
        await Expect(draftRow.Locator(".kind")).ToHaveTextAsync("warning", Bounded);
        await Expect(draftRow.Locator("td.name a")).ToHaveTextAsync(draft, Bounded);
        var emergencyRow = page.Locator("tr.campaign", new() { HasText = emergency });
        await Expect(emergencyRow.Locator(".kind")).ToHaveTextAsync("EMERGENCY", Bounded);
        await Expect(emergencyRow).ToHaveClassAsync(new Regex(@"\brow-emergency\b"), new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.Locator("#campaign-rows img")).ToHaveCountAsync(0, new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));

        await page.GetByRole(AriaRole.Link, new() { Name = drill, Exact = true }).ClickAsync();
        await Expect(page.Locator("#c-name")).ToHaveTextAsync(drill, Bounded);
        await Expect(page.Locator("#c-banner")).ToContainTextAsync("TEST", new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("draft", Bounded);
        await Expect(page.GetByTestId("total-total")).ToHaveTextAsync("0", Bounded);
        // An author may neither cancel nor pause: no such buttons at all.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel campaign" })).ToHaveCountAsync(0, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToHaveCountAsync(0, new() { Timeout = DashboardWorld.TimeoutMs });

        // Sign out forgets the key.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('loa.dashboard.key')"));

        var origin = loa.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.NotEmpty(requests);
        Assert.All(requests, url => Assert.StartsWith(origin + "/", url, StringComparison.Ordinal));
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task With_throughput_and_failures_endpoints_the_page_charts_and_tables_their_answers()
    {
        // Their answers are stood in for here, in the endpoints' shape, so the chart and table meet known figures.
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(10), "chart list");
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        var now = DateTimeOffset.UtcNow;
        var buckets = Enumerable.Range(0, 6).Select(i => new
        {
            at = now.AddSeconds(-80 + (i * 10)).ToString("O", CultureInfo.InvariantCulture), submitted = 100, delivered = 90, failed = 10,
        });
        const string hostile = "<img src=x onerror=\"window.__xss=1\">";
        var page = await world.NewPageAsync();
        await page.RouteAsync("**/api/v1/campaigns/*/throughput?*", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200, ContentType = "application/json", Body = JsonSerializer.Serialize(new { bucketSeconds = 10, items = buckets }),
        }));
        await page.RouteAsync("**/api/v1/campaigns/*/failures", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200, ContentType = "application/json",
            Body = JsonSerializer.Serialize(new
            {
                items = new object[] { new { carrier = "viettel", reason = hostile, count = 7 }, new { carrier = "mobifone", reason = "simulated expired", count = 12 } },
            }),
        }));
        await SignInAsync(page, "dev-operator");
        await page.GotoAsync($"/#/campaigns/{id}");

        await Expect(page.Locator("#rate-source")).ToContainTextAsync("throughput endpoint", new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.Locator("#chart svg")).ToHaveAttributeAsync("aria-label", "Latest: 10 submitted, 9 delivered, 1 failed per second",
            new() { Timeout = DashboardWorld.TimeoutMs });
        var rows = page.Locator("#failure-rows tr");
        await Expect(rows).ToHaveCountAsync(2, new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(rows.Nth(0).Locator("td")).ToHaveTextAsync(["simulated expired", "mobifone", "12"], new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(rows.Nth(1).Locator("td")).ToHaveTextAsync([hostile, "viettel", "7"], new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.Locator("#failure-rows img")).ToHaveCountAsync(0, new() { Timeout = DashboardWorld.TimeoutMs });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_page_and_its_assets_are_served_with_a_strict_policy_and_me_says_who_is_signed_in()
    {
        using var anonymous = new HttpClient { BaseAddress = world.Loa.BaseAddress };
        var html = await anonymous.GetAsync("/");
        html.EnsureSuccessStatusCode();
        Assert.Equal("text/html; charset=utf-8", html.Content.Headers.ContentType?.ToString());
        var policy = string.Join(";", html.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", string.Join(",", html.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-cache", html.Headers.CacheControl?.ToString());
        var body = await html.Content.ReadAsStringAsync();
        Assert.Contains("<meta charset=\"utf-8\">", body, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase), body); // no inline script
        Assert.DoesNotMatch(new Regex(@"(src|href)=""(https?:)?//", RegexOptions.IgnoreCase), body); // nothing from elsewhere

        foreach (var (path, type) in new[] { ("/dashboard/app.js", "text/javascript; charset=utf-8"), ("/dashboard/app.css", "text/css; charset=utf-8") })
        {
            var asset = await anonymous.GetAsync(path);
            asset.EnsureSuccessStatusCode();
            Assert.Equal(type, asset.Content.Headers.ContentType?.ToString());
            using var again = new HttpRequestMessage(HttpMethod.Get, path);
            again.Headers.TryAddWithoutValidation("If-None-Match", asset.Headers.ETag!.ToString());
            Assert.Equal(System.Net.HttpStatusCode.NotModified, (await anonymous.SendAsync(again)).StatusCode);
        }
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await anonymous.GetAsync("/dashboard/secrets.json")).StatusCode);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/me")).StatusCode);
        using var approver = world.Loa.Client("dev-approver");
        var me = await approver.GetFromJsonAsync<JsonElement>("/api/v1/me");
        Assert.Equal("dev-approver", me.GetProperty("name").GetString());
        Assert.Equal("national", me.GetProperty("tenant").GetString());
        Assert.Equal(new[] { "approver" }, me.GetProperty("roles").EnumerateArray().Select(r => r.GetString() ?? "").ToArray());
    }

    [Fact]
    public async Task A_campaign_replaced_by_an_approved_correction_says_so_and_links_both_ways()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3000), "supersede list");
        var original = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = WarningName,
            kind = "warning",
            channels = new[] { "sms" },
            message = new { sms = WarningText },
            audience = new { lists = new[] { list.GetProperty("id").GetString() } },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, original);
        var correction = (await (await author.PostAsJsonAsync($"/api/v1/campaigns/{original}/correction",
                new { message = new { sms = "Đính chính: " + WarningText } }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await LoaTestHost.SubmitAndApproveAsync(author, approver, correction);

        var page = await world.NewPageAsync();
        await SignInAsync(page, "dev-approver");
        await page.GotoAsync($"/#/campaigns/{original}");

        await Expect(page.GetByTestId("superseded-by")).ToHaveTextAsync(correction, Bounded);
        await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("cancelled", Bounded);
        await page.GetByTestId("superseded-by").GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("#c-corrects")).ToHaveTextAsync(original, Bounded);
        await Expect(page.Locator("#c-superseded-row")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(page.Locator("#c-cap-row")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        world.AssertNoScriptProblems(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_Push_campaign_shows_what_FCM_took_and_the_phones_acknowledged_per_app_and_its_SMS_fallback_apart_from_the_carriers()
    {
        const string pushTitle = "Cảnh báo lừa đảo";
        const string pushBody = "Không cung cấp mã OTP cho bất kỳ ai, kể cả người xưng là ngân hàng.";
        const int devices = 8;
        const int linked = 4;
        var loa = world.Loa;
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("dashboard-app", "dashboard app", "national", ["app"]);
        using var app = loa.Client("dashboard-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var tokens = Enumerable.Range(0, devices).Select(i => $"dash{i}{Guid.NewGuid():n}:APA91b{new string('d', 60)}").ToList();
        for (var i = 0; i < devices; i++)
        {
            // Half the devices are linked to a number, so that the fallback has someone to text or to spare.
            var registered = await app.PostAsJsonAsync("/api/v1/devices", new
            {
                token = tokens[i], platform = "android", app = "loa", province = "HN", msisdn = i < linked ? $"08699100{i:D2}" : null,
            });
            Assert.Equal(System.Net.HttpStatusCode.Created, registered.StatusCode);
        }
        // The simulated phones acknowledge most pushes and open some, through the API as the app would.
        var phones = loa.Services.GetRequiredService<PushSimulatorHost>();
        phones.Acknowledge(loa.BaseAddress, "dashboard-app", receivedRatio: 0.75, openedRatio: 0.5);
        try
        {
            var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(13), "push dashboard list");
            var id = await LoaTestHost.CreateCampaignAsync(author, new
            {
                name = WarningName,
                kind = "warning",
                channels = new[] { "sms", "push" },
                message = new { sms = WarningText, push = new { title = pushTitle, body = pushBody } },
                audience = new { lists = new[] { list.GetProperty("id").GetString() }, devices = true },
                // The shortest wait allowed: the page is watched while the fallback is due and after it went.
                options = new { fallback = new { channel = "sms", after = "PT1M" } },
            });
            await LoaTestHost.SubmitAndApproveAsync(author, approver, id);

            var page = await world.NewPageAsync();
            await SignInAsync(page, "dev-operator");
            await page.GotoAsync($"/#/campaigns/{id}");
            await Expect(page.Locator("#c-message")).ToHaveTextAsync(WarningText, Bounded);
            var message = page.GetByRole(AriaRole.Group, new() { Name = "Push notification" });
            await Expect(message.GetByTestId("push-title")).ToHaveTextAsync(pushTitle, Bounded);
            await Expect(message.GetByTestId("push-body")).ToHaveTextAsync(pushBody, Bounded);

            var panel = page.GetByRole(AriaRole.Region, new() { Name = "Push", Exact = true });
            await Expect(panel.GetByRole(AriaRole.Heading, new() { Name = "Push", Exact = true })).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(panel.GetByTestId("push-accepted")).ToHaveAttributeAsync("data-value", devices.ToString(CultureInfo.InvariantCulture), new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(panel.GetByRole(AriaRole.Heading, new() { Name = "SMS fallback" })).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });

            // Once over (a minute after the pushes, the fallback has gone), the page shows progress's own figures.
            var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(2));
            await Expect(page.GetByTestId("campaign-status")).ToHaveTextAsync("completed", Bounded);
            var push = done.GetProperty("push");
            var (accepted, received, opened) = (push.GetProperty("accepted").GetInt64(), push.GetProperty("received").GetInt64(), push.GetProperty("opened").GetInt64());
            var fallback = done.GetProperty("fallback");
            var (sent, saved) = (fallback.GetProperty("sent").GetInt64(), fallback.GetProperty("saved").GetInt64());
            Assert.Equal(devices, accepted);
            Assert.Equal(linked, sent + saved); // each linked device's push was either acknowledged in time or followed by its SMS
            Assert.True(received > 0 && opened <= received, done.ToString());
            await ExpectFigureAsync(panel, "push-accepted", accepted);
            await ExpectFigureAsync(panel, "push-received", received);
            await ExpectFigureAsync(panel, "push-opened", opened);
            await ExpectFigureAsync(panel, "fallback-sent", sent);
            await ExpectFigureAsync(panel, "fallback-saved", saved);
            await Expect(panel.GetByTestId("push-received-share")).ToHaveTextAsync($"{Share(received, accepted)}% of accepted", Bounded);
            await Expect(panel.GetByTestId("push-opened-share")).ToHaveTextAsync($"{Share(opened, accepted)}% of accepted", Bounded);

            // The app's lane is under the app's name in the panel, and not among the carriers.
            var lane = done.GetProperty("byCarrier").GetProperty("push-loa");
            var loaApp = panel.Locator(".push-app[data-app='loa']");
            await Expect(loaApp).ToContainTextAsync("App loa", new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(loaApp).ToContainTextAsync($"{lane.GetProperty("delivered").GetInt64()} accepted · {lane.GetProperty("failed").GetInt64()} failed", new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(loaApp).ToContainTextAsync($"of {lane.GetProperty("total").GetInt64()} devices", new() { Timeout = DashboardWorld.TimeoutMs });
            var smsCarriers = done.GetProperty("byCarrier").EnumerateObject().Count(c => !c.Name.StartsWith("push-", StringComparison.Ordinal));
            await Expect(page.Locator("#carriers .carrier")).ToHaveCountAsync(smsCarriers, new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(page.Locator("#carriers")).Not.ToContainTextAsync("push", new() { Timeout = DashboardWorld.TimeoutMs });

            // Neither a number nor a device token is anywhere on the page.
            Assert.DoesNotMatch(ConsolePage.PhoneNumber(), await page.InnerTextAsync("body"));
            var html = await page.ContentAsync();
            Assert.All(tokens, token => Assert.DoesNotContain(token[..12], html, StringComparison.Ordinal));
            world.AssertNoScriptProblems(page);
            await page.Context.CloseAsync();
        }
        finally
        {
            phones.Acknowledge(null, null, 0, 0);
        }
    }

    [Fact]
    public async Task A_push_through_topics_shows_the_phones_that_acknowledged_apart_from_the_topic_sends_and_no_share_over_100_percent()
    {
        const int phones = 3;
        var loa = world.Loa;
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("dashboard-news", "news app", "national", ["app"]);
        using var app = loa.Client("dashboard-news");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var simulator = loa.Services.GetRequiredService<PushSimulatorHost>();
        var tokens = Enumerable.Range(0, phones).Select(i => $"news{i}{Guid.NewGuid():n}:APA91b{new string('n', 60)}").ToList();
        foreach (var token in tokens)
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, (await app.PostAsJsonAsync("/api/v1/devices",
                new { token, platform = "android", app = "news", province = "HN", language = "vi" })).StatusCode);
            simulator.Tokens.Register(token, ["news-01-vi"]); // the app subscribed the phone to its topic
        }
        simulator.Acknowledge(loa.BaseAddress, "dashboard-news", receivedRatio: 1, openedRatio: 0);
        try
        {
            var id = await LoaTestHost.CreateCampaignAsync(author, new
            {
                name = "Tin cảnh báo qua chủ đề",
                kind = "warning",
                channels = new[] { "push" },
                message = new { push = new { title = "Cảnh báo", body = "Không bấm vào đường link lạ." } },
                audience = new { devices = true, apps = new[] { "news" } },
            });
            await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
            await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(2));

            var page = await world.NewPageAsync();
            await SignInAsync(page, "dev-operator");
            await page.GotoAsync($"/#/campaigns/{id}");
            var panel = page.GetByRole(AriaRole.Region, new() { Name = "Push", Exact = true });
            // One topic send reached three phones: the figures say so, and no share of the one send is shown.
            await ExpectFigureAsync(panel, "push-accepted", 1);
            await ExpectFigureAsync(panel, "push-received", phones);
            await Expect(panel.GetByTestId("push-received-share")).ToHaveCountAsync(0, new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(panel.GetByTestId("push-topics")).ToContainTextAsync(
                $"Through topics (news): 1 of 1 topic sends accepted; {phones} phones acknowledged them", new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(panel.Locator(".push-app[data-app='news']")).ToContainTextAsync("of 1 topic sends", new() { Timeout = DashboardWorld.TimeoutMs });
            world.AssertNoScriptProblems(page);
            await page.Context.CloseAsync();
        }
        finally
        {
            simulator.Acknowledge(null, null, 0, 0);
            foreach (var token in tokens)
                await app.DeleteAsync($"/api/v1/devices/{Uri.EscapeDataString(token)}");
        }
    }

    [Fact]
    public async Task Under_the_campaigns_the_operator_sees_this_years_coverage_for_everyone_and_each_target_group()
    {
        var loa = world.Loa;
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        // 30 people, a third of them students and a third elderly, reached by one warning.
        var csv = new System.Text.StringBuilder("msisdn,province,tags\n");
        for (var n = 0; n < 30; n++)
            csv.Append(LoaTestHost.Number(9_000 + n)).Append(",01,").Append(n % 3 == 0 ? "student" : n % 3 == 1 ? "elderly" : "").Append('\n');
        var list = await LoaTestHost.UploadListAsync(author, csv.ToString(), "coverage list");
        var id = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Cảnh báo cho học sinh và người cao tuổi",
            kind = "warning",
            channels = new[] { "sms" },
            message = new { sms = WarningText },
            audience = new { lists = new[] { list.GetProperty("id").GetString() } },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(90));

        var page = await world.NewPageAsync();
        await SignInAsync(page, "dev-operator");
        var card = page.Locator("#coverage");
        await Expect(card).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });

        // The card says what the report says for the same months (read after the card, as nothing else sends to these groups now).
        var month = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7));
        var report = await operatorClient.GetFromJsonAsync<JsonElement>(
            $"/api/v1/reports/coverage?from={month:yyyy}-01&to={month:yyyy-MM}&groupBy=tag");
        var students = report.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("tag").GetString() == "student");
        // Not all ten: this world's Viettel fails 3 % and MobiFone expires 2 % of messages, so a student may go unreached.
        Assert.True(students.GetProperty("reached").GetInt64() > 0, students.ToString());
        var studentRow = card.GetByTestId("coverage-student");
        await Expect(studentRow.Locator("th")).ToHaveTextAsync("Students (student)", Bounded);
        await Expect(studentRow.Locator("td").First).ToHaveTextAsync(students.GetProperty("reached").GetInt64().ToString("N0", CultureInfo.InvariantCulture), Bounded);
        await Expect(card.GetByTestId("coverage-elderly")).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(card.GetByTestId("coverage-everyone").Locator("th")).ToHaveTextAsync("Everyone (Internet users)", Bounded);
        // No base entered for students: no share, and the target cannot be judged.
        await Expect(studentRow.Locator("td").Nth(2)).ToHaveTextAsync("—", Bounded);
        await Expect(studentRow.Locator("td").Nth(4)).ToHaveTextAsync("—", Bounded);

        // An author may not read the report: no card for them.
        var authorPage = await world.NewPageAsync();
        await SignInAsync(authorPage, "dev-author");
        await Expect(authorPage.Locator("#campaign-rows tr").First).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        await Expect(authorPage.Locator("#coverage")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
    }

    private static async Task ExpectFigureAsync(ILocator panel, string name, long value) =>
        await Expect(panel.GetByTestId(name)).ToHaveAttributeAsync("data-value", value.ToString(CultureInfo.InvariantCulture), new() { Timeout = DashboardWorld.TimeoutMs });

    /// <summary>A share as the page writes it: a percentage with at most one decimal.</summary>
    private static string Share(long part, long whole) => (100.0 * part / whole).ToString("0.#", CultureInfo.InvariantCulture);

    private static async Task SignInAsync(IPage page, string key)
    {
        var response = await page.GotoAsync("/");
        Assert.NotNull(response);
        Assert.True(response.Ok, $"GET / answered {response.Status}");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("who-name")).ToHaveTextAsync(key, Bounded);
    }

    /// <summary>Waits (bounded) until the page shows more than <paramref name="above"/> delivered, and returns what it shows.</summary>
    private static async Task<long> WaitForDeliveredAboveAsync(IPage page, long above)
    {
        await page.WaitForFunctionAsync(
            "above => Number(document.querySelector('[data-testid=total-delivered]')?.dataset.value ?? 0) > above",
            above, new PageWaitForFunctionOptions { Timeout = DashboardWorld.TimeoutMs, PollingInterval = 200 });
        var value = await page.GetByTestId("total-delivered").GetAttributeAsync("data-value");
        return long.Parse(value!, CultureInfo.InvariantCulture);
    }
}
