using Loa.CarrierAdapters.Routing;
using PhoneNumbers;

namespace Loa.CarrierAdapters.Tests.Routing;

public class MsisdnTests
{
    public static TheoryData<string> EveryCarrierPrefix() => CarrierPrefixes.Prefixes();

    [Theory]
    [MemberData(nameof(EveryCarrierPrefix))]
    public void Every_carrier_prefix_normalises_from_every_written_form(string prefix)
    {
        var national = prefix[1..] + CarrierPrefixes.Subscriber; // e.g. 86 9876543
        var expected = "+84" + national;

        string[] forms =
        [
            "0" + national,
            "+84" + national,
            "84" + national,
            "0084" + national,
            $"0{national[..2]} {national[2..5]} {national[5..]}",
            $"+84 {national[..2]} {national[2..5]} {national[5..]}",
            $"0{national[..2]}-{national[2..5]}-{national[5..]}",
        ];
        foreach (var form in forms)
        {
            Assert.True(Msisdn.TryNormalize(form, out var e164, out var reason), $"{form}: {reason}");
            Assert.Equal(expected, e164);
            Assert.Equal("", reason);
        }
    }

    [Theory]
    [InlineData("0912345678")]
    [InlineData("+84912345678")]
    [InlineData("84912345678")]
    [InlineData("0084912345678")]
    [InlineData("+84 91 234 5678")]
    [InlineData("091 234 5678")]
    [InlineData("091-234-5678")]
    [InlineData("091.234.5678")]
    [InlineData("(091) 234 5678")]
    [InlineData("(+84) 912 345 678")]
    [InlineData("+84 (0)91 234 5678")]
    [InlineData("840912345678")]
    [InlineData("  0912345678\t")]
    [InlineData("0912\u00A0345\u00A0678")] // non-breaking spaces, as pasted from a web page or Excel
    [InlineData("912345678")] // a spreadsheet dropped the leading 0
    public void A_mobile_number_is_normalised_to_e164(string raw)
    {
        Assert.True(Msisdn.TryNormalize(raw, out var e164, out var reason), reason);
        Assert.Equal("+84912345678", e164);
    }

