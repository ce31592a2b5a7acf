using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Loa.Dashboard.Tests;

/// <summary><c>GET /docs</c>: the API reference over <c>/openapi/v1.json</c>, served by Loa alone.</summary>
public sealed class ApiReferenceSpecs(DashboardWorld world) : IClassFixture<DashboardWorld>
{
    [Fact]
    public async Task The_document_lists_the_main_endpoints_with_their_answers_and_problem_types()
    {
        using var anonymous = new HttpClient { BaseAddress = world.Loa.BaseAddress };
        using var document = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");

        JsonElement Responses(string path, string method) => paths.GetProperty(path).GetProperty(method).GetProperty("responses");
        static string[] Statuses(JsonElement responses) => responses.EnumerateObject().Select(p => p.Name).Order().ToArray();

        var create = Responses("/api/v1/campaigns", "post");
        Assert.Equal(["201", "400", "401", "403", "422", "429"], Statuses(create));
        Assert.True(create.GetProperty("201").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(create.GetProperty("400").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.Contains("sms-too-long", create.GetProperty("422").GetProperty("description").GetString(), StringComparison.Ordinal);

        // What only Loa sets in a campaign's definition is not offered as input.
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        foreach (var (type, field) in new[] { ("CampaignDefinition", "cap"), ("CampaignDefinition", "pushVerification"), ("AudienceDefinition", "resend") })
        {
            var property = schemas.GetProperty(type).GetProperty("properties").GetProperty(field);
            Assert.True(property.TryGetProperty("readOnly", out var readOnly) && readOnly.GetBoolean(), $"{type}.{field}: {property}");
        }
        Assert.False(schemas.GetProperty("CampaignDefinition").GetProperty("properties").GetProperty("name").TryGetProperty("readOnly", out _));

        var approve = Responses("/api/v1/campaigns/{id}/approve", "post");
        Assert.Equal(["200", "401", "403", "404", "409", "429"], Statuses(approve));
        Assert.Contains("two-person-rule", approve.GetProperty("403").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("status-conflict", approve.GetProperty("409").GetProperty("description").GetString(), StringComparison.Ordinal);

        foreach (var (path, method) in new[]
        {
            ("/api/v1/lists", "post"), ("/api/v1/lists/{id}", "get"), ("/api/v1/campaigns", "get"), ("/api/v1/campaigns/{id}", "get"),
            ("/api/v1/campaigns/{id}/submit", "post"), ("/api/v1/campaigns/{id}/reject", "post"), ("/api/v1/campaigns/{id}/cancel", "post"),
            ("/api/v1/campaigns/{id}/progress", "get"), ("/api/v1/keys", "post"), ("/api/v1/keys/{id}", "delete"), ("/api/v1/audit", "get"),
            ("/api/v1/sms/measure", "post"),
        })
        {
            var responses = Responses(path, method);
            Assert.True(responses.TryGetProperty("401", out _), $"{method} {path} lists no 401");
            Assert.Contains(Statuses(responses), s => s.StartsWith('2'));
            Assert.Contains(Statuses(responses), s => s is "400" or "404" or "403");
        }
    }

    [Fact]
    public async Task The_reference_page_renders_from_Loa_alone()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = world.Loa.BaseAddress };
        var answer = await anonymous.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("frame-ancestors 'none'", answer.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        var page = await world.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);
        await page.GotoAsync("/docs");
        // Scalar renders the document's operations: the campaign create's summary path shows once the document is read.
        await Expect(page.GetByText("/api/v1/campaigns/{id}/approve").First).ToBeVisibleAsync(new() { Timeout = DashboardWorld.TimeoutMs });
        var origin = world.Loa.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.Contains(requests, url => url.EndsWith("/openapi/v1.json", StringComparison.Ordinal));
        Assert.All(requests, url => Assert.True(url.StartsWith(origin + "/", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal), url));
        await page.Context.CloseAsync();
    }
}
