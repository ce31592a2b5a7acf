using System.Security.Cryptography;

namespace Loa.CarrierAdapters.HttpBatch;

/// <summary>
/// <c>X-Loa-Signature: sha256=&lt;hex HMAC-SHA256 of the raw body&gt;</c>, computed with the
/// carrier's receipt secret. The raw bytes are signed, so the check must run before any parsing.
/// </summary>
public static class ReceiptSignature
{
    public const string Header = "X-Loa-Signature";
    private const string Prefix = "sha256=";

    public static string Sign(ReadOnlySpan<byte> body, string secret)
    {
        var mac = HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), body);
        return Prefix + Convert.ToHexStringLower(mac);
    }

    public static bool Verify(ReadOnlySpan<byte> body, string? header, string secret)
    {
        if (string.IsNullOrEmpty(secret) || header is null || !header.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(header.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }
        var expected = HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), body);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
