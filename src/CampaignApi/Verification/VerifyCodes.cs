using System.Security.Cryptography;
using Loa.Contracts;

namespace Loa.CampaignApi.Verification;

/// <summary>
/// The short code an SMS carries so that a citizen can check it on Loa's public page. It is written
/// into the text as sent, so the campaign row needs no column of its own: the page finds a code by
/// reading it back from the end of the texts it lists.
/// </summary>
public static class VerifyCodes
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

    public static string Suffix(string host, string code) => VerificationSuffix.Of(host, code);

    /// <summary>The code at the end of a text as sent, or null.</summary>
    public static string? Of(string? text) => VerificationSuffix.Find(text)?.Code;

    public static bool IsWellFormed(string code) => code.Length == Length && code.All(Alphabet.Contains);
}
