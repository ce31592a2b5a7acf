namespace Loa.CarrierAdapters.Encoding;

/// <param name="Length">Septets for GSM-7 (an extension-table character costs two), UTF-16 code units for UCS-2.</param>
/// <param name="Parts">The SMS a carrier bills for: 1 for a single message, otherwise the number of concatenated parts.</param>
public readonly record struct SmsMeasure(SmsEncoding Encoding, int Length, int Parts);

/// <summary>A text cut into the parts <see cref="SmsText.Measure"/> counted: one string per SMS, in order.</summary>
public sealed record SmsSplit(SmsEncoding Encoding, IReadOnlyList<string> Parts);

/// <summary>
/// How an SMS text is encoded and how many parts it costs, as a handset or SMSC splits it. The part
/// count is shown to the approver as the campaign's cost, so it must never come out lower than what
/// carriers bill. <see cref="Split"/> cuts by the same walk that <see cref="Measure"/> counts with, so
/// what an SMPP bind sends is exactly what the approver was shown.
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
        var none = new NoCuts();
        return Walk(text, ref none);
    }

    /// <summary>The text cut where <see cref="Measure"/> opens each new part; one part when it fits a single SMS.</summary>
    public static SmsSplit Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cuts = new Cuts();
        var measure = Walk(text, ref cuts);
        if (measure.Parts == 1)
            return new SmsSplit(measure.Encoding, [text]);

        var parts = new string[measure.Parts];
        var starts = cuts.Starts;
        for (var p = 0; p < parts.Length; p++)
        {
            var from = p == 0 ? 0 : starts[p - 1];
            var to = p + 1 < parts.Length ? starts[p] : text.Length;
            parts[p] = text[from..to];
        }
        return new SmsSplit(measure.Encoding, parts);
    }

    /// <summary>Told the index of the character that opens each part after the first.</summary>
    private interface ICutSink
    {
        void Cut(int index);

        void Clear();
    }

    private struct NoCuts : ICutSink
    {
        public readonly void Cut(int index) { }

        public readonly void Clear() { }
    }

    private struct Cuts : ICutSink
    {
        private List<int>? _starts;

        public readonly IReadOnlyList<int> Starts => _starts ?? [];

        public void Cut(int index) => (_starts ??= []).Add(index);

        public readonly void Clear() => _starts?.Clear();
    }

    // A struct sink keeps Measure, which previews run on every keystroke, free of allocation and calls.
    private static SmsMeasure Walk<TSink>(string text, ref TSink sink) where TSink : struct, ICutSink
    {
        var septets = 0;
        var parts = 1;
        var used = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var width = Gsm7Alphabet.Septets(text[i]);
            if (width == 0)
            {
                sink.Clear();
                return WalkUcs2(text, ref sink);
            }

            septets += width;

            // An escape and the character it announces must travel in the same part (3GPP TS 23.038
            // §6.2.1.1), so a two-septet character that would straddle a boundary opens a new part.
            if (used + width > Gsm7PartSeptets)
            {
                parts++;
                used = width;
                sink.Cut(i);
            }
            else
            {
                used += width;
            }
        }

        return new SmsMeasure(SmsEncoding.Gsm7, septets, septets <= Gsm7SingleSeptets ? 1 : parts);
    }

    private static SmsMeasure WalkUcs2<TSink>(string text, ref TSink sink) where TSink : struct, ICutSink
    {
        var parts = 1;
        var used = 0;
        for (var i = 0; i < text.Length; i++)
        {
            // Splitting a surrogate pair leaves both parts with a broken character, so splitters keep
            // the pair together, the same way GSM-7 keeps an escape with its character.
            var width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;

            if (used + width > Ucs2PartUnits)
            {
                parts++;
                used = width;
                sink.Cut(i);
            }
            else
            {
                used += width;
            }
            i += width - 1;
        }

        return new SmsMeasure(SmsEncoding.Ucs2, text.Length, text.Length <= Ucs2SingleUnits ? 1 : parts);
    }
}
