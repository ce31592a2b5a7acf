using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Security;

/// <summary>
/// A province principal with every role walks every endpoint against national data and gets no
/// success: 404 where existence would leak, 403 or a refusal otherwise. The walk fails when an
/// endpoint exists that it does not visit, so a new endpoint cannot skip the check.
/// </summary>
public sealed class TenantWalkSpecs
{
    // Endpoints that hold no other tenant's data to reach: health, the API description, carriers'
    // signed webhook, and creating one's own things (each checked below for what it may not name).
    private static readonly HashSet<string> NotTenantScoped =
    [
        "GET /healthz", "* /readyz", "GET /openapi/{documentName}.json", "POST /api/v1/carriers/{carrierId}/receipts",
        "GET ", "GET /dashboard/{file}", // the dashboard's static page and assets: no data in them
        "* /metrics", // counts and rates by carrier, kind, status and lane: no campaign, number or tenant in them
        "GET /api/v1/provinces", "GET /api/v1/provinces/{code}", // public geography: the 34 units and their old codes
        "GET /api/v1/geography/communes", // public geography: the communes operators loaded
        "GET /console", "GET /console/{file}", // the console's static page, script, style and string tables: no data in them
        "GET /docs/{documentName?}", "GET /docs/scalar.js", "GET /docs/scalar.aspnetcore.js", "GET /docs/favicon.svg", // the API reference page and its assets (Scalar): the public OpenAPI document only
        "GET /alerts", "GET /a/{code}", "GET /alerts/style.css", // the public verification page: what was sent to the public, never a test
        "POST /api/v1/sms/measure", // measures the text it is given: reads nothing stored
        "GET /api/v1/push/apps", // the configured push apps' names: configuration, no tenant's data
    ];

