using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Alerts;

/// <summary>
/// Areas are named in several coding schemes at once. Loa targets the areas it can place, lists every
/// geocode it did not know on the campaign for the approver, and refuses only an alert it can place
/// nowhere (Alerts/README.md, "Geocodes").
/// </summary>
[Collection(CapCollection.Name)]
public sealed class CapGeocodeSpecs(CapHost cap)
{
    private LoaTestHost Loa => cap.Loa;

    [Fact]
    public async Task Unknown_geocodes_beside_known_ones_are_listed_for_the_approver_and_the_known_areas_targeted()
    {
        using var author = Loa.Client("dev-author");
        using var approver = Loa.Client("dev-approver");

        var created = await CapHost.PostExpectingAsync(author, CapDocument.Load("mixed-geocodes.xml").Unique(), HttpStatusCode.Created);
        var stored = await approver.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{created.GetProperty("id").GetString()}");

        foreach (var campaign in new[] { created, stored })
        {
            Assert.Equal(["01", "38"], campaign.GetProperty("audience").GetProperty("provinces").EnumerateArray().Select(p => p.GetString()));
            Assert.Equal(
                [
                    "alert.info[0].area[1].geocode[0] FIPS VM34 (Tỉnh Thanh Hóa)",
                    "alert.info[0].area[2].geocode[0] FIPS VM89 (Tỉnh Tuyên Quang)",
                    "alert.info[0].area[2].geocode[1] SAME 070408 (Tỉnh Tuyên Quang)",
                ],
                campaign.GetProperty("cap").GetProperty("unknownGeocodes").EnumerateArray().Select(g =>
                    $"{g.GetProperty("element").GetString()} {g.GetProperty("valueName").GetString()} {g.GetProperty("value").GetString()} ({g.GetProperty("areaDesc").GetString()})"));
            // Tuyên Quang is named only in schemes Loa does not know: nobody there is reached, and the approver is told.
            var unplaced = Assert.Single(campaign.GetProperty("cap").GetProperty("unplacedAreas").EnumerateArray());
            Assert.Equal("alert.info[0].area[2]", unplaced.GetProperty("element").GetString());
            Assert.Equal("Tỉnh Tuyên Quang", unplaced.GetProperty("areaDesc").GetString());
        }
        Assert.Equal(
            CapHost.NationalHanoi + CapHost.NationalThanhHoa + CapHost.HanoiOwn,
            stored.GetProperty("preview").GetProperty("recipients").GetInt64());
    }

    [Fact]
    public async Task A_commune_geocode_the_loaded_table_knows_targets_that_commune_and_one_it_does_not_is_listed_unknown()
    {
        using var admin = Loa.Client("dev-admin");
        using var author = Loa.Client("dev-author");
        using var table = new StringContent("code,name,province\n00004,Phường Ba Đình,01\n", System.Text.Encoding.UTF8, "text/csv");
        (await admin.PutAsync("/api/v1/geography/communes", table)).EnsureSuccessStatusCode();
        var document = CapDocument.Load("thanh-hoa.xml").Unique()
            .With("<value>01</value>", "<value>00004</value>")
            .With("<value>38</value>", "<value>99998</value>");

        var campaign = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.Created);

