namespace Loa.CarrierAdapters.Encoding;

/// <param name="Length">Septets for GSM-7 (an extension-table character costs two), UTF-16 code units for UCS-2.</param>
/// <param name="Parts">The SMS a carrier bills for: 1 for a single message, otherwise the number of concatenated parts.</param>
public readonly record struct SmsMeasure(SmsEncoding Encoding, int Length, int Parts);

/// <summary>
/// How an SMS text is encoded and how many parts it costs, as a handset or SMSC splits it. The part
/// count is shown to the approver as the campaign's cost, so it must never come out lower than what
/// carriers bill.
/// </summary>
public static class SmsText
{
    public const int Gsm7SingleSeptets = 160;
    public const int Gsm7PartSeptets = 153;
    public const int Ucs2SingleUnits = 70;
    public const int Ucs2PartUnits = 67;

    /// <summary>
    /// Empty text measures as GSM-7, length 0, one part: a carrier still bills an empty message as one,
    /// and campaigns reject empty text before it gets here.
    /// </summary>
    public static SmsMeasure Measure(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        var septets = 0;
        var parts = 1;
        var used = 0;
        foreach (var c in text)
        {
            var width = Gsm7Alphabet.Septets(c);
            if (width == 0)
            {
                return MeasureUcs2(text);
            }

            septets += width;

            // An escape and the character it announces must travel in the same part (3GPP TS 23.038
            // §6.2.1.1), so a two-septet character that would straddle a boundary opens a new part.
            if (used + width > Gsm7PartSeptets)
            {
                parts++;
                used = width;
            }
            else
            {
                used += width;
            }
        }

        return new SmsMeasure(SmsEncoding.Gsm7, septets, septets <= Gsm7SingleSeptets ? 1 : parts);
    }

    private static SmsMeasure MeasureUcs2(string text)
    {
        var parts = 1;
        var used = 0;
        for (var i = 0; i < text.Length; i++)
        {
            // Splitting a surrogate pair leaves both parts with a broken character, so splitters keep
            // the pair together, the same way GSM-7 keeps an escape with its character.
            var width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            i += width - 1;

            if (used + width > Ucs2PartUnits)
            {
                parts++;
                used = width;
            }
            else
            {
                used += width;
            }
        }

        return new SmsMeasure(SmsEncoding.Ucs2, text.Length, text.Length <= Ucs2SingleUnits ? 1 : parts);
    }
}
