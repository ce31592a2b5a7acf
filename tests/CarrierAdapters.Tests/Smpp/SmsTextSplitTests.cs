using Loa.CarrierAdapters.Encoding;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>Split cuts where Measure counts: the parts sent are the parts the approver saw.</summary>
public class SmsTextSplitTests
{
    public static TheoryData<string> Texts()
    {
        var data = new TheoryData<string>();
        foreach (var length in new[] { 1, 152, 153, 154, 159, 160, 161, 305, 306, 307, 459, 460, 700 })
        {
            data.Add(new string('a', length));
            // An escape character placed so that it would straddle every boundary from 150 to 160.
            data.Add(new string('a', Math.Max(0, length - 1)) + "€");
        }
        foreach (var length in new[] { 1, 66, 67, 68, 69, 70, 71, 134, 135, 201, 202, 400 })
            data.Add(string.Concat(Enumerable.Repeat("Cảnh báo lừa đảo ", 30))[..length]);
        data.Add(string.Concat(Enumerable.Repeat("x", 66)) + "😀" + new string('y', 10));
        return data;
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Split_gives_as_many_parts_as_measure_counts_and_loses_nothing(string text)
    {
        var measure = SmsText.Measure(text);
        var split = SmsText.Split(text);
        Assert.Equal(measure.Encoding, split.Encoding);
        Assert.Equal(measure.Parts, split.Parts.Count);
        Assert.Equal(text, string.Concat(split.Parts));
    }

    [Fact]
    public void Every_boundary_in_gsm7_with_escapes_keeps_escape_and_character_together()
    {
        for (var prefix = 140; prefix <= 320; prefix++)
        {
            var text = new string('a', prefix) + "[]{}€^~|\\" + new string('b', 10);
            var split = SmsText.Split(text);
            Assert.Equal(SmsText.Measure(text).Parts, split.Parts.Count);
            foreach (var part in split.Parts)
                Assert.True(SmsText.Measure(part).Length <= (split.Parts.Count == 1 ? SmsText.Gsm7SingleSeptets : SmsText.Gsm7PartSeptets));
            Assert.Equal(text, string.Concat(split.Parts));
        }
    }

    [Fact]
    public void A_surrogate_pair_is_never_cut()
    {
        var text = new string('ạ', 66) + "😀" + new string('ạ', 66) + "😀😀";
        var split = SmsText.Split(text);
        Assert.Equal(SmsText.Measure(text).Parts, split.Parts.Count);
        foreach (var part in split.Parts)
        {
            Assert.False(char.IsHighSurrogate(part[^1]));
            Assert.False(char.IsLowSurrogate(part[0]));
        }
    }
}
