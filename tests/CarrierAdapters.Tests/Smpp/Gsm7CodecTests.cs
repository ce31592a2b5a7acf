using Loa.CarrierAdapters.Encoding;

namespace Loa.CarrierAdapters.Tests.Smpp;

public class Gsm7CodecTests
{
    [Fact]
    public void Packs_hellohello_as_the_textbook_octets()
    {
        // The worked example every GSM 03.38 packing description uses.
        var packed = Gsm7Codec.Pack([], Gsm7Codec.ToSeptets("hellohello"));
        Assert.Equal(Convert.FromHexString("E8329BFD4697D9EC37"), packed);
        Assert.Equal("hellohello", Gsm7Codec.FromSeptets(Gsm7Codec.Unpack(packed, 0)));
    }

    [Fact]
    public void Extension_characters_are_escape_and_code()
    {
        Assert.Equal(new byte[] { 0x1B, 0x65, 0x1B, 0x28, 0x41, 0x1B, 0x29 }, Gsm7Codec.ToSeptets("€{A}"));
        Assert.Equal("€{A}", Gsm7Codec.FromSeptets([0x1B, 0x65, 0x1B, 0x28, 0x41, 0x1B, 0x29]));
    }

    [Fact]
    public void Basic_table_codes_skip_the_escape()
    {
        Assert.Equal(new byte[] { 0x00, 0x1A, 0x1C, 0x1F, 0x20, 0x7F }, Gsm7Codec.ToSeptets("@ΞÆÉ à"));
    }

    [Fact]
    public void A_character_outside_gsm7_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Gsm7Codec.ToSeptets("Việt"));
    }

    [Fact]
    public void Seven_spare_bits_are_filled_with_cr_and_read_back_as_nothing()
    {
        var packed = Gsm7Codec.Pack([], Gsm7Codec.ToSeptets("1234567"));
        Assert.Equal(7, packed.Length);
        Assert.Equal(0x0D << 1, packed[6] & 0xFE);
        Assert.Equal("1234567", Gsm7Codec.FromSeptets(Gsm7Codec.Unpack(packed, 0)));
    }

    [Fact]
    public void Text_after_a_concatenation_header_starts_at_the_next_septet_boundary()
    {
        byte[] header = [0x05, 0x00, 0x03, 0x2A, 0x02, 0x01];
        var packed = Gsm7Codec.Pack(header, Gsm7Codec.ToSeptets("Hi"));
        Assert.Equal(header, packed[..6]);
        // 48 header bits, one fill bit, then 'H' (0x48) from bit 49: 0x48 << 1 = 0x90.
        Assert.Equal(0x90, packed[6]);
        Assert.Equal("Hi", Gsm7Codec.FromSeptets(Gsm7Codec.Unpack(packed, 6)));
    }

    [Fact]
    public void Every_length_round_trips_packed_with_and_without_a_header()
    {
        const string alphabet = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCZÄÖÑÜ§¿abcxyzäöñüà^{}\\[~]|€";
        for (var length = 0; length <= 160; length++)
        {
            var text = string.Concat(Enumerable.Range(0, length).Select(i => alphabet[i * 7 % alphabet.Length]));
            var septets = Gsm7Codec.ToSeptets(text);
            Assert.Equal(text, Gsm7Codec.FromSeptets(Gsm7Codec.Unpack(Gsm7Codec.Pack([], septets), 0)));
            Assert.Equal(text, Gsm7Codec.FromSeptets(Gsm7Codec.Unpack(Gsm7Codec.Pack([5, 0, 3, 1, 2, 1], septets), 6)));
        }
    }

    [Fact]
    public void A_full_part_with_header_fits_140_octets()
    {
        var packed = Gsm7Codec.Pack([5, 0, 3, 1, 2, 1], Gsm7Codec.ToSeptets(new string('a', SmsText.Gsm7PartSeptets)));
        Assert.Equal(140, packed.Length);
        Assert.Equal(140, Gsm7Codec.Pack([], Gsm7Codec.ToSeptets(new string('a', SmsText.Gsm7SingleSeptets))).Length);
    }
}