    [Fact]
    public void Nine_digits_starting_with_84_are_a_national_084_number_that_lost_its_0()
    {
        Assert.True(Msisdn.TryNormalize("849123456", out var e164, out _));
        Assert.Equal("+84849123456", e164);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_missing_number_is_empty(string? raw)
    {
        AssertRejected(raw, "empty");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("09123x5678")]
    [InlineData("0912345678a")]
    [InlineData("8.49123E+11")] // Excel's scientific notation has lost digits
    [InlineData("+84+912345678")]
    [InlineData("0912345678+")]
    [InlineData("+")]
    [InlineData("---")]
    [InlineData("0912/345/678")]
    [InlineData("０９１２３４５６７８")] // full-width digits
    public void Junk_is_not_a_number(string raw)
    {
        AssertRejected(raw, "not a number");
    }

    [Theory]
    [InlineData("091234567")]
    [InlineData("+8491234567")]
    [InlineData("8491234567")]
    [InlineData("91234567")]
    [InlineData("0")]
    [InlineData("+84")]
    [InlineData("+8")]
    [InlineData("12345")]
    public void Too_few_digits_are_too_short(string raw)
    {
        AssertRejected(raw, "too short");
    }

    [Theory]
    [InlineData("09123456789")]
    [InlineData("+849123456789")]
    [InlineData("8491234567890")]
    [InlineData("091234567891234567")]
    [InlineData("00000000000000000000")]
    public void Too_many_digits_are_too_long(string raw)
    {
        AssertRejected(raw, "too long");
    }

    [Theory]
    [InlineData("024 3825 1234")] // Hà Nội
    [InlineData("+84 24 3825 1234")]
    [InlineData("84 24 3825 1234")]
    [InlineData("028 3829 5555")] // TP Hồ Chí Minh
    [InlineData("0236 3822 123")] // Đà Nẵng
    [InlineData("2438251234")] // Hà Nội, leading 0 dropped
    [InlineData("1800 1234")] // toll-free
    [InlineData("1900 1234")] // premium rate
    public void A_landline_or_service_number_is_not_a_mobile_number(string raw)
    {
        AssertRejected(raw, "not a Vietnamese mobile number");
    }

    [Theory]
    [InlineData("0712345678")] // 071 is not allocated
    [InlineData("0629123456")]
    [InlineData("0672123456")] // VSAT, not a mobile network
    [InlineData("0529123456")] // libphonenumber knows only 0522, 0523 and 0528 of 052
    [InlineData("0890123456")] // libphonenumber knows only 0896–0899 of 089
    [InlineData("0550123456")] // libphonenumber knows only 0559 of 055
    [InlineData("0992123456")] // libphonenumber does not list 0992
    public void A_nine_digit_number_outside_the_mobile_ranges_is_not_a_mobile_number(string raw)
    {
        AssertRejected(raw, "not a Vietnamese mobile number");
    }

    [Theory]
    [InlineData("0890123456", "+84890123456")] // MobiFone, refused by libphonenumber's metadata
    [InlineData("0550123456", "+84550123456")] // Reddi on MobiFone
    [InlineData("0992123456", "+84992123456")] // Gmobile
    public void A_number_the_prefix_table_routes_is_mobile_even_where_libphonenumber_lags(string raw, string expected)
    {
        var router = new CarrierRouter(CarrierPrefixes.FromDomain.Select(r => new PrefixRoute(r.Prefix, r.Carrier)));
        Assert.True(Msisdn.TryNormalize(raw, router, out var e164, out var reason), reason);
        Assert.Equal(expected, e164);
    }

    [Theory]
    [InlineData("0529123456")] // neither libphonenumber nor the table knows 052
    [InlineData("0712345678")]
    [InlineData("02438251234")]
    public void A_number_neither_libphonenumber_nor_the_prefix_table_knows_stays_rejected(string raw)
    {
        var router = new CarrierRouter(CarrierPrefixes.FromDomain.Select(r => new PrefixRoute(r.Prefix, r.Carrier)));
        Assert.False(Msisdn.TryNormalize(raw, router, out var e164, out var reason));
        Assert.Equal("", e164);
        Assert.Equal("not a Vietnamese mobile number", reason);
    }

    [Theory]
    [InlineData("+1 202 555 0123")]
    [InlineData("+44 20 7946 0958")]
    [InlineData("+33 6 12 34 56 78")]
    [InlineData("+855 12 345 678")] // Cambodia: 855, not 84
    [InlineData("+86 139 1234 5678")]
    [InlineData("0044 20 7946 0958")]
    public void A_foreign_number_is_not_vietnamese(string raw)
    {
        AssertRejected(raw, "not a Vietnamese number");
    }

    [Fact]
    public void The_verdict_for_a_prefix_matches_libphonenumber_for_every_nine_digit_number_tried()
    {
        // Msisdn asks libphonenumber once per 4-digit prefix. This holds only while libphonenumber's
        // Vietnamese patterns decide on at most the first four digits; a metadata update that
        // breaks that fails here.
        var util = PhoneNumberUtil.GetInstance();
        string[] subscribers = ["00000", "99999", "12345", "50505", "98760"];
        var mismatches = new List<string>();
        for (var prefix = 1000; prefix <= 9999; prefix++)
        {
            foreach (var subscriber in subscribers)
            {
                var national = prefix.ToString("D4") + subscriber;
                var type = util.GetNumberType(util.Parse("+84" + national, null));
                var expected = type is PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE;
                if (Msisdn.TryNormalize("0" + national, out _, out _) != expected)
                {
                    mismatches.Add(national);
                }
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void Vietnamese_mobile_numbers_have_nine_national_digits_in_libphonenumber()
    {
        var metadata = PhoneNumberUtil.GetInstance().GetMetadataForRegion("VN");

        Assert.Equal([9], metadata.Mobile.PossibleLengthList);
    }

    [Theory]
    [InlineData("+84912345678", "+8491****678")]
    [InlineData("+84869876543", "+8486****543")]
    [InlineData("+842438251234", "+8424****234")]
    public void A_number_is_masked_to_its_carrier_digits_and_last_three(string e164, string masked)
    {
        Assert.Equal(masked, Msisdn.Mask(e164));
    }

    [Theory]
    [InlineData("")]
    [InlineData("+8491")]
    [InlineData("+8491234567")]
    [InlineData("0912345678")]
    [InlineData("84912345678")]
    [InlineData("+84 912 345 678")]
    [InlineData("+84912345abc")]
    [InlineData("+12025550123")]
    [InlineData("+849123456789012345")]
    [InlineData("not a number at all")]
    public void Anything_short_or_odd_is_masked_whole(string value)
    {
        Assert.Equal("****", Msisdn.Mask(value));
    }

    private static void AssertRejected(string? raw, string expectedReason)
    {
        Assert.False(Msisdn.TryNormalize(raw, out var e164, out var reason));
        Assert.Equal("", e164);
        Assert.Equal(expectedReason, reason);
    }
}
