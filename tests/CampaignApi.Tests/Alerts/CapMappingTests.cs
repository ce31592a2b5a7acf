using System.Text;
using Loa.CampaignApi.Alerts;
using Loa.Storage.Geography;

namespace Loa.CampaignApi.Tests.Alerts;

/// <summary>The mapping rules of Alerts/README.md, one by one, without a host.</summary>
public sealed class CapMappingTests
{
    [Theory]
    [InlineData("Actual", "Extreme", "Immediate", "emergency")]
    [InlineData("Actual", "Severe", "Expected", "emergency")]
    [InlineData("Actual", "Extreme", "Future", "warning")]
    [InlineData("Actual", "Moderate", "Immediate", "warning")]
    [InlineData("Actual", "Unknown", "Unknown", "warning")]
    [InlineData("Exercise", "Extreme", "Immediate", "test")]
    [InlineData("Test", "Minor", "Past", "test")]
    public void Kind_follows_status_severity_and_urgency(string status, string severity, string urgency, string kind) =>
        Assert.Equal(kind, CapCampaign.Kind(status, Info("vi", severity, urgency)));

    [Theory]
    [InlineData("Cảnh báo", "Mã độc mới", "Cập nhật ngay", "Cảnh báo. Mã độc mới. Cập nhật ngay")]
    [InlineData("Cảnh báo!", "  Mã độc\n    mới.  ", null, "Cảnh báo! Mã độc mới.")]
    [InlineData(null, "Chỉ mô tả", "", "Chỉ mô tả")]
    [InlineData("Chú ý:", null, "gọi 113", "Chú ý: gọi 113")]
    [InlineData(null, null, "  ", "")]
    public void Sms_text_joins_headline_description_and_instruction_into_sentences(string? headline, string? description, string? instruction, string sms) =>
        Assert.Equal(sms, CapCampaign.Join(headline, description, instruction));

    [Fact]
    public void The_first_vietnamese_info_is_chosen_else_the_first()
    {
        Assert.Equal(2, CapCampaign.ChooseInfo([Info("en-US"), Info("fr"), Info("VI"), Info("vi-VN")]));
        Assert.Equal(1, CapCampaign.ChooseInfo([Info("en-US"), Info("vi-VN")]));
        Assert.Equal(0, CapCampaign.ChooseInfo([Info("en-US"), Info("video")]));
    }

    [Fact]
    public void Strip_diacritics_and_max_parts_come_from_configuration()
    {
        var alert = Alert(Info("vi", areas: [new CapArea("Hà Nội", [new CapGeocode("GSO", "01")])]));
        var (draft, errors, _) = CapCampaign.Map(alert, ProvinceGeocodes.Load(null), new CapOptions { StripDiacritics = true, MaxSmsParts = 5 }, Marker, Now);
        Assert.Empty(errors);
        Assert.True(draft!.Definition.Options!.StripDiacritics);
        Assert.Equal(5, draft.Definition.Options.MaxSmsParts);
        Assert.Equal(["01"], draft.Definition.Audience!.Provinces!);
    }

    [Fact]
    public void An_area_without_a_geocode_is_refused_rather_than_taken_as_everywhere()
    {
        var alert = Alert(Info("vi", areas: [new CapArea("Hà Nội", [new CapGeocode("GSO", "01")]), new CapArea("Somewhere", [])]));
        var (draft, errors, _) = CapCampaign.Map(alert, ProvinceGeocodes.Load(null), new CapOptions(), Marker, Now);
        Assert.Null(draft);
        Assert.True(errors.ContainsKey("alert.info[0].area[1]"));
    }

    [Fact]
    public void The_alerts_own_short_text_is_preferred_cmam_text_first_then_the_configured_names()
    {
        var info = Info("en-US") with
        {
            Parameters = [new("CMAMlongtext", "Long text."), new("SMS", "Our own text."), new("cmamTEXT", "Short text.")],
        };
        Assert.Equal(
            ["parameter:CMAMtext", "parameter:CMAMlongtext", "parameter:SMS", "headline+description", "headline"],
            CapText.Candidates(info, ["CMAMtext", "CMAMlongtext", "SMS"]).Select(c => c.Source));
        Assert.Equal("Short text.", CapText.Candidates(info, CapOptions.DefaultSmsTextParameters)[0].Text);
        Assert.Equal(["CMAMtext", "CMAMlongtext"], new CapOptions().TextParameters());
        Assert.Equal(["SMS"], new CapOptions { SmsTextParameters = ["SMS"] }.TextParameters());
    }

