using System.Buffers.Binary;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>An optional parameter (§5.3): tag, then its value's octets.</summary>
public sealed record SmppTlv(ushort Tag, byte[] Value)
{
    public const ushort ReceiptedMessageId = 0x001E;
    public const ushort SarMessageReference = 0x020C;
    public const ushort SarTotalSegments = 0x020E;
    public const ushort SarSegmentNumber = 0x020F;
    public const ushort ScInterfaceVersion = 0x0210;
    public const ushort NetworkErrorCode = 0x0423;
    public const ushort MessagePayload = 0x0424;
    public const ushort MessageState = 0x0427;

    public static SmppTlv Byte(ushort tag, byte value) => new(tag, [value]);

    public static SmppTlv UInt16(ushort tag, ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return new SmppTlv(tag, bytes);
    }

    /// <summary>A C-Octet string value, NUL-terminated as §5.3.2.12 has receipted_message_id.</summary>
    public static SmppTlv CString(ushort tag, string value) => new(tag, [.. System.Text.Encoding.Latin1.GetBytes(value), 0]);

    public static SmppTlv? Find(IReadOnlyList<SmppTlv> tlvs, ushort tag)
    {
        foreach (var tlv in tlvs)
        {
            if (tlv.Tag == tag)
                return tlv;
        }
        return null;
    }

    /// <summary>The value as text up to its first NUL (SMSCs differ on whether they send the NUL).</summary>
    public string AsCString()
    {
        var end = Array.IndexOf(Value, (byte)0);
        return System.Text.Encoding.Latin1.GetString(Value, 0, end < 0 ? Value.Length : end);
    }

    public int AsInteger() => Value.Length switch
    {
        1 => Value[0],
        2 => BinaryPrimitives.ReadUInt16BigEndian(Value),
        4 => (int)BinaryPrimitives.ReadUInt32BigEndian(Value),
        _ => throw new FormatException($"TLV 0x{Tag:X4} has {Value.Length} octets, not an integer's 1, 2 or 4."),
    };

    public override string ToString() => $"TLV 0x{Tag:X4} ({Value.Length} octets)";
}