    [Fact]
    public async Task A_province_principal_gets_no_success_on_any_endpoint_against_national_data()
    {
        await using var loa = await LoaTestHost.StartAsync();
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync(
            "hn-everything", "hn-everything", "HN", ["author", "approver", "operator", "admin", "app"]);
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("walk-app", "walk-app", "national", ["app"]);
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        using var province = loa.Client("hn-everything");

        // National data: a list, a draft, a pending campaign, a running one, an opt-out.
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(30))).GetProperty("id").GetString()!;
        var draft = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        var pending = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        (await author.PostAsync($"/api/v1/campaigns/{pending}/submit", null)).EnsureSuccessStatusCode();
        var running = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, running);
        (await operatorClient.PostAsync("/api/v1/optouts/0912000001", null)).EnsureSuccessStatusCode();
        using var nationalApp = loa.Client("walk-app");
        const string device = "walk-device:APA91b-national-token";
        (await nationalApp.PostAsJsonAsync("/api/v1/devices", new { token = device, platform = "android", app = "loa", province = "TH" })).EnsureSuccessStatusCode();

        var visited = new HashSet<string>();
        var successes = new List<string>();
        async Task Expect(string method, string pattern, string url, HttpContent? body, params HttpStatusCode[] allowed)
        {
            visited.Add($"{method} {Normalise(pattern)}");
            using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = body };
            var response = await province.SendAsync(request);
            if (response.IsSuccessStatusCode || !allowed.Contains(response.StatusCode))
                successes.Add($"{method} {url} → {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        var notFound = HttpStatusCode.NotFound;
        foreach (var id in new[] { draft, pending, running })
        {
            await Expect("GET", "/api/v1/campaigns/{id}", $"/api/v1/campaigns/{id}", null, notFound);
            await Expect("GET", "/api/v1/campaigns/{id}/progress", $"/api/v1/campaigns/{id}/progress", null, notFound);
            await Expect("GET", "/api/v1/campaigns/{id}/deliveries", $"/api/v1/campaigns/{id}/deliveries?unmask=true", null, notFound);
            await Expect("GET", "/api/v1/campaigns/{id}/failures", $"/api/v1/campaigns/{id}/failures", null, notFound);
            await Expect("GET", "/api/v1/campaigns/{id}/provinces", $"/api/v1/campaigns/{id}/provinces", null, notFound);
            await Expect("GET", "/api/v1/campaigns/{id}/throughput", $"/api/v1/campaigns/{id}/throughput?minutes=180", null, notFound);
            foreach (var action in new[] { "submit", "approve", "pause", "resume", "cancel" })
                await Expect("POST", $"/api/v1/campaigns/{{id}}/{action}", $"/api/v1/campaigns/{id}/{action}", null, notFound);
            await Expect("POST", "/api/v1/campaigns/{id}/reject", $"/api/v1/campaigns/{id}/reject", JsonContent.Create(new { reason = "no" }), notFound);
            await Expect("POST", "/api/v1/campaigns/{id}/correction", $"/api/v1/campaigns/{id}/correction",
                JsonContent.Create(new { message = new { sms = "x" } }), notFound);
            await Expect("POST", "/api/v1/campaigns/{id}/resend", $"/api/v1/campaigns/{id}/resend",
                JsonContent.Create(new { statuses = new[] { "failed" } }), notFound);
            await Expect("GET", "/api/v1/campaigns/{id}/links", $"/api/v1/campaigns/{id}/links", null, notFound);
        }
        await Expect("GET", "/api/v1/lists/{id}", $"/api/v1/lists/{list}", null, notFound);
        await Expect("GET", "/api/v1/optouts/{msisdn}", "/api/v1/optouts/0912000001", null, notFound);
        await Expect("DELETE", "/api/v1/optouts/{msisdn}", "/api/v1/optouts/0912000001", null, notFound);
        await Expect("GET", "/api/v1/replies", "/api/v1/replies", null, HttpStatusCode.Forbidden);
        await Expect("POST", "/api/v1/devices/{token}/acks", "/api/v1/devices/" + Uri.EscapeDataString(device) + "/acks",
            JsonContent.Create(new { campaign = running, @event = "received" }), notFound);
        await Expect("DELETE", "/api/v1/devices/{token}", "/api/v1/devices/" + Uri.EscapeDataString(device), null, notFound);

        using var admin = loa.Client("dev-admin");
        var keys = await admin.GetFromJsonAsync<JsonElement>("/api/v1/keys?limit=100");
        var nationalKey = keys.GetProperty("items").EnumerateArray().First(k => k.GetProperty("tenant").GetString() == "national").GetProperty("id").GetString();
        await Expect("GET", "/api/v1/keys/{id}", $"/api/v1/keys/{nationalKey}", null, notFound);
        await Expect("DELETE", "/api/v1/keys/{id}", $"/api/v1/keys/{nationalKey}", null, notFound);
        await Expect("POST", "/api/v1/keys", "/api/v1/keys", JsonContent.Create(new { name = "sneaky", tenant = "national", roles = new[] { "admin" } }),
            HttpStatusCode.BadRequest, HttpStatusCode.Forbidden);
        // One chain holds every tenant's rows, so only national admins read the audit log.
        await Expect("GET", "/api/v1/audit", "/api/v1/audit", null, HttpStatusCode.Forbidden);
        await Expect("GET", "/api/v1/audit/verify", "/api/v1/audit/verify", null, HttpStatusCode.Forbidden);
        visited.Add("GET /api/v1/keys");
        var provinceKeys = await province.GetFromJsonAsync<JsonElement>("/api/v1/keys?limit=100");
        Assert.All(provinceKeys.GetProperty("items").EnumerateArray(), k => Assert.Equal("01", k.GetProperty("tenant").GetString()));

        // Creating its own things, it cannot name or reach another tenant's.
        await Expect("POST", "/api/v1/campaigns/", "/api/v1/campaigns", JsonContent.Create(LoaTestHost.Campaign(list)), HttpStatusCode.BadRequest);
        await Expect("POST", "/api/v1/campaigns/", "/api/v1/campaigns", JsonContent.Create(new
        {
            name = "x", kind = "warning", channels = new[] { "sms" }, message = new { sms = "x" },
            audience = new { lists = new[] { list }, provinces = new[] { "TH" } },
        }), HttpStatusCode.BadRequest, HttpStatusCode.Forbidden);
        // The compose screen's live preview runs create's checks: another tenant's list or province is refused alike.
        await Expect("POST", "/api/v1/campaigns/preview", "/api/v1/campaigns/preview", JsonContent.Create(LoaTestHost.Campaign(list)), HttpStatusCode.BadRequest);
        await Expect("POST", "/api/v1/campaigns/preview", "/api/v1/campaigns/preview", JsonContent.Create(new
        {
            name = "x", kind = "warning", channels = new[] { "sms" }, message = new { sms = "x" },
            audience = new { lists = new[] { list }, include = new { provinces = new[] { "TH" } } },
        }), HttpStatusCode.BadRequest, HttpStatusCode.Forbidden);
        await Expect("POST", "/api/v1/devices/", "/api/v1/devices", JsonContent.Create(new { token = "walk-hn", platform = "ios", app = "loa", province = "TH" }),
            HttpStatusCode.Forbidden);
        visited.Add("GET /api/v1/campaigns");
        var page = await province.GetFromJsonAsync<JsonElement>("/api/v1/campaigns?limit=500");
        Assert.DoesNotContain(page.GetProperty("items").EnumerateArray(), c => c.GetProperty("tenant").GetString() != "01");
        // Reports answer 200 to a province, with its own tenant's campaigns only: none of the national running one.
        visited.Add("GET /api/v1/reports/deliveries");
        await LoaTestHost.WaitForStatusAsync(operatorClient, running, "completed", TimeSpan.FromSeconds(60));
        var nationalReport = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/reports/deliveries?from=2000-01-01&to=2100-01-01");
        Assert.NotEmpty(nationalReport.GetProperty("items").EnumerateArray());
        var provinceReport = await province.GetFromJsonAsync<JsonElement>("/api/v1/reports/deliveries?from=2000-01-01&to=2100-01-01");
        Assert.Empty(provinceReport.GetProperty("items").EnumerateArray());
        var provinceCsv = await province.GetStringAsync("/api/v1/reports/deliveries?from=2000-01-01&to=2100-01-01&format=csv");
        Assert.Single(provinceCsv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries)); // the header alone
        visited.Add("POST /api/v1/lists");
        var upload = await LoaTestHost.UploadListAsync(province, "msisdn,province\n0912000001,TH\n0912000002,HN\n");
        Assert.Equal(1, upload.GetProperty("accepted").GetInt32()); // the TH row is refused
        // The list picker: a province pages through its own lists only, never the national one.
        visited.Add("GET /api/v1/lists");
        var provinceLists = await province.GetFromJsonAsync<JsonElement>("/api/v1/lists?limit=500");
        Assert.Contains(provinceLists.GetProperty("items").EnumerateArray(), l => l.GetProperty("id").GetString() == upload.GetProperty("id").GetString());
        Assert.All(provinceLists.GetProperty("items").EnumerateArray(), l => Assert.Equal("01", l.GetProperty("tenant").GetString()));
        Assert.DoesNotContain(provinceLists.GetProperty("items").EnumerateArray(), l => l.GetProperty("id").GetString() == list);
        visited.Add("POST /api/v1/optouts");
        visited.Add("POST /api/v1/optouts/{msisdn}"); // records the province's own opt-out; it reads back only its own
        visited.Add("POST /api/v1/alerts/cap"); // provinces and geocodes: tests/CampaignApi.Tests/Alerts
        visited.Add("GET /api/v1/me");
        Assert.Equal("01", (await province.GetFromJsonAsync<JsonElement>("/api/v1/me")).GetProperty("tenant").GetString()); // its own key only

        // Templates: national ones are the shared library every province reads (docs/api.md, Templates) but
        // only national authors change; a province's list holds the national ones and its own, nobody else's.
        var template = await author.PostAsJsonAsync("/api/v1/templates", new { title = "Walk", kind = "awareness", sms = "Cảnh giác lừa đảo" });
        Assert.Equal(HttpStatusCode.Created, template.StatusCode);
        var templateId = (await template.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var walkTemplate = JsonContent.Create(new { title = "Mine now", kind = "awareness", sms = "x" });
        await Expect("PUT", "/api/v1/templates/{id}", $"/api/v1/templates/{templateId}", walkTemplate, HttpStatusCode.Forbidden);
        await Expect("DELETE", "/api/v1/templates/{id}", $"/api/v1/templates/{templateId}", null, HttpStatusCode.Forbidden);
        visited.Add("GET /api/v1/templates/{id}");
        Assert.Equal(HttpStatusCode.OK, (await province.GetAsync($"/api/v1/templates/{templateId}")).StatusCode);
        visited.Add("POST /api/v1/templates");
        var own = await province.PostAsJsonAsync("/api/v1/templates", new { title = "HN", kind = "awareness", sms = "x" });
        Assert.Equal("01", (await own.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tenant").GetString()); // its own, whatever it sends
        visited.Add("GET /api/v1/templates");
        var templates = await province.GetFromJsonAsync<JsonElement>("/api/v1/templates?limit=500");
        Assert.All(templates.GetProperty("items").EnumerateArray(), t => Assert.Contains(t.GetProperty("tenant").GetString(), new[] { "national", "01" }));

        // National campaigns open to joining: national ones only (the walk's own are national), never another province's.
        visited.Add("GET /api/v1/campaigns/joinable");
        var joinable = await province.GetFromJsonAsync<JsonElement>("/api/v1/campaigns/joinable?limit=500");
        var joinableIds = joinable.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.Contains(pending, joinableIds);
        Assert.DoesNotContain(draft, joinableIds);

        // The lists the commune table contradicts: a province reads its own only (the walk's national list is not among them).
        visited.Add("GET /api/v1/geography/communes/review");
        var review = await province.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes/review");
        Assert.All(review.GetProperty("items").EnumerateArray(), l => Assert.Equal("01", l.GetProperty("tenant").GetString()));

        // The commune table is one map for every tenant: a province admin reads it but never loads it.
        await Expect("PUT", "/api/v1/geography/communes", "/api/v1/geography/communes",
            new StringContent("code,name,province\n00004,Phường Ba Đình,TH\n", System.Text.Encoding.UTF8, "text/csv"), HttpStatusCode.Forbidden);
        await Expect("DELETE", "/api/v1/geography/communes", "/api/v1/geography/communes?confirm=0", null, HttpStatusCode.Forbidden);

        // Coverage: the base and the targets are national figures a province reads (its own rows) but never sets.
        await Expect("PUT", "/api/v1/coverage/base", "/api/v1/coverage/base", JsonContent.Create(new
        {
            rows = new[] { new { province = "TH", carrier = "viettel", asOf = "2026-01-01", subscribers = 1, source = "walk" } },
        }), HttpStatusCode.Forbidden);
        await Expect("PUT", "/api/v1/coverage/targets", "/api/v1/coverage/targets", JsonContent.Create(new { rows = Array.Empty<object>() }), HttpStatusCode.Forbidden);
        await Expect("POST", "/api/v1/coverage/base", "/api/v1/coverage/base",
            new StringContent("province,carrier,asOf,subscribers,source\nTH,viettel,2026-01-01,1,walk\n", System.Text.Encoding.UTF8, "text/csv"), HttpStatusCode.Forbidden);
        Assert.True((await operatorClient.PutAsJsonAsync("/api/v1/coverage/base", new
        {
            rows = new[] { new { province = "TH", carrier = "viettel", asOf = "2026-01-01", subscribers = 1000, source = "walk" } },
        })).IsSuccessStatusCode);
        visited.Add("GET /api/v1/coverage/base");
        Assert.Equal(0, (await province.GetFromJsonAsync<JsonElement>("/api/v1/coverage/base?asOf=2026-12-31")).GetArrayLength());
        Assert.Equal(1, (await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/coverage/base?asOf=2026-12-31")).GetArrayLength());
        visited.Add("GET /api/v1/coverage/targets"); // the plans' published targets: no tenant's data
        visited.Add("GET /api/v1/reports/coverage");
        var month = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        var nationalCoverage = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?from={month}&to={month}");
        Assert.True(nationalCoverage.GetProperty("total").GetProperty("reached").GetInt64() > 0);
        var provinceCoverage = await province.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?from={month}&to={month}");
        Assert.Equal(0, provinceCoverage.GetProperty("total").GetProperty("reached").GetInt64());
        Assert.All(provinceCoverage.GetProperty("items").EnumerateArray(), i => Assert.Equal("01", i.GetProperty("province").GetString()));

        // Kept reports: a national export is not there for a province (404), which generates and dates only its own.
        var nationalExport = await operatorClient.PostAsJsonAsync("/api/v1/reports/exports", new { period = month[..4] });
        Assert.Equal(HttpStatusCode.Created, nationalExport.StatusCode);
        var exportId = (await nationalExport.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        await Expect("GET", "/api/v1/reports/exports/{id}", $"/api/v1/reports/exports/{exportId}", null, notFound);
        await Expect("GET", "/api/v1/reports/exports/{id}/file", $"/api/v1/reports/exports/{exportId}/file?format=xlsx", null, notFound);
        await Expect("POST", "/api/v1/reports/exports", "/api/v1/reports/exports", JsonContent.Create(new { period = month[..4], tenant = "national" }), HttpStatusCode.Forbidden);
        await Expect("POST", "/api/v1/reports/exports", "/api/v1/reports/exports", JsonContent.Create(new { period = month[..4], tenant = "TH" }), HttpStatusCode.Forbidden);
        await Expect("PUT", "/api/v1/reports/schedules/{tenant}", "/api/v1/reports/schedules/TH", JsonContent.Create(new { yearly = "0 0 7 1 12 ?" }), HttpStatusCode.Forbidden);
        await Expect("PUT", "/api/v1/reports/schedules/{tenant}", "/api/v1/reports/schedules/national", JsonContent.Create(new { yearly = "0 0 7 1 12 ?" }),
            HttpStatusCode.BadRequest, HttpStatusCode.Forbidden);
        Assert.True((await operatorClient.PutAsJsonAsync("/api/v1/reports/schedules/TH", new { yearly = "0 0 7 25 11 ?" })).IsSuccessStatusCode);
        visited.Add("GET /api/v1/reports/exports");
        Assert.Equal(0, (await province.GetFromJsonAsync<JsonElement>("/api/v1/reports/exports")).GetProperty("items").GetArrayLength());
        visited.Add("GET /api/v1/reports/schedules"); // the national dates are configuration; of the provinces', its own only
        var schedules = (await province.GetFromJsonAsync<JsonElement>("/api/v1/reports/schedules")).GetProperty("items").EnumerateArray().ToList();
        Assert.All(schedules, s => Assert.Contains(s.GetProperty("tenant").GetString(), new[] { "national", "01" }));

        Assert.True(successes.Count == 0, "cross-tenant successes:\n" + string.Join("\n", successes));
        var endpoints = loa.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {Normalise(e.RoutePattern.RawText)}"))
            .Where(e => !NotTenantScoped.Contains(e))
            .ToHashSet();
        var unvisited = endpoints.Where(e => !visited.Contains(e)).ToList();
        Assert.True(unvisited.Count == 0, "endpoints the walk does not visit: " + string.Join(", ", unvisited));
    }

    private static string Normalise(string? pattern) => (pattern ?? "").TrimEnd('/');
}
