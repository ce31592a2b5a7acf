using Loa.CarrierAdapters.Routing;

namespace Loa.CarrierAdapters.Tests.Routing;

public class CarrierPrefixCsvTests
{
    [Fact]
    public void The_seed_file_lists_exactly_the_prefixes_of_the_domain_table()
    {
        using var reader = File.OpenText(CarrierPrefixes.SeedPath);

        var routes = CarrierRouter.ParseCsv(reader);

        Assert.Equal(
            CarrierPrefixes.FromDomain.Select(r => new PrefixRoute(r.Prefix, r.Carrier)).OrderBy(r => r.Prefix),
            routes.OrderBy(r => r.Prefix));
    }

    [Fact]
    public void The_seed_file_says_operators_may_update_it()
    {
        var text = File.ReadAllText(CarrierPrefixes.SeedPath);

        Assert.StartsWith("#", text);
        Assert.Contains("operators update it", text);
    }

    [Fact]
    public void Comments_blank_lines_spaces_and_carrier_case_are_tolerated()
    {
        const string csv = "\uFEFF# prefixes\r\n\r\n Prefix , Carrier \r\n# Viettel\r\n086, viettel\r\n  # indented comment\r\n090,MobiFone\r\n";

        var routes = CarrierRouter.ParseCsv(new StringReader(csv));

        Assert.Equal([new PrefixRoute("086", "viettel"), new PrefixRoute("090", "mobifone")], routes);
    }

    [Fact]
    public void A_header_alone_is_an_empty_table()
    {
        Assert.Empty(CarrierRouter.ParseCsv(new StringReader("prefix,carrier\n")));
    }

    [Theory]
    [InlineData("", 1, "header")]
    [InlineData("# only a comment\n", 1, "header")]
    [InlineData("086,viettel\n", 1, "header")]
    [InlineData("carrier,prefix\n086,viettel\n", 1, "header")]
    [InlineData("prefix,carrier\n86,viettel\n", 2, "'86'")]
    [InlineData("prefix,carrier\n08a,viettel\n", 2, "'08a'")]
    [InlineData("prefix,carrier\n0,viettel\n", 2, "'0'")]
    [InlineData("prefix,carrier\n,viettel\n", 2, "''")]
    [InlineData("prefix,carrier\n+8486,viettel\n", 2, "'+8486'")]
    [InlineData("prefix,carrier\n# Viettel\n\n086,telstra\n", 4, "telstra")]
    [InlineData("prefix,carrier\n086,\n", 2, "unknown carrier")]
    [InlineData("prefix,carrier\n086\n", 2, "two fields")]
    [InlineData("prefix,carrier\n086;viettel\n", 2, "two fields")]
    [InlineData("prefix,carrier\n086,viettel,extra\n", 2, "two fields")]
    [InlineData("prefix,carrier\n086,viettel\n096,viettel\n086,mobifone\n", 4, "line 2")]
    [InlineData("prefix,carrier\n086,viettel\n086,viettel\n", 3, "already listed")]
    public void A_bad_line_is_reported_with_its_number(string csv, int line, string detail)
    {
        var error = Assert.Throws<FormatException>(() => CarrierRouter.ParseCsv(new StringReader(csv)));

        Assert.Contains($"line {line}:", error.Message);
        Assert.Contains(detail, error.Message);
    }
}
