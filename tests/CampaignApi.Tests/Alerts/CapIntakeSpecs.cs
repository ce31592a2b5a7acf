using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage;
using Loa.Storage.Alerts;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Alerts;

/// <summary>CAP 1.2 alerts become campaigns (api.md, "Alerts in CAP 1.2"), against the real host.</summary>
[Collection(CapCollection.Name)]
public sealed class CapIntakeSpecs(CapHost cap)
{
    private LoaTestHost Loa => cap.Loa;

    [Fact]
    public async Task An_actual_extreme_immediate_alert_becomes_an_emergency_draft_with_its_text_expiry_and_province()
    {
        using var author = Loa.Client("dev-author");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();

        using var response = await CapHost.PostAsync(author, alert);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var campaign = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"/api/v1/campaigns/{campaign.GetProperty("id").GetString()}", response.Headers.Location?.OriginalString);
        Assert.Equal("emergency", campaign.GetProperty("kind").GetString());
        Assert.Equal("draft", campaign.GetProperty("status").GetString());
        Assert.Equal("national", campaign.GetProperty("tenant").GetString());
        Assert.Equal(
            "Cảnh báo khẩn: lừa đảo giả danh ngân hàng. Đối tượng giả danh ngân hàng gọi điện xin mã OTP. Không cung cấp mã OTP cho bất kỳ ai.",
            campaign.GetProperty("message").GetProperty("sms").GetString());
        var push = campaign.GetProperty("message").GetProperty("push");
        Assert.Equal("Cảnh báo khẩn: lừa đảo giả danh ngân hàng", push.GetProperty("title").GetString());
        Assert.Equal("Đối tượng giả danh ngân hàng gọi điện xin mã OTP. Không cung cấp mã OTP cho bất kỳ ai.", push.GetProperty("body").GetString());
        Assert.Equal(["sms"], campaign.GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(
            new DateTimeOffset(2099, 12, 31, 22, 0, 0, TimeSpan.FromHours(7)),
            campaign.GetProperty("schedule").GetProperty("expiresAt").GetDateTimeOffset());
        var audience = campaign.GetProperty("audience");
        Assert.Equal(["01"], audience.GetProperty("provinces").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal([cap.NationalList, cap.HanoiList], audience.GetProperty("lists").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(CapHost.NationalHanoi + CapHost.HanoiOwn, campaign.GetProperty("preview").GetProperty("recipients").GetInt64());
        Assert.Equal("ucs2", campaign.GetProperty("sms").GetProperty("encoding").GetString());
    }

    [Fact]
    public async Task An_exercise_alert_becomes_a_test_campaign()
    {
        using var author = Loa.Client("dev-author");
        var campaign = await CapHost.PostExpectingAsync(author, CapDocument.Load("exercise.xml").Unique(), HttpStatusCode.Created);
        Assert.Equal("test", campaign.GetProperty("kind").GetString());
        Assert.Equal("DIEN TAP: canh bao ma doc. Day la tin nhan dien tap", campaign.GetProperty("message").GetProperty("sms").GetString());
        Assert.Equal("gsm7", campaign.GetProperty("sms").GetProperty("encoding").GetString());
        Assert.Equal(JsonValueKind.Null, campaign.GetProperty("schedule").GetProperty("expiresAt").ValueKind);
    }

    [Fact]
    public async Task The_vietnamese_info_is_chosen_among_several_languages()
    {
        using var author = Loa.Client("dev-author");
        var campaign = await CapHost.PostExpectingAsync(author, CapDocument.Load("multilingual.xml").Unique(), HttpStatusCode.Created);

        Assert.Equal("Ứng dụng giả mạo dịch vụ công phát tán mã độc. Chỉ cài ứng dụng từ kho chính thức!", campaign.GetProperty("message").GetProperty("sms").GetString());
        Assert.Equal("warning", campaign.GetProperty("kind").GetString()); // Moderate: not grave enough for emergency
        Assert.Equal(["01", "38"], campaign.GetProperty("audience").GetProperty("provinces").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(
            CapHost.NationalHanoi + CapHost.NationalThanhHoa + CapHost.HanoiOwn,
            campaign.GetProperty("preview").GetProperty("recipients").GetInt64());
    }

    [Fact]
    public async Task Diacritics_are_kept_unless_configured_otherwise()
    {
        using var author = Loa.Client("dev-author");
        var campaign = await CapHost.PostExpectingAsync(author, CapDocument.Load("actual-extreme.xml").Unique(), HttpStatusCode.Created);
        Assert.Equal(campaign.GetProperty("message").GetProperty("sms").GetString(), campaign.GetProperty("sms").GetProperty("text").GetString());
        Assert.False(campaign.GetProperty("options").GetProperty("stripDiacritics").GetBoolean());
    }

    [Fact]
    public async Task A_cancel_stops_the_draft_campaign_of_the_alert_it_references()
    {
        using var author = Loa.Client("dev-author");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var created = await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;

        // A Cancel needs someone allowed to cancel: here a CAP gateway's key that is also an operator.
        await Loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-cap-gateway", "cap gateway", "national", ["author", "operator"]);
        using var gateway = Loa.Client("test-cap-gateway");
        var answer = await CapHost.PostExpectingAsync(gateway, CapDocument.Load("cancel.xml").Unique().Referencing(alert), HttpStatusCode.OK);

        var cancelled = Assert.Single(answer.GetProperty("campaigns").EnumerateArray());
        Assert.Equal(id, cancelled.GetProperty("id").GetString());
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        var campaign = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal("cancelled", campaign.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_cancel_stops_a_running_campaign_before_all_its_messages_go_out()
    {
        using var author = Loa.Client("dev-author");
        using var operatorClient = Loa.Client("dev-operator");
        var alert = CapDocument.Load("actual-extreme.xml").Unique()
            .With("<sender>canhbao@ais.gov.vn</sender>", $"<sender>{CapHost.PreApprovedSender}</sender>");
        var created = await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("running", created.GetProperty("status").GetString()); // pre-approved: launched at once
        await WaitForAsync(operatorClient, id, p => p.GetProperty("total").GetInt64() > 0, "planned");

        var cancel = CapDocument.Load("cancel.xml").Unique().Referencing(alert)
            .With("<sender>canhbao@ais.gov.vn</sender>", $"<sender>{CapHost.PreApprovedSender}</sender>");
        var answer = await CapHost.PostExpectingAsync(author, cancel, HttpStatusCode.OK);

        Assert.Equal("cancelled", Assert.Single(answer.GetProperty("campaigns").EnumerateArray()).GetProperty("status").GetString());
        var progress = await WaitForAsync(operatorClient, id, p => p.GetProperty("queued").GetInt64() == 0, "nothing queued");
        Assert.Equal("cancelled", progress.GetProperty("status").GetString());
        Assert.True(progress.GetProperty("cancelled").GetInt64() > 0, $"no message was cancelled: {progress}");
        Assert.True(progress.GetProperty("delivered").GetInt64() < progress.GetProperty("total").GetInt64(), $"everything went out: {progress}");
    }

    [Fact]
    public async Task An_update_creates_a_correction_of_the_first_campaign_linked_both_ways()
    {
        using var author = Loa.Client("dev-author");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var first = (await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var update = CapDocument.Load("update.xml").Unique().Referencing(alert);

        var second = await CapHost.PostExpectingAsync(author, update, HttpStatusCode.Created);

        var secondId = second.GetProperty("id").GetString()!;
        Assert.NotEqual(first, secondId);
        Assert.Equal("draft", second.GetProperty("status").GetString());
        Assert.Equal("emergency", second.GetProperty("kind").GetString()); // Severe + Expected
        Assert.StartsWith("Cập nhật: lừa đảo giả danh ngân hàng. ", second.GetProperty("message").GetProperty("sms").GetString());
        var original = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{first}");
        Assert.Equal("draft", original.GetProperty("status").GetString()); // an update corrects; it does not cancel
        Assert.Equal(first, second.GetProperty("corrects").GetString());
        Assert.Equal(secondId, original.GetProperty("correctedBy").GetString());
        var recorded = await Loa.Services.GetRequiredService<CapAlertStore>().FindAsync(
            "national", update.Sender, update.Identifier, DateTimeOffset.Parse(update.Sent, System.Globalization.CultureInfo.InvariantCulture).Ms());
        Assert.NotNull(recorded);
        Assert.Equal("Update", recorded.MsgType);
        Assert.Equal(secondId, recorded.CampaignId);
        Assert.Equal(first, recorded.UpdatesCampaignId);
    }

    [Fact]
    public async Task A_repeated_alert_answers_409_and_creates_no_second_campaign()
    {
        using var author = Loa.Client("dev-author");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created);
        var before = await CapHost.CampaignCountAsync(author);

        var again = await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Conflict);
        // The same instant written with another offset is the same alert.
        var utc = alert.With("<sent>2026-11-23T10:00:00+07:00</sent>", "<sent>2026-11-23T03:00:00-00:00</sent>");
        await CapHost.PostExpectingAsync(author, utc, HttpStatusCode.Conflict);

        Assert.EndsWith("/duplicate", again.GetProperty("type").GetString());
        Assert.Contains(alert.Identifier, again.GetProperty("detail").GetString());
        Assert.Equal(before, await CapHost.CampaignCountAsync(author));
    }

    [Fact]
    public async Task Copies_of_one_alert_posted_at_once_make_one_campaign()
    {
        using var author = Loa.Client("dev-author");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var before = await CapHost.CampaignCountAsync(author);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var response = await CapHost.PostAsync(author, alert);
            return response.StatusCode;
        }));

        Assert.Single(answers, s => s == HttpStatusCode.Created);
        Assert.All(answers.Where(s => s != HttpStatusCode.Created), s => Assert.Equal(HttpStatusCode.Conflict, s));
        Assert.Equal(before + 1, await CapHost.CampaignCountAsync(author));
    }

    [Fact]
    public async Task A_province_author_may_alert_their_own_province_but_not_another()
    {
        using var hanoi = Loa.Client("dev-hn-author");
        using var national = Loa.Client("dev-author");
        var own = await CapHost.PostExpectingAsync(
            hanoi, CapDocument.Load("actual-extreme.xml").Unique().With("<sender>canhbao@ais.gov.vn</sender>", "<sender>canhbao@sotttt.hanoi.gov.vn</sender>"), HttpStatusCode.Created);
        Assert.Equal("01", own.GetProperty("tenant").GetString());
        Assert.Equal([cap.HanoiList], own.GetProperty("audience").GetProperty("lists").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(CapHost.HanoiOwn, own.GetProperty("preview").GetProperty("recipients").GetInt64());

        var before = await CapHost.CampaignCountAsync(national);
        var other = await CapHost.PostExpectingAsync(hanoi, CapDocument.Load("thanh-hoa.xml").Unique(), HttpStatusCode.Forbidden);
        Assert.Contains("alert.info[0].area[1].geocode[0]", other.GetProperty("detail").GetString());
        Assert.Contains("38", other.GetProperty("detail").GetString());

        var everywhere = await CapHost.PostExpectingAsync(hanoi, CapDocument.Load("no-area.xml").Unique(), HttpStatusCode.Forbidden);
        Assert.Contains("whole country", everywhere.GetProperty("detail").GetString());
        Assert.Equal(before, await CapHost.CampaignCountAsync(national));
    }

    [Fact]
    public async Task A_national_alert_without_an_area_reaches_the_whole_country()
    {
        using var author = Loa.Client("dev-author");
        var campaign = await CapHost.PostExpectingAsync(author, CapDocument.Load("no-area.xml").Unique(), HttpStatusCode.Created);
        Assert.Equal(JsonValueKind.Null, campaign.GetProperty("audience").GetProperty("provinces").ValueKind);
        Assert.Equal(
            CapHost.NationalHanoi + CapHost.NationalThanhHoa + CapHost.HanoiOwn,
            campaign.GetProperty("preview").GetProperty("recipients").GetInt64());
    }

    [Fact]
    public async Task Only_the_key_configured_for_a_pre_approved_sender_skips_approval()
    {
        // Another national author claiming the pre-approved sender gets an ordinary draft.
        await Loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-cap-other-author", "other-author", "national", ["author"]);
        using var other = Loa.Client("test-cap-other-author");
        var alert = CapDocument.Load("exercise.xml").Unique()
            .With("<sender>canhbao@ais.gov.vn</sender>", $"<sender>{CapHost.PreApprovedSender}</sender>");

        var campaign = await CapHost.PostExpectingAsync(other, alert, HttpStatusCode.Created);

        Assert.Equal("draft", campaign.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, campaign.GetProperty("approvedBy").ValueKind);
    }

    [Fact]
    public async Task A_pre_approved_alert_is_recorded_as_approved_by_its_sender_not_by_the_author()
    {
        using var author = Loa.Client("dev-author");
        var alert = CapDocument.Load("exercise.xml").Unique()
            .With("<sender>canhbao@ais.gov.vn</sender>", $"<sender>{CapHost.PreApprovedSender}</sender>");

        var campaign = await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created);

        Assert.Equal("running", campaign.GetProperty("status").GetString());
        Assert.Equal("key:" + (await Loa.Services.GetRequiredService<ApiKeyStore>().FindAsync("dev-author"))!.Id, campaign.GetProperty("submittedBy").GetString());
        Assert.Equal("cap:" + CapHost.PreApprovedSender, campaign.GetProperty("approvedBy").GetString());
        // What the approver's screen shows: the sender, and the author's key by its name.
        Assert.Equal(CapHost.PreApprovedSender, campaign.GetProperty("approvedByName").GetString());
        Assert.Equal("dev-author", campaign.GetProperty("submittedByName").GetString());
    }

    private static async Task<JsonElement> WaitForAsync(HttpClient client, string id, Func<JsonElement, bool> until, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonElement progress = default;
        while (DateTime.UtcNow < deadline)
        {
            progress = await client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
            if (until(progress))
                return progress;
            await Task.Delay(200);
        }
        throw new TimeoutException($"Campaign {id} was not {what} within 30 s: {progress}");
    }
}
