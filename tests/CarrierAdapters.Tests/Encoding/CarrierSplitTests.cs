using System.Text;
using Loa.CarrierAdapters.Encoding;

namespace Loa.CarrierAdapters.Tests.Encoding;

/// <summary>
/// Parts as a carrier bills them: 3GPP splits UCS-2 in 16-bit units, but a gateway that keeps a
/// user-perceived character whole at a part boundary moves it to the next part and can bill one more.
/// </summary>
public class CarrierSplitTests
{
    private static readonly string Fill66 = new('ạ', 66);
    private static readonly string Fill65 = new('ạ', 65);

    [Theory]
    [InlineData("\u26A0\uFE0F")]            // warning sign + emoji variation selector
    [InlineData("e\u0301")]                 // a decomposed letter: e and a combining acute
    [InlineData("\U0001F1FB\U0001F1F3")]    // the flag of Việt Nam: two regional indicators
    public void A_character_across_the_first_boundary_costs_a_part_more_where_the_carrier_keeps_it_whole(string character)
    {
        // Part 1 ends inside the character (after its first code point); the rest fills part 2 exactly when split in units.
        var around = Fill66[..(67 - character.Length / 2)];
        var text = around + character + around;

        var unitSplit = SmsText.Measure(text, splitGraphemes: false);
        var wholeCharacters = SmsText.Measure(text, splitGraphemes: true);

        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 134, 2), unitSplit);
        Assert.Equal(unitSplit.Parts + 1, wholeCharacters.Parts);
        Assert.Equal(unitSplit.Length, wholeCharacters.Length);
    }

    [Fact]
    public void The_warning_sign_at_the_boundary_is_two_parts_split_in_units_and_three_kept_whole()
    {
        var text = Fill66 + "\u26A0\uFE0F" + Fill66;

        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 134, 2), SmsText.Measure(text, splitGraphemes: false));
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 134, 3), SmsText.Measure(text, splitGraphemes: true));
    }

    [Fact]
    public void Without_a_character_at_a_boundary_both_rules_agree()
    {
        var text = Fill65 + "\u26A0\uFE0F" + Fill65;

        Assert.Equal(SmsText.Measure(text, splitGraphemes: false), SmsText.Measure(text, splitGraphemes: true));
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 132, 2), SmsText.Measure(text, splitGraphemes: true));
    }

    [Fact]
    public void A_single_message_is_one_part_under_either_rule()
    {
        var text = new string('ạ', 60) + "\U0001F1FB\U0001F1F3" + "\u26A0\uFE0F";

        Assert.Equal(1, SmsText.Measure(text, splitGraphemes: true).Parts);
        Assert.Equal(1, SmsText.Measure(text, splitGraphemes: false).Parts);
    }

    [Fact]
    public void The_default_measure_is_the_3gpp_unit_split()
    {
        var text = Fill66 + "\u26A0\uFE0F" + Fill66;

        Assert.Equal(SmsText.Measure(text, splitGraphemes: false), SmsText.Measure(text));
    }

    [Fact]
    public void A_character_longer_than_a_part_is_cut_where_it_must_be()
    {
        // A letter under 80 combining marks fits no part whole: the carrier cuts it like any splitter.
        var text = "a" + new string('\u0301', 80);

        Assert.Equal(SmsText.Measure(text, splitGraphemes: false), SmsText.Measure(text, splitGraphemes: true));
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 81, 2), SmsText.Measure(text, splitGraphemes: true));
    }

    [Fact]
    public void GSM7_line_breaks_measure_the_same_under_either_rule()
    {
        var text = new string('a', 152) + "\r\n" + new string('a', 10);

        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 164, 2), SmsText.Measure(text, splitGraphemes: false));
        // CR LF is one grapheme: kept whole, it moves to part 2, which still holds it.
        Assert.Equal(new SmsMeasure(SmsEncoding.Gsm7, 164, 2), SmsText.Measure(text, splitGraphemes: true));
    }
}

/// <summary>What Loa refuses to send, and the one form it sends Vietnamese in.</summary>
public class SendableTextTests
{
    [Theory]
    [InlineData("Canh bao\0", 8, "U+0000")]
    [InlineData("\tCanh bao", 0, "U+0009")]
    [InlineData("Canh\u001Bbao", 4, "U+001B")]
    [InlineData("Canh bao\u007F", 8, "U+007F")]
    [InlineData("Canh bao\u0085", 8, "U+0085")]
    public void Control_characters_are_unsendable_at_their_position(string text, int index, string codePoint)
    {
        var found = SmsText.Unsendable(text);

        Assert.NotNull(found);
        Assert.Equal(index, found.Value.Index);
        Assert.Contains(codePoint, found.Value.Reason);
    }

    // Built here, not in attributes: an attribute's string loses a lone surrogate on its way to the test.
    [Theory]
    [InlineData("Canh ", 0xD800, "bao", 5)]
    [InlineData("Canh bao", 0xDC00, "", 8)]
    [InlineData("😀", 0xDE00, "", 2)]
    [InlineData("", 0xDBFF, "a", 0)]
    public void Lone_surrogates_are_unsendable_at_their_position(string before, int surrogate, string after, int index)
    {
        var text = before + (char)surrogate + after;
        var codePoint = $"U+{surrogate:X4}";

        var found = SmsText.Unsendable(text);

        Assert.NotNull(found);
        Assert.Equal(index, found.Value.Index);
        Assert.Contains(codePoint, found.Value.Reason);
    }

    [Theory]
    [InlineData("Cảnh báo:\r\nkhông cung cấp mã OTP.\nGọi 113.")]
    [InlineData("🇻🇳 ⚠️ Cảnh báo 😀")]
    [InlineData("")]
    public void Line_breaks_emoji_and_Vietnamese_are_sendable(string text) =>
        Assert.Null(SmsText.Unsendable(text));

    [Fact]
    public void Decomposed_Vietnamese_is_precomposed_and_costs_fewer_units()
    {
        const string precomposed = "Cục ATTT cảnh báo: không cài ứng dụng lạ, không mở đường link lạ.";
        var decomposed = precomposed.Normalize(NormalizationForm.FormD);

        Assert.Equal(precomposed, SmsText.Precomposed(decomposed));
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 81, 2), SmsText.Measure(decomposed));
        Assert.Equal(new SmsMeasure(SmsEncoding.Ucs2, 65, 1), SmsText.Measure(SmsText.Precomposed(decomposed)));
    }
}
