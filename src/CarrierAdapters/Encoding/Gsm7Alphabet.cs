namespace Loa.CarrierAdapters.Encoding;

/// <summary>The GSM 03.38 (3GPP TS 23.038) default alphabet and its extension table.</summary>
internal static class Gsm7Alphabet
{
    /// <summary>
    /// The default alphabet in code order 0x00–0x7F, written out so it can be checked against the
    /// standard line by line. 0x1B is the escape to the extension table, not a character, so it is left out.
    /// </summary>
    internal const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅå" +
        "Δ_ΦΓΛΩΠΨΣΘΞ" + /* ESC */ "ÆæßÉ" +
        " !\"#¤%&'()*+,-./" +
        "0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNO" +
        "PQRSTUVWXYZÄÖÑÜ§" +
        "¿abcdefghijklmno" +
        "pqrstuvwxyzäöñüà";

    /// <summary>
    /// The extension table: form feed, then <c>^{}\[~]|€</c>. Each is sent as ESC + code, so it costs two septets.
    /// </summary>
    internal const string Extension = "\f^{}\\[~]|€";

    // Indexed by the UTF-16 code unit up to €, the highest character in either table; 8 KB buys
    // one bounds check and one load per character.
    private static readonly byte[] Widths = BuildWidths();

    /// <summary>1 or 2 septets, or 0 when the character has no GSM-7 encoding.</summary>
    internal static int Septets(char c) => c < Widths.Length ? Widths[c] : 0;

    private static byte[] BuildWidths()
    {
        var max = 0;
        foreach (var c in Basic + Extension)
        {
            max = Math.Max(max, c);
        }

        var widths = new byte[max + 1];
        foreach (var c in Basic)
        {
            widths[c] = 1;
        }

        foreach (var c in Extension)
        {
            widths[c] = 2;
        }

        return widths;
    }
}
