using System.Text;
using Loa.CampaignApi.Reports;

namespace Loa.CampaignApi.Tests.Reports;

public sealed class CsvCellTests
{
    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+84912345678", "'+84912345678")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1:A2)", "'@SUM(A1:A2)")]
    [InlineData("\t=1", "'\t=1")]
    [InlineData("\r=1", "'\r=1")]
    [InlineData("\uFF1D1+1", "'\uFF1D1+1")]
    [InlineData("HN", "HN")]
    [InlineData("Hà Nội", "Hà Nội")]
    [InlineData("a=1", "a=1")]
    [InlineData("", "")]
    public void A_cell_that_would_start_a_formula_gets_a_leading_apostrophe(string text, string expected) =>
        Assert.Equal(expected, CsvCell.Neutralise(text));

    [Theory]
    [InlineData("viettel", "viettel")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")]
    [InlineData(null, "")]
    public void A_text_cell_is_neutralised_then_quoted_when_it_must_be(string? text, string expected) =>
        Assert.Equal(expected, CsvCell.Text(text));

    [Fact]
    public void A_record_ends_with_CRLF()
    {
        var csv = new StringBuilder();
        CsvCell.AppendRecord(csv, ["a", "b", "3"]);
        Assert.Equal("a,b,3\r\n", csv.ToString());
    }

    [Theory]
    [InlineData("2026-11", "month", "2026-11")]
    [InlineData("2026-01", "quarter", "2026-Q1")]
    [InlineData("2026-03", "quarter", "2026-Q1")]
    [InlineData("2026-04", "quarter", "2026-Q2")]
    [InlineData("2026-12", "quarter", "2026-Q4")]
    [InlineData("2026-12", "year", "2026")]
    public void Period_labels(string month, string period, string expected) =>
        Assert.Equal(expected, DeliveryReport.PeriodLabel(month, period));

    [Theory]
    [InlineData("2026-04-01", "2026-03-31T17:00:00Z")]
    [InlineData("2026-04-01T08:30", "2026-04-01T01:30:00Z")]
    [InlineData("2026-04-01T08:30:15.5", "2026-04-01T01:30:15.5Z")]
    [InlineData("2026-04-01T08:30:00+07:00", "2026-04-01T01:30:00Z")]
    [InlineData("2026-04-01T08:30:00 07:00", "2026-04-01T01:30:00Z")]
    [InlineData("2026-04-01T08:30:00Z", "2026-04-01T08:30:00Z")]
    [InlineData("2026-04-01T08:30:00-02:00", "2026-04-01T10:30:00Z")]
    public void Report_times_are_Vietnam_time_unless_they_carry_an_offset(string text, string utc)
    {
        Assert.True(DeliveryReport.TryParseTime(text, out var at));
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), at);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-02-30")]
    [InlineData("01/04/2026")]
    [InlineData("2026-04-01T25:00")]
    public void Report_times_that_are_not_ISO_dates_are_refused(string text) =>
        Assert.False(DeliveryReport.TryParseTime(text, out _));
}
