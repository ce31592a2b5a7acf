namespace Loa.CarrierAdapters.Encoding;

/// <summary>
/// GSM 03.38 text as the septets an SMSC takes: one septet per octet ("unpacked", what most SMPP
/// SMSCs expect for <c>data_coding</c> 0) or packed eight septets to seven octets, after an optional
/// user data header, as 3GPP TS 23.038 §6.1.2 lays them out.
/// </summary>
public static class Gsm7Codec
{
    /// <summary>The escape to the extension table; an extension character is ESC + its code.</summary>
    public const byte Escape = 0x1B;

    private const byte CarriageReturn = 0x0D;

    // The extension table's codes, in the order of Gsm7Alphabet.Extension: \f ^ { } \ [ ~ ] | €.
    private static readonly byte[] ExtensionCodes = [0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65];

    private static readonly Dictionary<char, byte> BasicCode = BuildBasic();
    private static readonly Dictionary<char, byte> ExtensionCode =
        Gsm7Alphabet.Extension.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => ExtensionCodes[p.i]);
    private static readonly char[] BasicChar = BuildBasicChars();
    private static readonly Dictionary<byte, char> ExtensionChar = ExtensionCode.ToDictionary(p => p.Value, p => p.Key);

    /// <summary>One septet per character, two for an extension-table character.</summary>
    /// <exception cref="ArgumentException">A character has no GSM-7 encoding (the text needs UCS-2).</exception>
    public static byte[] ToSeptets(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var septets = new List<byte>(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (BasicCode.TryGetValue(c, out var code))
            {
                septets.Add(code);
            }
            else if (ExtensionCode.TryGetValue(c, out var extension))
            {
                septets.Add(Escape);
                septets.Add(extension);
            }
            else
            {
                throw new ArgumentException($"Character U+{(int)c:X4} at {i} has no GSM-7 encoding.", nameof(text));
            }
        }
        return [.. septets];
    }

    /// <summary>
    /// Septets back to text. An escape before a code the extension table lacks reads as that code in the
    /// basic table, as TS 23.038 asks of a receiver; a trailing lone escape is dropped.
    /// </summary>
    public static string FromSeptets(ReadOnlySpan<byte> septets)
    {
        var text = new System.Text.StringBuilder(septets.Length);
        for (var i = 0; i < septets.Length; i++)
        {
            var s = (byte)(septets[i] & 0x7F);
            if (s != Escape)
            {
                text.Append(BasicChar[s]);
                continue;
            }
            if (i + 1 >= septets.Length)
                break;
            var next = (byte)(septets[++i] & 0x7F);
            text.Append(ExtensionChar.TryGetValue(next, out var c) ? c : BasicChar[next]);
        }
        return text.ToString();
    }

    /// <summary>
    /// The header's octets, then the septets packed from the next septet boundary (the fill bits between
    /// stay zero). When the last octet has seven spare bits a CR fills them, so that a receiver does not
    /// read an extra '@' (TS 23.038 §6.1.2.3.1).
    /// </summary>
    public static byte[] Pack(ReadOnlySpan<byte> header, ReadOnlySpan<byte> septets)
    {
        var start = SeptetsFor(header.Length);
        var totalSeptets = start + septets.Length;
        var bytes = new byte[(totalSeptets * 7 + 7) / 8];
        header.CopyTo(bytes);
        for (var j = 0; j < septets.Length; j++)
            Put(bytes, start + j, septets[j]);
        if (bytes.Length * 8 - totalSeptets * 7 == 7)
            Put(bytes, totalSeptets, CarriageReturn);
        return bytes;
    }

    /// <summary>The septets after a header of <paramref name="headerLength"/> octets, undoing <see cref="Pack"/>.</summary>
    public static byte[] Unpack(ReadOnlySpan<byte> packed, int headerLength)
    {
        var start = SeptetsFor(headerLength);
        var count = Math.Max(0, packed.Length * 8 / 7 - start);
        var septets = new byte[count];
        for (var j = 0; j < count; j++)
            septets[j] = Get(packed, start + j);
        // A CR that exactly fills the last octet is the padding Pack writes, not text.
        if (count > 0 && packed.Length * 8 % 7 == 0 && septets[^1] == CarriageReturn)
            return septets[..^1];
        return septets;
    }

    /// <summary>Septets a header of that many octets takes, rounded up to a septet boundary.</summary>
    public static int SeptetsFor(int headerOctets) => (headerOctets * 8 + 6) / 7;

    private static void Put(byte[] bytes, int septetIndex, byte septet)
    {
        var bit = septetIndex * 7;
        var at = bit / 8;
        var shift = bit % 8;
        bytes[at] |= (byte)((septet << shift) & 0xFF);
        if (shift > 1 && at + 1 < bytes.Length)
            bytes[at + 1] |= (byte)(septet >> (8 - shift));
    }

    private static byte Get(ReadOnlySpan<byte> bytes, int septetIndex)
    {
        var bit = septetIndex * 7;
        var at = bit / 8;
        var shift = bit % 8;
        var value = bytes[at] >> shift;
        if (shift > 1 && at + 1 < bytes.Length)
            value |= bytes[at + 1] << (8 - shift);
        return (byte)(value & 0x7F);
    }

    private static Dictionary<char, byte> BuildBasic()
    {
        var codes = new Dictionary<char, byte>();
        for (var i = 0; i < Gsm7Alphabet.Basic.Length; i++)
            codes[Gsm7Alphabet.Basic[i]] = (byte)(i < Escape ? i : i + 1); // Basic leaves ESC out
        return codes;
    }

    private static char[] BuildBasicChars()
    {
        var chars = new char[128];
        chars[Escape] = ' '; // only reached through FromSeptets' escape handling, never as text
        foreach (var (c, code) in BuildBasic())
            chars[code] = c;
        return chars;
    }
}
