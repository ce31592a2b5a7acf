using Loa.CarrierAdapters.Encoding;

namespace Loa.CarrierAdapters.Tests.Encoding;

public class SmsTextTests
{
    // GSM 03.38 default alphabet, 0x00–0x7F without 0x1B (ESC), transcribed by code point from
    // 3GPP TS 23.038 independently of the table in the code under test.
    private const string BasicTable =
        "\u0040\u00A3\u0024\u00A5\u00E8\u00E9\u00F9\u00EC\u00F2\u00C7\u000A\u00D8\u00F8\u000D\u00C5\u00E5" +
        "\u0394\u005F\u03A6\u0393\u039B\u03A9\u03A0\u03A8\u03A3\u0398\u039E\u00C6\u00E6\u00DF\u00C9" +
        " !\"#\u00A4%&'()*+,-./0123456789:;<=>?" +
        "\u00A1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00C4\u00D6\u00D1\u00DC\u00A7" +
        "\u00BFabcdefghijklmnopqrstuvwxyz\u00E4\u00F6\u00F1\u00FC\u00E0";

    [Fact]
    public void Every_character_of_the_basic_table_is_one_septet()
    {
        Assert.Equal(127, BasicTable.Length);
        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 127, 1), SmsText.Measure(BasicTable));
    }

    [Theory]
    [InlineData("\f")]
    [InlineData("^")]
    [InlineData("{")]
    [InlineData("}")]
    [InlineData("\\")]
    [InlineData("[")]
    [InlineData("~")]
    [InlineData("]")]
    [InlineData("|")]
    [InlineData("€")]
    public void Extension_table_characters_count_two_septets(string text)
    {
        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 2, 1), SmsText.Measure(text));
    }

    [Theory]
    [InlineData("Δ")]
    [InlineData("Φ")]
    [InlineData("Γ")]
    [InlineData("Λ")]
    [InlineData("Ω")]
    [InlineData("Π")]
    [InlineData("Ψ")]
    [InlineData("Σ")]
    [InlineData("Θ")]
    [InlineData("Ξ")]
    [InlineData("Ç")]
    [InlineData("Ø")]
    [InlineData("å")]
    [InlineData("Ä")]
    [InlineData("ß")]
    [InlineData("é")]
    [InlineData("è")]
    [InlineData("ù")]
    [InlineData("ì")]
    [InlineData("ò")]
    [InlineData("à")]
    [InlineData("¿")]
    [InlineData("§")]
    public void Gsm7_has_these_non_ascii_letters(string text)
    {
        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 1, 1), SmsText.Measure(text));
    }

    [Theory]
    [InlineData("á")] // sắc on a: GSM-7 has only the French à, é, è, ù, ì, ò
    [InlineData("ả")]
    [InlineData("ã")]
    [InlineData("ạ")]
    [InlineData("ă")]
    [InlineData("â")]
    [InlineData("ê")]
    [InlineData("ế")]
    [InlineData("í")]
    [InlineData("ó")]
    [InlineData("ô")]
    [InlineData("ơ")]
    [InlineData("ú")]
    [InlineData("ư")]
    [InlineData("ý")]
    [InlineData("đ")]
    [InlineData("Đ")]
    [InlineData("É\u0301")] // a combining tone is not in GSM-7 even after a GSM-7 letter
    public void Vietnamese_letters_need_ucs2(string text)
    {
        Assert.Equal(SmsEncoding.Ucs2, SmsText.Measure(text).Encoding);
    }

    [Theory]
    [InlineData("`")] // 0x60 in GSM-7 is ¿, not the backtick
    [InlineData("ç")] // only the capital Ç is in the table
    [InlineData("α")] // only Greek capitals that differ from Latin ones are in the table
    [InlineData("\t")]
    [InlineData("\u001B")] // ESC is an escape, not a character
    [InlineData("“quoted”")]
    public void Characters_outside_the_table_need_ucs2(string text)
    {
        Assert.Equal(SmsEncoding.Ucs2, SmsText.Measure(text).Encoding);
    }

    [Fact]
    public void Accented_vietnamese_needs_ucs2()
    {
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 17, 1), SmsText.Measure("Cảnh báo lừa đảo!"));
    }

    [Fact]
    public void Empty_text_is_gsm7_of_length_zero_and_bills_as_one_part()
    {
        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 0, 1), SmsText.Measure(""));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)] // 2 × 153
    [InlineData(307, 3)]
    [InlineData(459, 3)] // 3 × 153
    [InlineData(460, 4)]
    [InlineData(1530, 10)]
    [InlineData(1531, 11)]
    public void Gsm7_is_one_part_up_to_160_septets_then_153_per_part(int length, int parts)
    {
        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, length, parts), SmsText.Measure(new string('a', length)));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)] // 2 × 67
    [InlineData(135, 3)]
    [InlineData(201, 3)] // 3 × 67
    [InlineData(202, 4)]
    public void Ucs2_is_one_part_up_to_70_units_then_67_per_part(int length, int parts)
    {
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, length, parts), SmsText.Measure(new string('ạ', length)));
    }

    [Fact]
    public void Eighty_euro_signs_fill_exactly_one_single_part()
    {
        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 160, 1), SmsText.Measure(new string('€', 80)));
    }

    [Fact]
    public void Eighty_one_euro_signs_need_two_parts_of_at_most_seventy_six()
    {
        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 162, 2), SmsText.Measure(new string('€', 81)));
    }

    [Fact]
    public void An_extension_character_that_would_straddle_a_part_boundary_moves_to_the_next_part()
    {
        // 152 + 2 + 152 = 306 septets would fit 2 × 153, but the € cannot start at septet 153 of part 1:
        // part 1 = 152, part 2 = € + 151 = 153, part 3 = 1.
        var text = new string('a', 152) + "€" + new string('a', 152);

        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 306, 3), SmsText.Measure(text));
    }

    [Fact]
    public void An_extension_character_that_starts_a_part_costs_nothing_extra()
    {
        // part 1 = 153, part 2 = € + 151 = 153.
        var text = new string('a', 153) + "€" + new string('a', 151);

        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 306, 2), SmsText.Measure(text));
    }

    [Fact]
    public void An_extension_character_that_ends_a_part_exactly_stays_in_it()
    {
        // part 1 = 151 + 2 = 153, part 2 = 153.
        var text = new string('a', 151) + "€" + new string('a', 153);

        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 306, 2), SmsText.Measure(text));
    }

    [Fact]
    public void Splitting_rule_does_not_apply_to_a_single_part()
    {
        // The € takes septets 159–160, past a part's 153, but a single SMS has no part boundary.
        var text = new string('a', 158) + "€";

        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 160, 1), SmsText.Measure(text));
    }

    [Fact]
    public void A_surrogate_pair_counts_two_ucs2_units()
    {
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 2, 1), SmsText.Measure("😀"));
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 70, 1), SmsText.Measure(string.Concat(Enumerable.Repeat("😀", 35))));
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 72, 2), SmsText.Measure(string.Concat(Enumerable.Repeat("😀", 36))));
    }

    [Fact]
    public void A_surrogate_pair_that_would_straddle_a_part_boundary_moves_to_the_next_part()
    {
        // 66 + 2 + 66 = 134 units would fit 2 × 67: part 1 = 66, part 2 = pair + 65 = 67, part 3 = 1.
        var text = new string('ạ', 66) + "😀" + new string('ạ', 66);

        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 134, 3), SmsText.Measure(text));
    }

    [Fact]
    public void A_lone_surrogate_counts_one_unit()
    {
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 3, 1), SmsText.Measure("a\uD83Db"));
    }

    [Fact]
    public void One_non_gsm_character_makes_the_whole_text_ucs2()
    {
        var text = new string('a', 150) + "ư";

        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 151, 3), SmsText.Measure(text));
    }
}
