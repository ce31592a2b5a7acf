using Loa.Storage.Geography;

namespace Loa.Storage.Tests.Geography;

/// <summary>The one reader of province codes: the 34 units, their aliases, every old code and ISO 3166-2.</summary>
public sealed class ProvincesTests
{
    private static readonly Provinces Shipped = Provinces.Shipped();

    // Decision 19/2025/QĐ-TTg, as shipped in Seed/provinces.csv.
    public static TheoryData<string, string, string> Units() => new()
    {
        { "01", "Hà Nội", "HN" }, { "04", "Cao Bằng", "CB" }, { "08", "Tuyên Quang", "TQ" }, { "11", "Điện Biên", "DB" },
        { "12", "Lai Châu", "LCH" }, { "14", "Sơn La", "SL" }, { "15", "Lào Cai", "LCA" }, { "19", "Thái Nguyên", "TNG" },
        { "20", "Lạng Sơn", "LS" }, { "22", "Quảng Ninh", "QNI" }, { "24", "Bắc Ninh", "BN" }, { "25", "Phú Thọ", "PT" },
        { "31", "Hải Phòng", "HP" }, { "33", "Hưng Yên", "HY" }, { "37", "Ninh Bình", "NB" }, { "38", "Thanh Hóa", "TH" },
        { "40", "Nghệ An", "NA" }, { "42", "Hà Tĩnh", "HT" }, { "44", "Quảng Trị", "QT" }, { "46", "Huế", "HUE" },
        { "48", "Đà Nẵng", "DN" }, { "51", "Quảng Ngãi", "QNG" }, { "52", "Gia Lai", "GL" }, { "56", "Khánh Hòa", "KH" },
        { "66", "Đắk Lắk", "DLK" }, { "68", "Lâm Đồng", "LD" }, { "75", "Đồng Nai", "DNA" }, { "79", "Hồ Chí Minh", "HCM" },
        { "80", "Tây Ninh", "TNI" }, { "82", "Đồng Tháp", "DT" }, { "86", "Vĩnh Long", "VL" }, { "91", "An Giang", "AG" },
        { "92", "Cần Thơ", "CT" }, { "96", "Cà Mau", "CM" },
    };

