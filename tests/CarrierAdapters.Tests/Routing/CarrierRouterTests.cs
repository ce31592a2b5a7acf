using Loa.CarrierAdapters.Routing;

namespace Loa.CarrierAdapters.Tests.Routing;

public class CarrierRouterTests
{
    private static readonly CarrierRouter Seeded = SeededRouter();

    public static TheoryData<string, string> EveryCarrierPrefix() => CarrierPrefixes.All();

    [Theory]
    [MemberData(nameof(EveryCarrierPrefix))]
    public void Every_seeded_prefix_routes_to_its_carrier(string prefix, string carrier)
    {
        Assert.Equal(carrier, Seeded.Route("+84" + prefix[1..] + CarrierPrefixes.Subscriber));
    }

    [Theory]
    [MemberData(nameof(EveryCarrierPrefix))]
    public void A_normalised_number_of_every_seeded_prefix_routes_to_its_carrier(string prefix, string carrier)
    {
        Assert.True(Msisdn.TryNormalize(prefix + CarrierPrefixes.Subscriber, out var e164, out var reason), reason);
        Assert.Equal(carrier, Seeded.Route(e164));
    }

    [Fact]
    public void A_ported_number_goes_to_the_carrier_it_ported_to()
    {
        Assert.Equal("mobifone", Seeded.Route("+84869876543", portedCarrier: "mobifone"));
        Assert.Equal("viettel", Seeded.Route("+84912345678", portedCarrier: "viettel"));
    }

    [Fact]
    public void A_ported_carrier_wins_even_where_no_prefix_matches()
    {
        Assert.Equal("gmobile", Seeded.Route("+84712345678", portedCarrier: "gmobile"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Without_a_ported_carrier_the_prefix_decides(string? ported)
    {
        Assert.Equal("viettel", Seeded.Route("+84869876543", ported));
    }

    [Theory]
    [InlineData("+84712345678")] // 071 is not in the table
    [InlineData("+84212345678")]
    [InlineData("+84")]
    [InlineData("+8")]
    [InlineData("")]
    [InlineData("+12025550123")]
    [InlineData("+85591234567")] // 855 shares a first digit with 84 but is Cambodia
    [InlineData("0869876543")] // national form, not E.164
    public void A_number_no_prefix_matches_has_no_carrier(string e164)
    {
        Assert.Null(Seeded.Route(e164));
    }

    [Fact]
    public void The_longest_matching_prefix_wins()
    {
        var router = new CarrierRouter([new PrefixRoute("0869", "mobifone"), new PrefixRoute("086", "viettel"), new PrefixRoute("08", "gmobile")]);

        Assert.Equal("mobifone", router.Route("+84869876543"));
        Assert.Equal("viettel", router.Route("+84861234567"));
        Assert.Equal("gmobile", router.Route("+84801234567"));
        Assert.Null(router.Route("+84912345678"));
    }

    [Fact]
    public void A_longer_prefix_does_not_cover_numbers_outside_it()
    {
        var router = new CarrierRouter([new PrefixRoute("0869", "mobifone")]);

        Assert.Null(router.Route("+84861234567"));
        Assert.Null(router.Route("+84"));
    }

    [Fact]
    public void An_empty_table_routes_nothing()
    {
        Assert.Null(new CarrierRouter([]).Route("+84912345678"));
    }

    [Theory]
    [InlineData("86")]
    [InlineData("0")]
    [InlineData("")]
    [InlineData("08a")]
    [InlineData("+8486")]
    [InlineData("01234567890")]
    public void A_route_with_a_malformed_prefix_is_refused(string prefix)
    {
        Assert.Throws<ArgumentException>(() => new CarrierRouter([new PrefixRoute(prefix, "viettel")]));
    }

    [Fact]
    public void A_prefix_routed_to_two_carriers_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new CarrierRouter([new PrefixRoute("086", "viettel"), new PrefixRoute("086", "mobifone")]));
    }

    [Fact]
    public void Routing_allocates_nothing()
    {
        Seeded.Route("+84869876543");
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Seeded.Route("+84869876543");
            Seeded.Route("+84712345678");
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    private static CarrierRouter SeededRouter()
    {
        using var reader = File.OpenText(CarrierPrefixes.SeedPath);
        return new CarrierRouter(CarrierRouter.ParseCsv(reader));
    }
}
