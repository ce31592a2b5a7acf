using System.Globalization;
using System.Text;

namespace Loa.CarrierAdapters.Encoding;

/// <param name="Length">Septets for GSM-7 (an extension-table character costs two), UTF-16 code units for UCS-2.</param>
/// <param name="Parts">The SMS a carrier bills for: 1 for a single message, otherwise the number of concatenated parts.</param>
public readonly record struct SmsMeasure(SmsEncoding Encoding, int Length, int Parts);

/// <summary>A text cut into the parts <see cref="SmsText.Measure(string, bool)"/> counted: one string per SMS, in order.</summary>
public sealed record SmsSplit(SmsEncoding Encoding, IReadOnlyList<string> Parts);

/// <summary>
/// How an SMS text is encoded and how many parts it costs, as a handset or SMSC splits it. The part
/// count is shown to the approver as the campaign's cost, so it must never come out lower than what
/// carriers bill. <see cref="Split"/> cuts by the same walk that <see cref="Measure(string, bool)"/> counts
/// with, so what an SMPP bind sends is exactly what the approver was shown.
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
    public static SmsMeasure Measure(string text) => Measure(text, splitGraphemes: false);

    /// <summary>
    /// The parts a carrier bills for <paramref name="text"/> under its split rule. With
    /// <paramref name="splitGraphemes"/> false a part boundary may fall inside a user-perceived character
    /// (3GPP TS 23.038/23.040 split in 16-bit units, keeping only surrogate pairs and escapes whole); with
    /// true the carrier keeps each grapheme cluster (an emoji with its variation selector, a flag's two
    /// regional indicators, a letter with its combining marks) whole and moves it to the next part,
    /// which can cost one part more. The length is the same either way.
    /// </summary>
    public static SmsMeasure Measure(string text, bool splitGraphemes) => Walk(text, splitGraphemes, cuts: null);

    /// <summary>The text cut where <see cref="Measure(string, bool)"/> opens each new part; one part when it fits a single SMS.</summary>
    public static SmsSplit Split(string text, bool splitGraphemes = false)
    {
        var cuts = new List<int>();
        var measure = Walk(text, splitGraphemes, cuts);
        if (measure.Parts == 1)
            return new SmsSplit(measure.Encoding, [text]);
        var parts = new string[measure.Parts];
        for (var p = 0; p < parts.Length; p++)
        {
            var from = p == 0 ? 0 : cuts[p - 1];
            var to = p + 1 < parts.Length ? cuts[p] : text.Length;
            parts[p] = text[from..to];
        }
        return new SmsSplit(measure.Encoding, parts);
    }

    /// <param name="cuts">Given the index of the character that opens each part after the first; null when only counting (no allocation).</param>
    private static SmsMeasure Walk(string text, bool splitGraphemes, List<int>? cuts)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var c in text)
        {
            if (Gsm7Alphabet.Septets(c) == 0)
                return Walk(text, SmsEncoding.Ucs2, Ucs2SingleUnits, Ucs2PartUnits, splitGraphemes, cuts);
        }
        return Walk(text, SmsEncoding.Gsm7, Gsm7SingleSeptets, Gsm7PartSeptets, splitGraphemes, cuts);
    }

    private static SmsMeasure Walk(string text, SmsEncoding encoding, int single, int perPart, bool splitGraphemes, List<int>? cuts)
    {
        var length = 0;
        var parts = 1;
        var used = 0;
        var i = 0;
        while (i < text.Length)
        {
            // What must travel in one part: a surrogate pair (splitting it breaks both halves) or one
            // character, whose GSM-7 escape travels with it (3GPP TS 23.038 §6.2.1.1); for a carrier that
            // keeps them whole, a grapheme cluster, unless it is longer than a part (a letter under dozens
            // of marks), which no one can keep whole.
            var step = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            var width = Width(text.AsSpan(i, step), encoding);
            if (splitGraphemes && StringInfo.GetNextTextElementLength(text, i) is var cluster && cluster > step
                && Width(text.AsSpan(i, cluster), encoding) is var clusterWidth && clusterWidth <= perPart)
            {
                step = cluster;
                width = clusterWidth;
            }
            length += width;
            if (used + width > perPart)
            {
                parts++;
                used = width;
                cuts?.Add(i);
            }
            else
            {
                used += width;
            }
            i += step;
        }
        return new SmsMeasure(encoding, length, length <= single ? 1 : parts);
    }

    private static int Width(ReadOnlySpan<char> characters, SmsEncoding encoding)
    {
        if (encoding == SmsEncoding.Ucs2)
            return characters.Length;
        var septets = 0;
        foreach (var c in characters)
            septets += Gsm7Alphabet.Septets(c);
        return septets;
    }

    /// <summary>
    /// Why <paramref name="text"/> cannot be sent, with the UTF-16 index (from 0) of the first offending
    /// character; null when it can. A control character other than a line break (CR, LF) shows as
    /// nothing or as garbage on a handset, and some gateways end the message at a NUL; a lone surrogate
    /// is no character at all (and cannot be encoded as UCS-2 or normalised).
    /// </summary>
    public static (int Index, string Reason)? Unsendable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
                return (i, $"a lone surrogate (U+{(int)c:X4}), which is not valid UTF-16");
            if (char.IsControl(c) && c is not ('\r' or '\n'))
                return (i, $"the control character U+{(int)c:X4}; only line breaks (CR, LF) may be used");
        }
        return null;
    }

    /// <summary>
    /// The text in Unicode normalisation form C: a letter and its combining marks become the one
    /// precomposed character where Unicode has it (Vietnamese has every one), which costs a unit
    /// instead of two or three. Text must be sendable (<see cref="Unsendable"/>) first.
    /// </summary>
    public static string Precomposed(string text) => text.Normalize(NormalizationForm.FormC);
}
