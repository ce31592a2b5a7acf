using Loa.CarrierAdapters.Encoding;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>One submit_sm's worth of a message: its coding, esm_class and short_message octets, and TLVs (sar_*, message_payload).</summary>
public sealed record SmppPart(int Number, int Total, byte DataCoding, byte EsmClass, byte[] ShortMessage)
{
    public IReadOnlyList<SmppTlv> Tlvs { get; init; } = [];
}

/// <summary>How the parts of a long message are tied together (<c>Loa:Carriers:&lt;id&gt;:Smpp:Concatenation</c>).</summary>
public enum SmppConcatenation
{
    /// <summary>A user data header with an 8-bit reference in each part (TS 23.040 §9.2.3.24.1): what every SMSC takes.</summary>
    Udh8,

    /// <summary>The sar_* TLVs on each part, no header in the text: for an SMSC that builds the header itself.</summary>
    Sar,

    /// <summary>One submit_sm with the whole text in message_payload: the SMSC cuts it, and bills its own count.</summary>
    Payload,
}

/// <summary>The concatenation header of a part: which message (reference), how many parts, which one this is.</summary>
public readonly record struct SmppConcat(int Reference, int Total, int Number);

/// <summary>A short message read back: its text, and where it belongs when it is one part of several.</summary>
public sealed record SmppReadText(string Text, SmppConcat? Concat);

/// <summary>
/// A message as the submit_sm parts an SMSC takes: cut where <see cref="SmsText.Split"/> cuts (so the parts
/// are those the approver was shown), each part after an 8-bit-reference concatenation header
/// (3GPP TS 23.040 §9.2.3.24.1), GSM-7 packed or one septet per octet, UCS-2 big-endian.
/// </summary>
public static class SmppText
{
    private const byte ConcatIe8 = 0x00;
    private const byte ConcatIe16 = 0x08;

    /// <param name="reference">The concatenation reference: the same for every part of one message, and
    /// different between messages to one subscriber that may be in flight together.</param>
    /// <param name="packGsm7">Eight septets in seven octets; most SMSCs take one septet per octet on <c>data_coding</c> 0.</param>
    public static IReadOnlyList<SmppPart> Parts(string text, byte reference, bool packGsm7) =>
        Parts(text, reference, packGsm7, SmppConcatenation.Udh8);

    /// <param name="reference">For <see cref="SmppConcatenation.Udh8"/> its low 8 bits; sar_msg_ref_num takes 16.</param>
    public static IReadOnlyList<SmppPart> Parts(string text, ushort reference, bool packGsm7, SmppConcatenation concatenation)
    {
        if (concatenation == SmppConcatenation.Payload)
        {
            var whole = SmsText.Split(text);
            var all = string.Concat(whole.Parts);
            return whole.Encoding == SmsEncoding.Gsm7
                ? [new SmppPart(1, 1, ShortMessageBody.CodingGsm7, 0, []) { Tlvs = [new SmppTlv(SmppTlv.MessagePayload, Gsm7([], all, packGsm7))] }]
                : [new SmppPart(1, 1, ShortMessageBody.CodingUcs2, 0, []) { Tlvs = [new SmppTlv(SmppTlv.MessagePayload, System.Text.Encoding.BigEndianUnicode.GetBytes(all))] }];
        }
        if (concatenation == SmppConcatenation.Sar)
        {
            // Cut where the preview cut, though without a header a part could hold 7 more characters:
            // the parts billed must be those the approver was shown.
            var cut = SmsText.Split(text);
            var count = cut.Parts.Count;
            return [.. cut.Parts.Select((part, i) =>
            {
                var octets = cut.Encoding == SmsEncoding.Gsm7 ? Gsm7([], part, packGsm7) : System.Text.Encoding.BigEndianUnicode.GetBytes(part);
                return new SmppPart(i + 1, count, cut.Encoding == SmsEncoding.Gsm7 ? ShortMessageBody.CodingGsm7 : ShortMessageBody.CodingUcs2, 0, octets)
                {
                    Tlvs = count == 1 ? [] :
                    [
                        SmppTlv.UInt16(SmppTlv.SarMessageReference, reference),
                        SmppTlv.Byte(SmppTlv.SarTotalSegments, (byte)count),
                        SmppTlv.Byte(SmppTlv.SarSegmentNumber, (byte)(i + 1)),
                    ],
                };
            })];
        }
        return Udh8(text, (byte)reference, packGsm7);
    }

