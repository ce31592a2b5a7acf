using PhoneNumbers;

namespace Loa.CarrierAdapters.Routing;

/// <summary>
/// Vietnamese mobile numbers at the edge: every form people and spreadsheets write becomes one E.164
/// string (<c>+84912345678</c>), and this is the one place Loa masks a number for logs and traces.
/// </summary>
public static class Msisdn
{
    internal const string CountryCode = "84";
    private const int CountryCallingCode = 84;

    private const int NationalLength = 9;
    public const string FullMask = "****";

    private const string Empty = "empty";
    private const string NotANumber = "not a number";
    private const string TooShort = "too short";
    private const string TooLong = "too long";
    private const string NotVietnamese = "not a Vietnamese number";
    private const string NotMobile = "not a Vietnamese mobile number";

    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    // libphonenumber's verdict for a 9-digit Vietnamese number depends only on its first four digits
    // (its VN patterns are a prefix of at most four digits followed by any digits; a test checks
    // this against the metadata), so it is asked once per prefix rather than once per row of a
    // million-row upload. Racing threads compute the same verdict, so unsynchronised writes are safe.
    private static readonly Verdict[] VerdictByPrefix = new Verdict[10_000];

    private enum Verdict : byte
    {
        Unknown,
        Mobile,
        NotMobile,
    }

    /// <summary>
    /// Accepts <c>+84…</c>, <c>84…</c>, <c>0084…</c> and <c>0…</c>, a trunk 0 written after the country code
    /// (<c>+84 (0)91…</c>), and the nine bare digits a spreadsheet leaves when it drops the leading 0.
    /// Spaces, dashes, dots and parentheses are ignored.
    /// </summary>
    /// <param name="e164">The number as <c>+84</c> and nine digits, or empty when rejected.</param>
    /// <param name="reason">Why the number was rejected, short enough for an upload report; empty when accepted.</param>
    public static bool TryNormalize(string? raw, out string e164, out string reason) =>
        TryNormalize(raw, null, out e164, out reason);

    /// <summary>
    /// As <see cref="TryNormalize(string?, out string, out string)"/>, but the prefix table has the last
    /// word: a ten-digit number whose prefix <paramref name="router"/> routes is a mobile number even where
    /// libphonenumber's metadata lags behind the carriers (it refuses 0890–0895 and most of 055x, which
    /// MobiFone and Reddi serve). Operators fix such gaps by editing the table, not the code.
    /// </summary>
    public static bool TryNormalize(string? raw, CarrierRouter? router, out string e164, out string reason)
    {
        e164 = "";
        Span<char> digits = stackalloc char[16];
        var count = 0;
        var plus = false;
        foreach (var c in raw.AsSpan())
        {
            if (char.IsAsciiDigit(c))
            {
                if (count < digits.Length)
                {
                    digits[count] = c;
                }

                count++;
            }
            else if (c == '+' && count == 0 && !plus)
            {
                plus = true;
            }
            else if (c is not (' ' or '\t' or '\u00A0' or '-' or '.' or '(' or ')'))
            {
                // Covers Excel's 8.49E+11 too: the digits of a number in scientific notation are gone.
                reason = NotANumber;
                return false;
            }
        }

        if (count == 0)
        {
            reason = plus || !string.IsNullOrWhiteSpace(raw) ? NotANumber : Empty;
            return false;
        }

        if (count > digits.Length)
        {
            reason = TooLong;
            return false;
        }

        if (!TryNationalDigits(digits[..count], plus, out var national, out reason))
        {
            return false;
        }

        if (national.Length != NationalLength)
        {
            // Landlines (2x…), toll-free and premium (1x…) are other lengths; saying so helps more
            // than "too long" when someone uploads an office number.
            reason = national[0] is '1' or '2' && national.Length is >= 8 and <= 10 ? NotMobile
                : national.Length < NationalLength ? TooShort
                : TooLong;
            return false;
        }

        Span<char> result = stackalloc char[1 + CountryCode.Length + NationalLength];
        result[0] = '+';
        CountryCode.CopyTo(result[1..]);
        national.CopyTo(result[(1 + CountryCode.Length)..]);
        if (VerdictFor(national) != Verdict.Mobile)
        {
            var candidate = new string(result);
            if (router?.Route(candidate) is null)
            {
                reason = NotMobile;
                return false;
            }
            e164 = candidate;
            reason = "";
            return true;
        }

        e164 = new string(result);
        reason = "";
        return true;
    }