    [Fact]
    public void There_are_34_units_28_provinces_and_6_cities()
    {
        Assert.Equal(34, Shipped.Units.Count);
        Assert.Equal(6, Shipped.Units.Count(u => u.Kind == Province.CityKind));
        Assert.Equal(["01", "31", "46", "48", "79", "92"], Shipped.Units.Where(u => u.Kind == Province.CityKind).Select(u => u.Code));
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Each_unit_resolves_by_its_code_and_by_its_alias(string code, string name, string alias)
    {
        var byCode = Shipped.Resolve(code)!;
        Assert.Equal((code, name, null), (byCode.Code, byCode.Name, byCode.RemappedFrom));
        var byAlias = Shipped.Resolve(alias.ToLowerInvariant() + " ")!;
        Assert.Equal((code, ResolvedProvince.AliasScheme, alias), (byAlias.Code, byAlias.Scheme, byAlias.RemappedFrom));
    }

    [Theory]
    [InlineData("HG", "92", "loa")]   // Hậu Giang, whose plan is among Loa's sources, is part of Cần Thơ
    [InlineData("93", "92", "gso")]
    [InlineData("VN-73", "92", "iso3166-2")]
    [InlineData("ST", "92", "loa")]
    [InlineData("HAG", "08", "loa")]  // Hà Giang, not Hậu Giang
    [InlineData("10", "15", "gso")]   // old Lào Cai: the new Lào Cai took Yên Bái's code
    [InlineData("27", "24", "gso")]   // old Bắc Ninh: the new one took Bắc Giang's
    [InlineData("BDU", "79", "loa")]
    [InlineData("vn-sg", "79", "iso3166-2")]
    [InlineData("VN-HN", "01", "iso3166-2")]
    [InlineData("VN-26", "46", "iso3166-2")]
    [InlineData("KG", "91", "loa")]
    public void An_old_code_resolves_to_the_unit_that_absorbed_it(string old, string unit, string scheme)
    {
        var resolved = Shipped.Resolve(old)!;
        Assert.Equal((unit, scheme, old.ToUpperInvariant()), (resolved.Code, resolved.Scheme, resolved.RemappedFrom));
    }

    [Fact]
    public void Every_one_of_the_63_old_provinces_maps_to_a_unit_in_every_scheme()
    {
        foreach (var scheme in new[] { "gso", "loa", "iso3166-2" })
        {
            var rows = Shipped.Remaps.Where(r => r.Scheme == scheme).ToList();
            Assert.Equal(63, rows.Count);
            Assert.Equal(63, rows.Select(r => r.Name).Distinct().Count());
            Assert.All(rows, r => Assert.Equal(r.Province, Shipped.Resolve(r.Code)?.Code));
        }
        // One province, one unit, whichever scheme names it.
        Assert.All(Shipped.Remaps.GroupBy(r => r.Name), g => Assert.Single(g.Select(r => r.Province).Distinct()));
        // Every unit absorbed at least its namesake; the 23 new units more than one.
        Assert.Equal(23, Shipped.Units.Count(u => Shipped.Remaps.Count(r => r.Scheme == "gso" && r.Province == u.Code) > 1));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(null)]
    [InlineData("XX")]
    [InlineData("03")]     // never a province code
    [InlineData("1")]      // 01, not 1
    [InlineData("VN-99")]
    [InlineData("73")]     // VN-73 is ISO; bare 73 is no GSO code
    [InlineData("Hanoi")]
    public void Anything_else_resolves_to_nothing(string? code) => Assert.Null(Shipped.Resolve(code));

    [Fact]
    public void A_tenant_is_national_or_its_units_code()
    {
        Assert.Equal("national", Shipped.Tenant("national"));
        Assert.Equal("01", Shipped.Tenant("HN"));
        Assert.Equal("92", Shipped.Tenant("HG"));
        Assert.Equal("nowhere", Shipped.Tenant("nowhere"));
    }

    [Theory]
    [InlineData("01,Hà Nội,HN,city\n01,Cao Bằng,CB,province", "", "code 01 is listed twice")]
    [InlineData("01,Hà Nội,HN,city\n04,Cao Bằng,HN,province", "", "alias HN is listed twice")]
    [InlineData("1,Hà Nội,HN,city", "", "not a 2-digit code")]
    [InlineData("01,Hà Nội,HN,town", "", "kind 'town'")]
    [InlineData("01,Hà Nội,HN,city", "HG,92,loa,Hậu Giang", "not a unit of provinces.csv")]
    [InlineData("01,Hà Nội,HN,city\n92,Cần Thơ,CT,city", "HN,92,loa,Hà Nội", "HN is Hà Nội's code or alias today")]
    [InlineData("01,Hà Nội,HN,city", "HG,01,loa,x\nhg,01,loa,y", "HG is listed twice")]
    public void A_contradictory_table_is_refused_with_its_line(string units, string remaps, string expected)
    {
        var error = Assert.Throws<FormatException>(() => Provinces.Parse(
            new StringReader("code,name,alias,kind\n" + units), new StringReader("code,province,scheme,name\n" + remaps)));
        Assert.Contains(expected, error.Message);
        Assert.Contains("line", error.Message);
    }

    [Fact]
    public void An_operators_copy_replaces_the_shipped_tables()
    {
        var directory = Directory.CreateTempSubdirectory("loa-provinces-");
        try
        {
            var units = Path.Combine(directory.FullName, "units.csv");
            var remaps = Path.Combine(directory.FullName, "remaps.csv");
            File.WriteAllText(units, "# a test\ncode,name,alias,kind\n01,Hà Nội,HN,city\n");
            File.WriteAllText(remaps, "code,province,scheme,name\nHT,01,loa,Hà Tây\n");
            var provinces = Provinces.Load(new ProvinceOptions { UnitsFile = units, RemapFile = remaps });
            Assert.Equal("01", provinces.Resolve("HT")?.Code);
            Assert.Null(provinces.Resolve("92"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