    private static IReadOnlyList<SmppPart> Udh8(string text, byte reference, bool packGsm7)
    {
        var split = SmsText.Split(text);
        var total = split.Parts.Count;
        if (total > 255)
            throw new ArgumentException($"The text needs {total} parts; a concatenation header counts at most 255.", nameof(text));
        var parts = new SmppPart[total];
        for (var i = 0; i < total; i++)
        {
            byte[] header = total == 1 ? [] : [0x05, ConcatIe8, 0x03, reference, (byte)total, (byte)(i + 1)];
            var esm = total == 1 ? (byte)0 : ShortMessageBody.UdhIndicator;
            parts[i] = split.Encoding == SmsEncoding.Gsm7
                ? new SmppPart(i + 1, total, ShortMessageBody.CodingGsm7, esm, Gsm7(header, split.Parts[i], packGsm7))
                : new SmppPart(i + 1, total, ShortMessageBody.CodingUcs2, esm, [.. header, .. System.Text.Encoding.BigEndianUnicode.GetBytes(split.Parts[i])]);
        }
        return parts;
    }

    /// <summary>
    /// The text of a submit_sm or deliver_sm and its place in a concatenated message, from a UDH (8- or
    /// 16-bit reference) or from the sar_* TLVs; message_payload is read when short_message is empty.
    /// </summary>
    public static SmppReadText Read(ShortMessageBody body, bool packedGsm7)
    {
        ArgumentNullException.ThrowIfNull(body);
        var octets = body.ShortMessage.Length == 0 && body.Tlv(SmppTlv.MessagePayload) is { } payload
            ? payload.Value
            : body.ShortMessage;
        SmppConcat? concat = null;
        var headerLength = 0;
        if (body.HasUdh && octets.Length > 0)
        {
            headerLength = 1 + octets[0];
            if (headerLength > octets.Length)
                throw new FormatException($"The user data header claims {headerLength} octets of {octets.Length}.");
            concat = ReadConcat(octets.AsSpan(1, headerLength - 1));
        }
        concat ??= Sar(body);

        var text = body.DataCoding switch
        {
            ShortMessageBody.CodingUcs2 => System.Text.Encoding.BigEndianUnicode.GetString(octets, headerLength, octets.Length - headerLength),
            ShortMessageBody.CodingGsm7 => packedGsm7
                ? Gsm7Codec.FromSeptets(Gsm7Codec.Unpack(octets, headerLength))
                : Gsm7Codec.FromSeptets(octets.AsSpan(headerLength)),
            // Latin-1 and "octet unspecified" codings are read as Latin-1: enough for receipt text, which is ASCII.
            _ => System.Text.Encoding.Latin1.GetString(octets, headerLength, octets.Length - headerLength),
        };
        return new SmppReadText(text, concat);
    }

    private static byte[] Gsm7(byte[] header, string part, bool pack)
    {
        var septets = Gsm7Codec.ToSeptets(part);
        return pack ? Gsm7Codec.Pack(header, septets) : [.. header, .. septets];
    }

    private static SmppConcat? ReadConcat(ReadOnlySpan<byte> elements)
    {
        var at = 0;
        while (at + 2 <= elements.Length)
        {
            var id = elements[at];
            var length = elements[at + 1];
            var data = elements.Slice(at + 2, Math.Min(length, elements.Length - at - 2));
            if (id == ConcatIe8 && data.Length == 3)
                return new SmppConcat(data[0], data[1], data[2]);
            if (id == ConcatIe16 && data.Length == 4)
                return new SmppConcat((data[0] << 8) | data[1], data[2], data[3]);
            at += 2 + length;
        }
        return null;
    }

    private static SmppConcat? Sar(ShortMessageBody body) =>
        body.Tlv(SmppTlv.SarMessageReference) is { } reference
        && body.Tlv(SmppTlv.SarTotalSegments) is { } total
        && body.Tlv(SmppTlv.SarSegmentNumber) is { } number
            ? new SmppConcat(reference.AsInteger(), total.AsInteger(), number.AsInteger())
            : null;
}
