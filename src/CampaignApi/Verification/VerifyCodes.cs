using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Loa.CampaignApi.Verification;

/// <summary>
/// The short code an SMS carries so that a citizen can check it on Loa's public page. It is written
/// into the text as sent, so the campaign row needs no column of its own: the page finds a code by
/// reading it back from the end of the texts it lists.
/// </summary>
public static partial class VerifyCodes
{
    /// <summary>Crockford's base 32: no I, L, O or U, so a code read aloud or retyped from a phone is not misread.</summary>
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public const int Length = 6;

    /// <summary>What the author's counter measures before the campaign has its code: the same length, so the same parts.</summary>
    public static readonly string Placeholder = new('0', Length);

    /// <summary>
    /// Random, not derived from the campaign id: a guessable code would let anyone fish for alerts not yet
    /// sent. 32⁶ ≈ 10⁹ codes against at most a few thousand alerts in the 30 days the page shows.
    /// </summary>
    public static string New() => string.Create(Length, 0, (chars, _) =>
    {
        for (var i = 0; i < chars.Length; i++)
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
    });

    /// <summary>Plain ASCII (GSM-7), so it never turns an unaccented text into UCS-2.</summary>
    public static string Suffix(string host, string code) => $" Xac thuc: {host}/a/{code}";

    /// <summary>The code at the end of a text as sent, or null.</summary>
    public static string? Of(string? text) => text is not null && Trailing().Match(text) is { Success: true } m ? m.Groups[1].Value : null;

    public static bool IsWellFormed(string code) => code.Length == Length && code.All(Alphabet.Contains);

    [GeneratedRegex(@" Xac thuc: \S+/a/([0-9A-HJKMNP-TV-Z]{6})$")]
    private static partial Regex Trailing();
}