    /// <summary>
    /// <c>+84912345678</c> → <c>+8491****678</c>: enough to tell the network prefix and to match a
    /// number a subscriber quotes by its last digits, not enough to call anyone (Decree 13/2023).
    /// Anything that is not a <c>+84</c> number with at least nine digits becomes <c>****</c>, so a
    /// bad value never leaks whole.
    /// </summary>
    public static string Mask(string e164)
    {
        const int head = 1 + 2 + 2; // "+84" and two national digits
        const int tail = 3;
        if (e164 is null
            || e164.Length < 1 + CountryCode.Length + NationalLength
            || e164.Length > 16
            || !e164.StartsWith("+84", StringComparison.Ordinal)
            || e164.AsSpan(1).ContainsAnyExceptInRange('0', '9'))
        {
            return FullMask;
        }

        Span<char> masked = stackalloc char[head + FullMask.Length + tail];
        e164.AsSpan(0, head).CopyTo(masked);
        FullMask.CopyTo(masked[head..]);
        e164.AsSpan(e164.Length - tail).CopyTo(masked[(head + FullMask.Length)..]);
        return new string(masked);
    }

    private static bool TryNationalDigits(ReadOnlySpan<char> digits, bool plus, out ReadOnlySpan<char> national, out string reason)
    {
        national = default;
        reason = "";
        if (plus)
        {
            if (!digits.StartsWith(CountryCode))
            {
                reason = digits.Length < CountryCode.Length ? TooShort : NotVietnamese;
                return false;
            }

            national = WithoutTrunkZero(digits[CountryCode.Length..]);
        }
        else if (digits.StartsWith("00"))
        {
            // 00 is the international call prefix dialled from Vietnam.
            if (!digits[2..].StartsWith(CountryCode))
            {
                reason = digits.Length < 2 + CountryCode.Length ? TooShort : NotVietnamese;
                return false;
            }

            national = WithoutTrunkZero(digits[(2 + CountryCode.Length)..]);
        }
        else if (digits[0] == '0')
        {
            national = digits[1..];
        }
        else if (digits.StartsWith(CountryCode) && digits.Length > NationalLength)
        {
            // A 9-digit 84… is a national 084 number that lost its 0, so only longer ones carry the country code.
            national = WithoutTrunkZero(digits[CountryCode.Length..]);
        }
        else
        {
            national = digits;
        }

        if (national.IsEmpty)
        {
            reason = TooShort;
            return false;
        }

        return true;
    }

    // No national number starts with 0, so a 0 after the country code is the trunk prefix written
    // as in "+84 (0)91 234 5678".
    private static ReadOnlySpan<char> WithoutTrunkZero(ReadOnlySpan<char> national) =>
        national.Length > NationalLength && national[0] == '0' ? national[1..] : national;

    private static Verdict VerdictFor(ReadOnlySpan<char> national)
    {
        var prefix = (national[0] - '0') * 1000 + (national[1] - '0') * 100 + (national[2] - '0') * 10 + (national[3] - '0');
        var verdict = VerdictByPrefix[prefix];
        if (verdict == Verdict.Unknown)
        {
            verdict = AskLibPhoneNumber(national);
            VerdictByPrefix[prefix] = verdict;
        }

        return verdict;
    }

    private static Verdict AskLibPhoneNumber(ReadOnlySpan<char> national)
    {
        var number = new PhoneNumber.Builder()
            .SetCountryCode(CountryCallingCode)
            .SetNationalNumber(ulong.Parse(national))
            .Build();
        return Util.GetNumberType(number) is PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE
            ? Verdict.Mobile
            : Verdict.NotMobile;
    }
}