    [Fact]
    public void A_text_that_does_not_fit_gives_way_to_the_next_and_none_is_cut()
    {
        // GSM-7: a CMAMtext of 200 characters takes two parts, a CMAMlongtext of 100 one, the whole text three.
        var info = Info("en-US") with
        {
            Headline = "Tornado Warning",
            Description = new string('d', 400),
            Instruction = "Take cover now.",
            Parameters = [new("CMAMlongtext", new string('b', 100)), new("CMAMtext", new string('a', 200))],
        };
        var alert = Alert(info with { Areas = [new CapArea("Hà Nội", [new CapGeocode("GSO", "01")])] });

        Assert.Equal("parameter:CMAMtext", Map(alert, 2).Draft!.Definition.Cap!.TextSource);
        Assert.Equal(new string('b', 100), Map(alert, 1).Draft!.Definition.Message!.Sms);
        Assert.Equal("parameter:CMAMlongtext", Map(alert, 1).Draft!.Definition.Cap!.TextSource);
        var withoutShort = alert with { Infos = [alert.Infos[0] with { Parameters = [] }] };
        Assert.Equal("headline+description+instruction", Map(withoutShort, 3).Draft!.Definition.Cap!.TextSource);
        Assert.Equal("Tornado Warning. Take cover now.", Map(withoutShort, 2).Draft!.Definition.Message!.Sms);
        Assert.Equal("headline+instruction", Map(withoutShort, 2).Draft!.Definition.Cap!.TextSource);

        var tooLong = Map(withoutShort with { Infos = [withoutShort.Infos[0] with { Instruction = new string('i', 200) }] }, 1);
        Assert.Null(tooLong.Draft);
        Assert.NotNull(tooLong.TooLong);
        Assert.Equal(2, tooLong.Errors["alert.info[0]"].Length);
    }

    [Fact]
    public void A_test_is_measured_with_its_marker_as_it_will_be_sent()
    {
        // 155 characters fit one part alone, not behind "[TEST] ": the whole text would then take two.
        var info = Info("en-US") with { Headline = new string('h', 150), Description = "Drill", Instruction = null, Areas = [new CapArea("Hà Nội", [new CapGeocode("GSO", "01")])] };
        var exercise = Alert(info) with { Status = "Exercise" };
        var mapped = Map(exercise, 1);
        Assert.Equal("headline", mapped.Draft!.Definition.Cap!.TextSource);
    }

    [Theory]
    [InlineData("<p>Fire near Minh Phu</p><p>Leave now.</p>", "Fire near Minh Phu. Leave now.")]
    [InlineData("Embers are falling.<br />Roads may close<br>without warning", "Embers are falling. Roads may close without warning")]
    [InlineData("&lt;b&gt;Warning&lt;/b&gt; &amp;amp; advice", "Warning & advice")]
    [InlineData("Roads&nbsp;closed &amp; <!-- note --> detours", "Roads closed & detours")]
    [InlineData("<ul><li>Stay indoors</li><li>Close windows</li></ul>", "Stay indoors. Close windows")]
    [InlineData("Wind gusts &lt; 5 km from the coast", "Wind gusts < 5 km from the coast")]
    [InlineData("R&D centre <a href=\"https://x.vn/a?b=1&c=2\">details</a>", "R&D centre details")]
    [InlineData("<p></p>", "")]
    public void Html_in_alert_text_becomes_plain_text(string html, string plain) =>
        Assert.Equal(plain, CapText.Plain(html));

    [Fact]
    public void An_effective_time_ahead_is_the_start_else_an_onset_ahead_when_there_is_no_effective()
    {
        var now = Now;
        var later = now.AddHours(5);
        var earlier = now.AddHours(-5);
        Assert.Equal((later, "effective"), CapCampaign.Start(Info("vi") with { Effective = later, Onset = later.AddHours(1) }, now));
        Assert.Equal((later, "onset"), CapCampaign.Start(Info("vi") with { Onset = later }, now));
        Assert.Equal((null, null), CapCampaign.Start(Info("vi") with { Effective = earlier, Onset = later }, now));
        Assert.Equal((null, null), CapCampaign.Start(Info("vi") with { Onset = earlier }, now));
        Assert.Equal((null, null), CapCampaign.Start(Info("vi"), now));
    }

