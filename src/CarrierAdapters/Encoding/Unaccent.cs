using System.Buffers;

namespace Loa.CarrierAdapters.Encoding;

/// <summary>
/// Vietnamese without diacritics ("không dấu"): bulk SMS goes out this way because GSM-7 costs less
/// than half the parts of UCS-2. Only Vietnamese letters change; anything else (ñ, ç, î, digits,
/// punctuation) is left as it is, so the result still tells the reader what the author wrote.
/// </summary>
public static class Unaccent
{
    // Precomposed (NFC) forms, one line per base letter. Written out rather than derived from
    // Unicode decomposition at run time: đ/Đ have no decomposition, and the whole table stays
    // reviewable by a Vietnamese reader.
    private static readonly (char Base, string Forms)[] Letters =
    [
        ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
        ('A', "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"),
        ('e', "èéẻẽẹêềếểễệ"),
        ('E', "ÈÉẺẼẸÊỀẾỂỄỆ"),
        ('i', "ìíỉĩị"),
        ('I', "ÌÍỈĨỊ"),
        ('o', "òóỏõọôồốổỗộơờớởỡợ"),
        ('O', "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"),
        ('u', "ùúủũụưừứửữự"),
        ('U', "ÙÚỦŨỤƯỪỨỬỮỰ"),
        ('y', "ỳýỷỹỵ"),
        ('Y', "ỲÝỶỸỴ"),
        ('d', "đ"),
        ('D', "Đ"),
    ];

    private static readonly char[] Map = BuildMap();

    /// <summary>Removes Vietnamese tones and vowel marks, đ→d and Đ→D; precomposed and decomposed input alike.</summary>
    /// <returns>The same instance when nothing changes, which is the case for text that is already unaccented.</returns>
    public static string Strip(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        var first = IndexOfFirstChange(text);
        if (first < 0)
        {
            return text;
        }

        if (text.Length <= 256)
        {
            Span<char> buffer = stackalloc char[256];
            return new string(buffer[..StripInto(text, first, buffer)]);
        }

        var rented = ArrayPool<char>.Shared.Rent(text.Length);
        try
        {
            return new string(rented, 0, StripInto(text, first, rented));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private static int StripInto(string text, int first, Span<char> buffer)
    {
        text.AsSpan(0, first).CopyTo(buffer);
        var n = first;
        var map = Map;
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (n > 0 && IsVietnameseMarkOn(buffer[n - 1], c))
            {
                continue;
            }

            buffer[n++] = c < map.Length ? map[c] : c;
        }

        return n;
    }

    private static int IndexOfFirstChange(string text)
    {
        // Unaccented text is all ASCII; the vectorised scan skips it without a per-character lookup.
        var start = text.AsSpan().IndexOfAnyExceptInRange('\0', '\u007F');
        if (start < 0)
        {
            return -1;
        }

        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (c < Map.Length && Map[c] != c)
            {
                return i;
            }

            if (i > 0 && IsVietnameseMarkOn(text[i - 1], c))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Decomposed (NFD) Vietnamese writes a tone or vowel mark as a combining character after its
    /// letter. A mark is dropped only where Vietnamese puts it, so a decomposed ñ or î survives
    /// just as its precomposed form does.
    /// </summary>
    private static bool IsVietnameseMarkOn(char letter, char mark) => mark switch
    {
        // Tones: huyền, sắc, ngã, hỏi, nặng; U+0340/U+0341 are the deprecated grave/acute tone marks.
        '\u0300' or '\u0301' or '\u0303' or '\u0309' or '\u0323' or '\u0340' or '\u0341'
            => letter is 'a' or 'e' or 'i' or 'o' or 'u' or 'y' or 'A' or 'E' or 'I' or 'O' or 'U' or 'Y',
        '\u0302' => letter is 'a' or 'e' or 'o' or 'A' or 'E' or 'O', // circumflex: â ê ô
        '\u0306' => letter is 'a' or 'A', // breve: ă
        '\u031B' => letter is 'o' or 'u' or 'O' or 'U', // horn: ơ ư
        _ => false,
    };

    private static char[] BuildMap()
    {
        var max = 0;
        foreach (var (_, forms) in Letters)
        {
            foreach (var c in forms)
            {
                max = Math.Max(max, c);
            }
        }

        var map = new char[max + 1];
        for (var c = 0; c < map.Length; c++)
        {
            map[c] = (char)c;
        }

        foreach (var (letter, forms) in Letters)
        {
            foreach (var c in forms)
            {
                map[c] = letter;
            }
        }

        return map;
    }
}