        var audience = campaign.GetProperty("audience");
        Assert.Equal(["01"], audience.GetProperty("provinces").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["00004"], audience.GetProperty("include").GetProperty("communes").EnumerateArray().Select(c => c.GetString()));
        var unknown = Assert.Single(campaign.GetProperty("cap").GetProperty("unknownGeocodes").EnumerateArray());
        Assert.Equal("99998", unknown.GetProperty("value").GetString());
    }

    [Fact]
    public async Task An_alert_naming_a_whole_province_and_a_commune_of_another_reaches_exactly_those_places()
    {
        using var admin = Loa.Client("dev-admin");
        using var author = Loa.Client("dev-author");
        using var table = new StringContent("code,name,province\n00004,Phường Ba Đình,01\n", System.Text.Encoding.UTF8, "text/csv");
        (await admin.PutAsync("/api/v1/geography/communes", table)).EnsureSuccessStatusCode();
        // Thanh Hóa whole, and one ward of Hà Nội where none of the lists' members live.
        var document = CapDocument.Load("thanh-hoa.xml").Unique().With("<value>01</value>", "<value>00004</value>");

        var campaign = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.Created);

        var audience = campaign.GetProperty("audience");
        Assert.Equal(["01", "38"], audience.GetProperty("provinces").EnumerateArray().Select(p => p.GetString()).Order());
        var include = audience.GetProperty("include");
        Assert.Equal(["38"], include.GetProperty("provinces").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["00004"], include.GetProperty("communes").EnumerateArray().Select(c => c.GetString()));
        // Before, the ward's whole province was taken: Hà Nội's 26 + 13 members too.
        Assert.Equal(CapHost.NationalThanhHoa, campaign.GetProperty("preview").GetProperty("recipients").GetInt64());
    }

    [Fact]
    public async Task A_province_may_alert_its_own_province_named_beside_a_code_loa_does_not_know()
    {
        using var hanoi = Loa.Client("dev-hn-author");
        var document = CapDocument.Load("bad-geocode.xml").Unique()
            .With("<sender>canhbao@ais.gov.vn</sender>", "<sender>canhbao@sotttt.hanoi.gov.vn</sender>");

        var campaign = await CapHost.PostExpectingAsync(hanoi, document, HttpStatusCode.Created);

        Assert.Equal("01", campaign.GetProperty("tenant").GetString());
        Assert.Equal(["01"], campaign.GetProperty("audience").GetProperty("provinces").EnumerateArray().Select(p => p.GetString()));
        var unknown = Assert.Single(campaign.GetProperty("cap").GetProperty("unknownGeocodes").EnumerateArray());
        Assert.Equal("alert.info[0].area[0].geocode[1]", unknown.GetProperty("element").GetString());
        Assert.Equal("99", unknown.GetProperty("value").GetString());
        Assert.Empty(campaign.GetProperty("cap").GetProperty("unplacedAreas").EnumerateArray());
    }

    [Fact]
    public async Task An_author_cannot_make_a_campaign_look_as_if_it_came_from_an_alert()
    {
        using var author = Loa.Client("dev-author");
        using var response = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Cảnh báo",
            kind = "warning",
            channels = new[] { "sms" },
            message = new { sms = "Cảnh báo lừa đảo" },
            audience = new { lists = new[] { cap.NationalList } },
            cap = new { sender = "canhbao@ais.gov.vn", identifier = "x", sent = "2026-11-23T10:00:00+07:00", textSource = "parameter:CMAMtext", unknownGeocodes = Array.Empty<object>(), unplacedAreas = Array.Empty<object>() },
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("cap").ValueKind);
    }

    [Fact]
    public async Task An_alert_that_names_no_area_loa_knows_is_refused_naming_each_geocode()
    {
        using var author = Loa.Client("dev-author");
        var before = await CapHost.CampaignCountAsync(author);

        var problem = await CapHost.PostExpectingAsync(author, CapDocument.Load("us-county-warning.xml").Unique(), HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors");
        for (var k = 0; k < 4; k++)
            Assert.True(errors.TryGetProperty($"alert.info[0].area[0].geocode[{k}]", out _), $"geocode[{k}] not named: {errors}");
        Assert.Contains("OKC027", errors.GetProperty("alert.info[0].area[0].geocode[2]")[0].GetString());
        // The refusal says why the whole alert is refused, not only that some codes are unknown.
        Assert.Contains("none of", errors.GetProperty("alert.info[0].area")[0].GetString());
        Assert.Equal(before, await CapHost.CampaignCountAsync(author));
    }
}
