using Loa.CarrierAdapters.Encoding;
using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>A message into submit_sm parts and back, at every boundary, as an SMSC would read them.</summary>
public class SmppTextTests
{
    private const string Vietnamese = "Cục An toàn thông tin cảnh báo: không cung cấp mã OTP cho bất kỳ ai, kể cả người xưng là ngân hàng. ";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gsm7_with_escapes_splits_at_every_boundary_and_reads_back_exactly(bool packed)
    {
        for (var length = 150; length <= 470; length++)
        {
            var text = string.Concat(Enumerable.Range(0, length).Select(i => i % 37 == 36 ? '€' : i % 11 == 10 ? '[' : (char)('a' + i % 26)));
            AssertRoundTrip(text, packed, SmsEncoding.Gsm7);
        }
    }

    [Fact]
    public void Ucs2_vietnamese_splits_at_every_boundary_and_reads_back_exactly()
    {
        var source = string.Concat(Enumerable.Repeat(Vietnamese, 6));
        for (var length = 60; length <= 420; length++)
            AssertRoundTrip(source[..length], packed: false, SmsEncoding.Ucs2);
    }

    [Fact]
    public void A_single_part_has_no_header()
    {
        var part = Assert.Single(SmppText.Parts("Hello", 1, packGsm7: false));
        Assert.Equal(0, part.EsmClass);
        Assert.Equal(Gsm7Codec.ToSeptets("Hello"), part.ShortMessage);
    }

    [Fact]
    public void Parts_carry_an_8bit_reference_header_with_total_and_number()
    {
        var parts = SmppText.Parts(new string('x', 200), 0xA7, packGsm7: false);
        Assert.Equal(2, parts.Count);
        Assert.Equal(new byte[] { 5, 0, 3, 0xA7, 2, 1 }, parts[0].ShortMessage[..6]);
        Assert.Equal(new byte[] { 5, 0, 3, 0xA7, 2, 2 }, parts[1].ShortMessage[..6]);
        Assert.All(parts, p => Assert.Equal(ShortMessageBody.UdhIndicator, p.EsmClass));
    }

    [Fact]
    public void Sar_tlvs_and_message_payload_are_read_as_well()
    {
        var body = new ShortMessageBody
        {
            DataCoding = ShortMessageBody.CodingUcs2,
            Tlvs =
            [
                new SmppTlv(SmppTlv.MessagePayload, System.Text.Encoding.BigEndianUnicode.GetBytes("Cảnh báo")),
                SmppTlv.UInt16(SmppTlv.SarMessageReference, 300),
                SmppTlv.Byte(SmppTlv.SarTotalSegments, 3),
                SmppTlv.Byte(SmppTlv.SarSegmentNumber, 2),
            ],
        };
        Assert.Equal(new SmppReadText("Cảnh báo", new SmppConcat(300, 3, 2)), SmppText.Read(body, packedGsm7: false));
    }

    private static void AssertRoundTrip(string text, bool packed, SmsEncoding encoding)
    {
        var measure = SmsText.Measure(text);
        Assert.Equal(encoding, measure.Encoding);
        var parts = SmppText.Parts(text, 9, packed);
        Assert.Equal(measure.Parts, parts.Count);
        var read = parts.Select(p => SmppText.Read(new ShortMessageBody { EsmClass = p.EsmClass, DataCoding = p.DataCoding, ShortMessage = p.ShortMessage }, packed)).ToList();
        Assert.All(parts, p => Assert.True(p.ShortMessage.Length <= 140 || !packed && p.DataCoding == 0 && p.ShortMessage.Length <= 166, $"part of {p.ShortMessage.Length} octets"));
        if (parts.Count > 1)
        {
            Assert.All(read, (r, i) => Assert.Equal(new SmppConcat(9, parts.Count, i + 1), r.Concat));
        }
        Assert.Equal(text, string.Concat(read.Select(r => r.Text)));
    }
}