    [Fact]
    public void Areas_placed_by_no_known_geocode_are_listed_and_an_alert_placed_nowhere_is_refused()
    {
        var mixed = Alert(Info("vi", areas:
        [
            new CapArea("Hà Nội", [new CapGeocode("FIPS", "VM44"), new CapGeocode("GSO", "01")]),
            new CapArea("Tuyên Quang", [new CapGeocode("FIPS", "VM89")]),
        ]));
        var cap = Map(mixed, 3).Draft!.Definition.Cap!;
        Assert.Equal(["alert.info[0].area[0].geocode[0]", "alert.info[0].area[1].geocode[0]"], cap.UnknownGeocodes.Select(g => g.Element));
        Assert.Equal("alert.info[0].area[1]", Assert.Single(cap.UnplacedAreas).Element);

        var nowhere = Map(Alert(Info("vi", areas: [new CapArea("Tuyên Quang", [new CapGeocode("FIPS", "VM89")])])), 3);
        Assert.Null(nowhere.Draft);
        Assert.Null(nowhere.TooLong);
        Assert.Contains("alert.info[0].area[0].geocode[0]", nowhere.Errors.Keys);
        Assert.Contains("alert.info[0].area", nowhere.Errors.Keys);
    }

    [Fact]
    public void GSO_and_ISO_geocodes_old_and_new_are_placed_in_todays_units_without_a_table_row()
    {
        var table = ProvinceGeocodes.Load(null);
        Assert.Empty(table.Rows);
        // The tenants named in api.md and domain.md: Hà Nội, Thanh Hóa, Hậu Giang (now Cần Thơ).
        Assert.Equal(("01", "Hà Nội", null), Placed(table.Find("GSO", "01")));
        Assert.Equal(("38", "Thanh Hóa", null), Placed(table.Find("gso", " 38 ")));
        Assert.Equal(("92", "Cần Thơ", "93"), Placed(table.Find("GSO", "93")));
        Assert.Equal(("15", "Lào Cai", "10"), Placed(table.Find("GSO", "10")));
        Assert.Equal(("01", "Hà Nội", "VN-HN"), Placed(table.Find("ISO3166-2", "VN-HN")));
        Assert.Equal(("92", "Cần Thơ", "VN-73"), Placed(table.Find("iso 3166-2", "vn-73")));
        Assert.Equal(("79", "Hồ Chí Minh", "VN-SG"), Placed(table.Find("ISO3166-2", "VN-SG")));
        Assert.Null(table.Find("GSO", "1"));
        Assert.Null(table.Find("GSO", "HN"));         // an abbreviation is no GSO code
        Assert.Null(table.Find("ISO3166-2", "73"));   // nor is a bare number an ISO one
        Assert.Null(table.Find("GSO", "31997"));      // a commune is no province: FindCommune, with the table operators load
        Assert.Null(table.Find("FIPS", "VM44"));
        static (string, string, string?)? Placed(ProvinceGeocode? g) => g is null ? null : (g.Province, g.Name, g.RemappedFrom);
    }

    [Fact]
    public void A_table_row_names_a_province_by_any_code_loa_reads_and_wins_over_the_built_in_scheme()
    {
        var table = ProvinceGeocodes.Parse(new StringReader("valueName,value,province,name\nFIPS,VM44,HN,Hà Nội\nSAME,093000,HG,Hậu Giang\nGSO,93,TH,override\n"));
        Assert.Equal("01", table.Find("fips", "VM44")?.Province);
        Assert.Equal(("92", "HG"), (table.Find("SAME", "093000")?.Province, table.Find("SAME", "093000")?.RemappedFrom));
        Assert.Equal("38", table.Find("GSO", "93")?.Province);
        Assert.Equal(["GSO", "ISO3166-2", "FIPS", "SAME"], table.ValueNames);
    }

    [Fact]
    public void A_malformed_geocode_table_is_refused_with_its_line()
    {
        var csv = "# comment\nvalueName,value,province,name\nGSO,01,HN,Hà Nội\nGSO,01,HN,Hà Nội again\n";
        var error = Assert.Throws<FormatException>(() => ProvinceGeocodes.Parse(new StringReader(csv)));
        Assert.Contains("line 4", error.Message);
        Assert.Throws<FormatException>(() => ProvinceGeocodes.Parse(new StringReader("valueName,value,province,name\nGSO,02,Hanoi,x\n")));
    }

