using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Alerts;

/// <summary>
/// Real alerts carry texts written for the web; the SMS is the alert's own short text when it has one,
/// else its whole text when that fits, else its headline and instruction, else a refusal: never a cut
/// text, never HTML. The answer says where the text came from (Alerts/README.md, "SMS text").
/// </summary>
[Collection(CapCollection.Name)]
public sealed class CapSmsTextSpecs(CapHost cap)
{
    private const string TornadoCmamText = "NCHMF: TORNADO WARNING in this area til 3:45 PM. Take shelter now. Check local media.";

    private LoaTestHost Loa => cap.Loa;

    [Fact]
    public async Task A_tornado_warning_nine_parts_long_is_sent_as_its_CMAMtext_and_says_so()
    {
        using var author = Loa.Client("dev-author");

        var campaign = await CapHost.PostExpectingAsync(author, CapDocument.Load("tornado-warning.xml").Unique(), HttpStatusCode.Created);

        Assert.Equal(TornadoCmamText, campaign.GetProperty("message").GetProperty("sms").GetString());
        Assert.Equal(TornadoCmamText, campaign.GetProperty("sms").GetProperty("text").GetString());
        Assert.Equal(1, campaign.GetProperty("sms").GetProperty("parts").GetInt32());
        Assert.Equal("parameter:CMAMtext", campaign.GetProperty("cap").GetProperty("textSource").GetString());
        Assert.Equal("emergency", campaign.GetProperty("kind").GetString());
        // The approver reads the same.
        var stored = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{campaign.GetProperty("id").GetString()}");
        Assert.Equal("parameter:CMAMtext", stored.GetProperty("cap").GetProperty("textSource").GetString());
        Assert.Equal(TornadoCmamText, stored.GetProperty("sms").GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_text_parameter_named_in_configuration_is_the_sms()
    {
        using var author = Loa.Client("dev-author");

        var campaign = await CapHost.PostExpectingAsync(author, CapDocument.Load("sms-parameter.xml").Unique(), HttpStatusCode.Created);

        Assert.Equal(
            "Canh bao: lua dao ban ve tau, ve xe Tet. Chi mua ve tai kenh chinh thuc, khong chuyen khoan dat coc cho nguoi la. Bao lua dao: 156.",
            campaign.GetProperty("message").GetProperty("sms").GetString());
        Assert.Equal("gsm7", campaign.GetProperty("sms").GetProperty("encoding").GetString());
        Assert.Equal("parameter:SMS", campaign.GetProperty("cap").GetProperty("textSource").GetString());
    }

    [Fact]
    public async Task Without_a_short_text_a_long_alert_is_sent_as_its_headline_and_instruction()
    {
        using var author = Loa.Client("dev-author");

        var campaign = await CapHost.PostExpectingAsync(author, CapDocument.Load("vneid-malware.xml").Unique(), HttpStatusCode.Created);

        Assert.Equal(
            "Cảnh báo: mã độc giả mạo ứng dụng VNeID. Chỉ cài VNeID từ CH Play hoặc App Store. Công an không gọi điện yêu cầu cài ứng dụng. Gặp lừa đảo, báo ngay số 156.",
            campaign.GetProperty("message").GetProperty("sms").GetString());
        Assert.Equal("headline+instruction", campaign.GetProperty("cap").GetProperty("textSource").GetString());
        Assert.Equal(3, campaign.GetProperty("sms").GetProperty("parts").GetInt32());
        // The push body, kept for when push exists, still has the whole description.
        Assert.StartsWith("Từ đầu tháng 12, Cục An toàn thông tin ghi nhận", campaign.GetProperty("message").GetProperty("push").GetProperty("body").GetString());
    }

    [Fact]
    public async Task A_short_alert_is_sent_whole_and_says_so()
    {
        using var author = Loa.Client("dev-author");

        var campaign = await CapHost.PostExpectingAsync(author, CapDocument.Load("actual-extreme.xml").Unique(), HttpStatusCode.Created);

        Assert.Equal("headline+description+instruction", campaign.GetProperty("cap").GetProperty("textSource").GetString());
    }

    [Fact]
    public async Task Html_in_a_description_is_sent_as_text()
    {
        using var author = Loa.Client("dev-author");

        var campaign = await CapHost.PostExpectingAsync(author, CapDocument.Load("forest-fire-html.xml").Unique(), HttpStatusCode.Created);

        var sms = campaign.GetProperty("message").GetProperty("sms").GetString()!;
        Assert.Equal(
            "Emergency Warning: forest fire at Soc Son. An out of control forest fire is burning on the Soc Son hills towards Minh Phu & Hien Ninh. "
            + "Embers are falling ahead of the fire. Roads may be closed without warning. Leave now if the path is clear. If you cannot leave, shelter indoors & call 114.",
            sms);
        Assert.Equal(sms, campaign.GetProperty("sms").GetProperty("text").GetString());
        Assert.Equal("gsm7", campaign.GetProperty("sms").GetProperty("encoding").GetString());
        var body = campaign.GetProperty("message").GetProperty("push").GetProperty("body").GetString()!;
        foreach (var markup in new[] { "<", ">", "&amp;", "&nbsp;", "\u00A0" })
        {
            Assert.DoesNotContain(markup, sms);
            Assert.DoesNotContain(markup, body);
        }
    }

    [Fact]
    public async Task An_alert_with_no_text_that_fits_is_refused_naming_each_source_and_nothing_is_cut()
    {
        using var author = Loa.Client("dev-author");
        var before = await CapHost.CampaignCountAsync(author);
        var document = CapDocument.Load("vneid-malware.xml").Unique().With(
            "<instruction>Chỉ cài VNeID từ CH Play hoặc App Store.",
            "<instruction>Không bấm vào đường link lạ gửi qua tin nhắn, Zalo hay mạng xã hội. Không cài tệp .apk ngoài kho ứng dụng chính thức. Không cấp quyền trợ năng cho ứng dụng lạ. Chỉ cài VNeID từ CH Play hoặc App Store.");

        var problem = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.UnprocessableEntity);

        Assert.EndsWith("/sms-too-long", problem.GetProperty("type").GetString());
        var reasons = string.Join(" | ", problem.GetProperty("errors").GetProperty("alert.info[0]").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("headline + description + instruction", reasons);
        Assert.Contains("headline + instruction", reasons);
        Assert.Contains("parts", reasons);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("CMAMtext", detail);
        Assert.Contains("Loa:Cap:MaxSmsParts", detail);
        Assert.Equal(before, await CapHost.CampaignCountAsync(author));
    }
}
