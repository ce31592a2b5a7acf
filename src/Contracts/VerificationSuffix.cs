using System.Text.RegularExpressions;

namespace Loa.Contracts;

/// <summary>
/// The verification suffix an SMS ends with when its campaign asks for one (<c>options.verifyCode</c>):
/// <c>" Xac thuc: loa.gov.vn/a/7KQ2M9"</c>, a code a citizen checks on Loa's public page. The text as sent
/// is where the code lives, so whoever sends or shows the alert reads it back from there: the public page,
/// and the push lane, which gives the same address to the app.
/// </summary>
public static partial class VerificationSuffix
{
    /// <summary>Plain ASCII (GSM-7), so it never turns an unaccented text into UCS-2.</summary>
    public static string Of(string host, string code) => $" Xac thuc: {host}/a/{code}";

    /// <summary>The suffix at the end of a text as sent (itself, its address and its code), or null.</summary>
    public static (string Suffix, string Address, string Code)? Find(string? text) =>
        text is not null && Trailing().Match(text) is { Success: true } m ? (m.Value, m.Groups[1].Value, m.Groups[2].Value) : null;

    /// <summary>The page the suffix names, over HTTPS (the SMS prints the host alone, as phones turn it into a link).</summary>
    public static Uri? Link(string? text) =>
        Find(text) is { } found && Uri.TryCreate("https://" + found.Address, UriKind.Absolute, out var link) ? link : null;

    [GeneratedRegex(@" Xac thuc: (\S+/a/([0-9A-HJKMNP-TV-Z]{6}))$", RegexOptions.CultureInvariant)]
    private static partial Regex Trailing();
}
