using System.Text;
using Loa.CarrierAdapters.Encoding;

namespace Loa.CarrierAdapters.Tests.Encoding;

public class UnaccentTests
{
    // The twelve Vietnamese vowels, built from base letters and combining marks so the expected
    // forms come from Unicode normalisation, not from the table in the code under test.
    private static readonly (string Vowel, char Base)[] Vowels =
    [
        ("a", 'a'), ("a\u0306", 'a'), ("a\u0302", 'a'), // a ă â
        ("e", 'e'), ("e\u0302", 'e'), // e ê
        ("i", 'i'),
        ("o", 'o'), ("o\u0302", 'o'), ("o\u031B", 'o'), // o ô ơ
        ("u", 'u'), ("u\u031B", 'u'), // u ư
        ("y", 'y'),
    ];

    // none, huyền, sắc, hỏi, ngã, nặng
    private static readonly string[] Tones = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"];

    public static TheoryData<string, string> EveryVowelWithEveryTone()
    {
        var data = new TheoryData<string, string>();
        foreach (var (vowel, letter) in Vowels)
        {
            foreach (var tone in Tones)
            {
                var lower = (vowel + tone).Normalize(NormalizationForm.FormC);
                data.Add(lower, letter.ToString());
                data.Add(lower.ToUpperInvariant(), char.ToUpperInvariant(letter).ToString());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryVowelWithEveryTone))]
    public void Every_precomposed_vowel_and_tone_loses_its_marks(string letter, string expected)
    {
        Assert.Equal(1, letter.Length);
        Assert.Equal(expected, Unaccent.Strip(letter));
    }

    [Theory]
    [MemberData(nameof(EveryVowelWithEveryTone))]
    public void Every_decomposed_vowel_and_tone_loses_its_marks(string letter, string expected)
    {
        Assert.Equal(expected, Unaccent.Strip(letter.Normalize(NormalizationForm.FormD)));
    }

    [Fact]
    public void The_whole_alphabet_written_out_becomes_plain_letters()
    {
        Assert.Equal(
            "aaaaaaaaaaaaaaaaaa eeeeeeeeeeee iiiiii oooooooooooooooooo uuuuuuuuuuuu yyyyyy dd",
            Unaccent.Strip("aàáảãạăằắẳẵặâầấẩẫậ eèéẻẽẹêềếểễệ iìíỉĩị oòóỏõọôồốổỗộơờớởỡợ uùúủũụưừứửữự yỳýỷỹỵ dđ"));
        Assert.Equal(
            "AAAAAAAAAAAAAAAAAA EEEEEEEEEEEE IIIIII OOOOOOOOOOOOOOOOOO UUUUUUUUUUUU YYYYYY DD",
            Unaccent.Strip("AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ EÈÉẺẼẸÊỀẾỂỄỆ IÌÍỈĨỊ OÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ UÙÚỦŨỤƯỪỨỬỮỰ YỲÝỶỸỴ DĐ"));
    }

    [Fact]
    public void D_with_stroke_becomes_d_in_both_cases()
    {
        Assert.Equal("Dang di dau", Unaccent.Strip("Đang đi đâu"));
    }

    [Fact]
    public void A_decomposed_sentence_is_stripped_like_its_precomposed_form()
    {
        const string sentence = "Cảnh báo khẩn: Đang có đợt lừa đảo giả danh ngân hàng";

        Assert.Equal("Canh bao khan: Dang co dot lua dao gia danh ngan hang", Unaccent.Strip(sentence));
        Assert.Equal("Canh bao khan: Dang co dot lua dao gia danh ngan hang", Unaccent.Strip(sentence.Normalize(NormalizationForm.FormD)));
    }

    [Fact]
    public void A_tone_typed_as_a_combining_mark_after_a_precomposed_vowel_is_dropped()
    {
        // Old Vietnamese keyboards (VNI, Windows-1258) compose the vowel and add the tone separately.
        Assert.Equal("Viet", Unaccent.Strip("Vie\u0302\u0323t"));
        Assert.Equal("Viet", Unaccent.Strip("Viê\u0323t"));
    }

    [Theory]
    [InlineData("Señor")]
    [InlineData("Sen\u0303or")] // decomposed ñ is not Vietnamese either
    [InlineData("Français, maître, über, Øresund")]
    [InlineData("i\u0302le")] // decomposed î
    [InlineData("\u0301 leading mark")]
    [InlineData("€ [x] {y} 😀 ¿?")]
    [InlineData("0912 345 678, khonggianmang.vn")]
    public void Other_characters_are_left_as_they_are(string text)
    {
        Assert.Equal(text, Unaccent.Strip(text));
    }

    [Fact]
    public void Unaccented_text_comes_back_as_the_same_instance()
    {
        var text = "CANH BAO KHAN: Dang co dot lua dao";

        Assert.Same(text, Unaccent.Strip(text));
    }

    [Fact]
    public void Empty_text_stays_empty()
    {
        Assert.Equal("", Unaccent.Strip(""));
    }

    [Fact]
    public void Long_text_is_stripped_whole()
    {
        var text = string.Concat(Enumerable.Repeat("Việt Nam ", 1000));

        Assert.Equal(string.Concat(Enumerable.Repeat("Viet Nam ", 1000)), Unaccent.Strip(text));
    }
}
