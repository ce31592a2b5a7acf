using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Lifecycle;

/// <summary>What an author learns about their text when creating a campaign: encoding, parts, and a clear 422 when it is too long.</summary>
public sealed class EncodingSpecs : IAsyncLifetime
{
    // Eighteen characters with Vietnamese diacritics, ten times: 180 UCS-2 characters, three parts of 67.
    private static readonly string Vietnamese = string.Concat(Enumerable.Repeat("Cảnh báo lừa đảo. ", 10));

    private LoaTestHost loa = null!;
    private string list = null!;

    public async Task InitializeAsync()
    {
        loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(26))).GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync() => await loa.DisposeAsync();

    private object Campaign(string sms, bool strip, int maxParts) => new
    {
        name = "Mã hoá",
        kind = "warning",
        channels = new[] { "sms" },
        message = new { sms },
        audience = new { lists = new[] { list } },
        options = new { stripDiacritics = strip, maxSmsParts = maxParts },
    };

    [Fact]
    public async Task A_text_over_the_part_limit_is_refused_with_its_length_and_parts()
    {
        using var author = loa.Client("dev-author");
        var response = await author.PostAsJsonAsync("/api/v1/campaigns", Campaign(Vietnamese, strip: false, maxParts: 2));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("/sms-too-long", problem.GetProperty("type").GetString());
        Assert.Contains("180 UCS-2 characters", problem.GetProperty("detail").GetString());
        Assert.Contains("3 parts", problem.GetProperty("detail").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("message.sms", out _));
    }

    [Fact]
    public async Task Stripping_diacritics_turns_the_same_text_into_fewer_GSM_parts_and_the_preview_says_so()
    {
        using var author = loa.Client("dev-author");
        var response = await author.PostAsJsonAsync("/api/v1/campaigns", Campaign(Vietnamese, strip: true, maxParts: 2));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var campaign = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("Canh bao lua dao. Canh bao", campaign.GetProperty("sms").GetProperty("text").GetString());
        var preview = campaign.GetProperty("preview");
        Assert.Equal("gsm7", preview.GetProperty("smsEncoding").GetString());
        Assert.Equal(2, preview.GetProperty("smsParts").GetInt64());
        Assert.Equal(26, preview.GetProperty("recipients").GetInt64());
        Assert.Equal(26, CarrierIdsInPreview(preview).Sum());
        Assert.True(preview.GetProperty("estimatedSeconds").GetInt64() >= 1);
    }

    [Fact]
    public async Task Without_stripping_the_preview_shows_UCS2_and_its_parts()
    {
        using var author = loa.Client("dev-author");
        var campaign = await (await author.PostAsJsonAsync("/api/v1/campaigns", Campaign(Vietnamese, strip: false, maxParts: 3)))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ucs2", campaign.GetProperty("preview").GetProperty("smsEncoding").GetString());
        Assert.Equal(3, campaign.GetProperty("preview").GetProperty("smsParts").GetInt64());
        Assert.Equal(Vietnamese, campaign.GetProperty("sms").GetProperty("text").GetString());
    }

    private static IEnumerable<long> CarrierIdsInPreview(JsonElement preview) =>
        preview.GetProperty("byCarrier").EnumerateObject().Select(p => p.Value.GetInt64());
}
