using System.Text;
using Loa.CampaignApi.Alerts;

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
        var (draft, errors) = CapCampaign.Map(alert, ProvinceGeocodes.Load(null), new CapOptions { StripDiacritics = true, MaxSmsParts = 5 });
        Assert.Empty(errors);
        Assert.True(draft!.Definition.Options!.StripDiacritics);
        Assert.Equal(5, draft.Definition.Options.MaxSmsParts);
        Assert.Equal(["HN"], draft.Definition.Audience!.Provinces!);
    }

    [Fact]
    public void An_area_without_a_geocode_is_refused_rather_than_taken_as_everywhere()
    {
        var alert = Alert(Info("vi", areas: [new CapArea("Hà Nội", [new CapGeocode("GSO", "01")]), new CapArea("Somewhere", [])]));
        var (draft, errors) = CapCampaign.Map(alert, ProvinceGeocodes.Load(null), new CapOptions());
        Assert.Null(draft);
        Assert.True(errors.ContainsKey("alert.info[0].area[1]"));
    }

    [Fact]
    public void The_shipped_geocode_table_covers_the_63_provinces_once_each_with_the_codes_tenants_use()
    {
        var table = ProvinceGeocodes.Load(null);
        Assert.Equal(63, table.Rows.Count);
        Assert.Equal(63, table.Rows.Select(r => r.Province).Distinct().Count());
        Assert.All(table.Rows, r => Assert.Matches("^[0-9]{2}$", r.Value));
        // The tenants named in api.md and domain.md: Hà Nội, Thanh Hóa, Hậu Giang.
        Assert.Equal("HN", table.Find("GSO", "01")?.Province);
        Assert.Equal("TH", table.Find("gso", "38")?.Province);
        Assert.Equal("HG", table.Find("GSO", "93")?.Province);
        Assert.Equal("HCM", table.Find("GSO", "79")?.Province);
        Assert.Null(table.Find("GSO", "1"));
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

    private static CapInfo Info(string language, string severity = "Extreme", string urgency = "Immediate", IReadOnlyList<CapArea>? areas = null) =>
        new(language, "event", urgency, severity, "Observed", null, "Tiêu đề", "Mô tả", null, areas ?? []);

    private static CapAlert Alert(params CapInfo[] infos) =>
        new("id-1", "sender@example.vn", DateTimeOffset.Parse("2026-11-23T10:00:00+07:00", System.Globalization.CultureInfo.InvariantCulture), "Actual", "Alert", "Public", [], infos);
}
