using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.CampaignApi.Alerts;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Lifecycle;

/// <summary>
/// The SMS text as it is measured and sent: precomposed (NFC) whatever the author typed, counted with
/// each carrier's split rule, and free of characters no handset shows (control characters, broken UTF-16).
/// </summary>
public sealed class TextSpecs : IAsyncLifetime
{
    // 65 UTF-16 units precomposed: one UCS-2 part. Decomposed (e + combining marks), 81 units: two.
    private const string Warning = "Cục ATTT cảnh báo: không cài ứng dụng lạ, không mở đường link lạ.";

    private LoaTestHost loa = null!;
    private string list = null!;

    public async Task InitializeAsync()
    {
        // Viettel's gateway splits in 16-bit units as 3GPP allows; the other carriers keep a character whole.
        loa = await LoaTestHost.StartAsync(s => s["Loa:Carriers:viettel:SplitGraphemes"] = "false");
        using var author = loa.Client("dev-author");
        list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(26))).GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync() => await loa.DisposeAsync();

    private object Campaign(string sms, string[]? carriers = null) => new
    {
        name = "Văn bản",
        kind = "warning",
        channels = new[] { "sms" },
        message = new { sms },
        audience = new { lists = new[] { list }, carriers },
    };

    /// <summary>Posts a campaign whose message.sms is given as JSON string content (escapes and all).</summary>
    private async Task<HttpResponseMessage> PostRawAsync(HttpClient author, string smsJson)
    {
        var json = $$$"""{"name":"Văn bản","kind":"warning","channels":["sms"],"message":{"sms":"{{{smsJson}}}"},"audience":{"lists":["{{{list}}}"]}}""";
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await author.PostAsync("/api/v1/campaigns", content);
    }

    private static async Task<JsonElement> FieldErrorsAsync(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {problem}");
        Assert.EndsWith("/validation", problem.GetProperty("type").GetString());
        return problem.GetProperty("errors");
    }

    [Fact]
    public async Task Decomposed_Vietnamese_is_measured_and_sent_precomposed_and_the_answer_shows_the_saving()
    {
        var decomposed = Warning.Normalize(NormalizationForm.FormD);
        Assert.Equal(65, Warning.Length);
        Assert.Equal(81, decomposed.Length);
        using var author = loa.Client("dev-author");

        var response = await author.PostAsJsonAsync("/api/v1/campaigns", Campaign(decomposed));
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sms = created.GetProperty("sms");
        Assert.Equal(Warning, sms.GetProperty("text").GetString());
        Assert.Equal(1, sms.GetProperty("parts").GetInt64());
        Assert.Equal(81, sms.GetProperty("normalizedFrom").GetProperty("units").GetInt32());
        Assert.Equal(2, sms.GetProperty("normalizedFrom").GetProperty("parts").GetInt32());
        Assert.Equal(1, created.GetProperty("preview").GetProperty("smsParts").GetInt64());
        Assert.Equal(Warning, created.GetProperty("message").GetProperty("sms").GetString());

        // A correction is the same edge.
        var id = created.GetProperty("id").GetString()!;
        using var approver = loa.Client("dev-approver");
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        var corrected = await (await author.PostAsJsonAsync($"/api/v1/campaigns/{id}/correction", new { message = new { sms = decomposed } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Warning, corrected.GetProperty("sms").GetProperty("text").GetString());
        Assert.Equal(2, corrected.GetProperty("sms").GetProperty("normalizedFrom").GetProperty("parts").GetInt32());
    }

    [Fact]
    public void A_CAP_alert_s_decomposed_text_becomes_a_precomposed_sms()
    {
        var info = new CapInfo(
            "vi", "event", "Immediate", "Extreme", "Observed", null, Warning.Normalize(NormalizationForm.FormD), null, null,
            [new CapArea("Hà Nội", [new CapGeocode("GSO", "01")])]);
        var alert = new CapAlert("id-1", "sender@example.vn", DateTimeOffset.UnixEpoch, "Actual", "Alert", "Public", [], [info]);

        var (draft, errors, _) = CapCampaign.Map(alert, ProvinceGeocodes.Load(null), new CapOptions(), "[TEST] ", DateTimeOffset.UtcNow);

        Assert.Empty(errors);
        Assert.Equal(Warning, draft!.Definition.Message!.Sms);
    }

    [Fact]
    public async Task Each_carrier_is_previewed_with_its_own_split_rule_and_the_campaign_pays_the_most()
    {
        // A warning sign (U+26A0 + variation selector U+FE0F) across the first part boundary: Viettel
        // splits it and bills 2 parts; a carrier that keeps it whole moves it to part 2 and bills 3.
        var fill = string.Concat(Enumerable.Repeat("Cảnh báo lừa đảo. ", 8));
        var text = fill[..66] + "\u26A0\uFE0F" + fill[..66];
        using var author = loa.Client("dev-author");

        var everyone = await (await author.PostAsJsonAsync("/api/v1/campaigns", Campaign(text))).Content.ReadFromJsonAsync<JsonElement>();
        var viettelOnly = await (await author.PostAsJsonAsync("/api/v1/campaigns", Campaign(text, carriers: ["viettel"])))
            .Content.ReadFromJsonAsync<JsonElement>();

        var preview = everyone.GetProperty("preview");
        Assert.Equal(2, preview.GetProperty("smsPartsByCarrier").GetProperty("viettel").GetInt64());
        Assert.Equal(3, preview.GetProperty("smsPartsByCarrier").GetProperty("mobifone").GetInt64());
        Assert.Equal(3, preview.GetProperty("smsParts").GetInt64());
        Assert.Equal(3, everyone.GetProperty("sms").GetProperty("parts").GetInt64());
        Assert.Equal(2, viettelOnly.GetProperty("preview").GetProperty("smsParts").GetInt64());
        Assert.Equal(2, viettelOnly.GetProperty("sms").GetProperty("parts").GetInt64());
    }

    [Fact]
    public async Task A_text_that_a_carrier_bills_over_the_part_limit_is_refused()
    {
        var fill = string.Concat(Enumerable.Repeat("Cảnh báo lừa đảo. ", 8));
        using var author = loa.Client("dev-author");

        var response = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Văn bản", kind = "warning", channels = new[] { "sms" },
            message = new { sms = fill[..66] + "\u26A0\uFE0F" + fill[..66] },
            audience = new { lists = new[] { list } },
            options = new { maxSmsParts = 2 },
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }

    [Theory]
    [InlineData("Canh bao \\ud800 lua dao")]
    [InlineData("Canh bao \\ud800")]
    [InlineData("\\udc00 Canh bao")]
    [InlineData("Canh bao \\ud800\\u0041")]
    [InlineData("Canh bao \\udc00\\ud800")]
    public async Task A_lone_surrogate_is_a_field_error_on_message_sms(string sms)
    {
        using var author = loa.Client("dev-author");

        var errors = await FieldErrorsAsync(await PostRawAsync(author, sms));

        Assert.Contains("lone surrogate", errors.GetProperty("message.sms")[0].GetString());
    }

    [Fact]
    public async Task Bytes_that_are_not_UTF_8_are_a_validation_problem()
    {
        using var author = loa.Client("dev-author");
        var json = Encoding.UTF8.GetBytes($$$"""{"name":"x","kind":"warning","channels":["sms"],"message":{"sms":"Canh bao XXX"},"audience":{"lists":["{{{list}}}"]}}""");
        var at = Array.IndexOf(json, (byte)'X');
        // A surrogate encoded as if it were a character (CESU-8): no UTF-8 decoder may accept it.
        json[at] = 0xED;
        json[at + 1] = 0xA0;
        json[at + 2] = 0x80;
        using var content = new ByteArrayContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var errors = await FieldErrorsAsync(await author.PostAsync("/api/v1/campaigns", content));

        Assert.True(errors.TryGetProperty("message.sms", out _) || errors.TryGetProperty("body", out _), errors.ToString());
    }

    [Theory]
    [InlineData("Canh bao \\u0000 lua dao", 9, "U+0000")]
    [InlineData("Canh bao\\tlua dao", 8, "U+0009")]
    [InlineData("Canh bao \\u001b lua dao", 9, "U+001B")]
    [InlineData("Canh bao \\u0085 lua dao", 9, "U+0085")]
    public async Task A_control_character_is_a_field_error_naming_message_sms_and_its_position(string sms, int position, string codePoint)
    {
        using var author = loa.Client("dev-author");

        var errors = await FieldErrorsAsync(await PostRawAsync(author, sms));

        var message = errors.GetProperty("message.sms")[0].GetString()!;
        Assert.Contains(codePoint, message);
        Assert.Contains($"position {position}", message);
    }

    [Fact]
    public async Task Line_breaks_are_allowed()
    {
        using var author = loa.Client("dev-author");

        var response = await PostRawAsync(author, "Canh bao:\\r\\nkhong cung cap ma OTP.\\nGoi 113.");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_correction_with_a_control_character_is_refused_the_same_way()
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var id = await LoaTestHost.CreateCampaignAsync(author, Campaign("Canh bao"));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        using var content = new StringContent("""{"message":{"sms":"Dinh chinh\u0000"}}""", Encoding.UTF8, "application/json");

        var errors = await FieldErrorsAsync(await author.PostAsync($"/api/v1/campaigns/{id}/correction", content));

        Assert.Contains("position 10", errors.GetProperty("message.sms")[0].GetString());
    }
}
