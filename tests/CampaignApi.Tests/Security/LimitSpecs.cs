using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Security;

/// <summary>One caller cannot exhaust Loa: per-key request rates and body sizes, answered with problems and nothing half-written.</summary>
public sealed class LimitSpecs
{
    [Fact]
    public async Task A_key_over_its_rate_gets_429_with_retry_after_while_another_key_is_served()
    {
        await using var loa = await LoaTestHost.StartAsync(s =>
        {
            s["Loa:Limits:RequestsPerSecond"] = "2";
            s["Loa:Limits:Burst"] = "5";
        });
        using var author = loa.Client("dev-author");
        using var operatorClient = loa.Client("dev-operator");

        HttpResponseMessage? refused = null;
        for (var i = 0; i < 20 && refused is null; i++)
        {
            var response = await author.GetAsync("/api/v1/campaigns");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                refused = response;
        }
        Assert.NotNull(refused);
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("/rate-limited", problem.GetProperty("type").GetString());

        // Buckets are per key: the operator is not slowed down by the author.
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync("/api/v1/campaigns")).StatusCode);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_and_creates_nothing()
    {
        await using var loa = await LoaTestHost.StartAsync(s => s["Loa:Limits:MaxBodyBytes"] = "4096");
        using var author = loa.Client("dev-author");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(5000))).GetProperty("id").GetString()!;
        Assert.NotNull(list); // uploads stream under their own, larger limit

        var huge = new string('a', 10_000);
        using var body = new StringContent(
            JsonSerializer.Serialize(new { name = huge, kind = "warning", channels = new[] { "sms" }, message = new { sms = "x" }, audience = new { lists = new[] { list } } }),
            Encoding.UTF8, "application/json");
        var response = await author.PostAsync("/api/v1/campaigns", body);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var page = await author.GetFromJsonAsync<JsonElement>("/api/v1/campaigns");
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
    }
}