    [Fact]
    public void A_document_deeper_than_the_limit_is_refused_before_it_is_built()
    {
        var deep = new StringBuilder("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">");
        for (var i = 0; i < 40; i++)
            deep.Append("<x>");
        for (var i = 0; i < 40; i++)
            deep.Append("</x>");
        deep.Append("</alert>");
        var (alert, errors) = CapReader.Read(Encoding.UTF8.GetBytes(deep.ToString()));
        Assert.Null(alert);
        Assert.Contains("deeper", errors["alert"][0]);
    }

    private static readonly CommuneTable Communes = new([new("00004", "Phường Ba Đình", "01"), new("00008", "Phường Ngọc Hà", "01"), new("14950", "Xã Thử", "38")], 1);

    private static CapMapping MapAreas(CommuneTable? communes, params (string ValueName, string Value)[] geocodes) =>
        CapCampaign.Map(
            Alert(Info("vi", areas: [.. geocodes.Select(g => new CapArea("Khu vực", [new CapGeocode(g.ValueName, g.Value)]))])),
            ProvinceGeocodes.Load(null), new CapOptions(), Marker, Now, communes);

    [Fact]
    public void An_alert_placed_by_communes_alone_reaches_those_communes_of_their_provinces()
    {
        var (draft, errors, _) = MapAreas(Communes, ("GSO", "00004"), ("gso", " 14950 "), ("GSO", "00004"));

        Assert.Empty(errors);
        Assert.Equal(["01", "38"], draft!.Definition.Audience!.Provinces!);
        Assert.Equal(["00004", "14950"], draft.Definition.Audience.Include!.Communes!);
        Assert.Empty(draft.Definition.Cap!.UnknownGeocodes);
    }

    [Fact]
    public void A_commune_beside_a_whole_province_reaches_that_commune_and_the_whole_province_not_the_communes_whole_province()
    {
        var (draft, errors, _) = MapAreas(Communes, ("GSO", "38"), ("GSO", "00008"));

        Assert.Empty(errors);
        Assert.Equal(["38", "01"], draft!.Definition.Audience!.Provinces!);
        Assert.Equal(["38"], draft.Definition.Audience.Include!.Provinces!);
        Assert.Equal(["00008"], draft.Definition.Audience.Include.Communes!);
        var segment = Loa.Storage.Planning.AudienceSegment.Of(draft.Definition.Audience);
        Assert.True(segment.Member("38", null, null));
        Assert.True(segment.Member("01", "00008", null));
        Assert.False(segment.Member("01", "00004", null));
        Assert.False(segment.Member("01", null, null));
    }

    [Fact]
    public void A_commune_code_the_table_does_not_hold_or_any_while_none_is_loaded_stays_unknown()
    {
        var (draft, _, _) = MapAreas(Communes, ("GSO", "01"), ("GSO", "99999"), ("FIPS", "00004"));
        Assert.Equal(["01"], draft!.Definition.Audience!.Provinces!);
        Assert.Equal(["99999", "00004"], draft.Definition.Cap!.UnknownGeocodes.Select(g => g.Value));

        var (none, errors, _) = MapAreas(CommuneTable.Empty, ("GSO", "00004"));
        Assert.Null(none);
        Assert.Contains("alert.info[0].area[0].geocode[0]", errors.Keys);
        Assert.Null(MapAreas(null, ("GSO", "00004")).Draft);
    }

    private const string Marker = "[TEST] ";

    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-23T10:00:00+07:00", System.Globalization.CultureInfo.InvariantCulture);

    private static CapMapping Map(CapAlert alert, int maxSmsParts) =>
        CapCampaign.Map(alert, ProvinceGeocodes.Load(null), new CapOptions { MaxSmsParts = maxSmsParts }, Marker, Now);

    private static CapInfo Info(string language, string severity = "Extreme", string urgency = "Immediate", IReadOnlyList<CapArea>? areas = null) =>
        new(language, "event", urgency, severity, "Observed", null, "Tiêu đề", "Mô tả", null, areas ?? []);

    private static CapAlert Alert(params CapInfo[] infos) =>
        new("id-1", "sender@example.vn", DateTimeOffset.Parse("2026-11-23T10:00:00+07:00", System.Globalization.CultureInfo.InvariantCulture), "Actual", "Alert", "Public", [], infos);
}
