using System.Security.Cryptography;
using System.Text.Json;

namespace Loa.CarrierAdapters.Push;

/// <summary>
/// The APNs provider token: a JWT signed ES256 with the team's .p8 key (<c>kid</c> = key id,
/// <c>iss</c> = team id, <c>iat</c>). Apple refuses a token older than an hour
/// (ExpiredProviderToken) and one renewed more often than every 20 minutes
/// (TooManyProviderTokenUpdates), so one is kept for 50 minutes and never replaced sooner than 20.
/// </summary>
public sealed class ApnsProviderToken : IDisposable
{
    public static readonly TimeSpan RenewAfter = TimeSpan.FromMinutes(50);
    public static readonly TimeSpan NotSoonerThan = TimeSpan.FromMinutes(20);

    private readonly ECDsa _key;
    private readonly string _keyId;
    private readonly string _teamId;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private (string Jwt, DateTimeOffset IssuedAt)? _current;

    public ApnsProviderToken(ECDsa key, string keyId, string teamId, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        ArgumentException.ThrowIfNullOrWhiteSpace(teamId);
        _key = key;
        _keyId = keyId;
        _teamId = teamId;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How many tokens were signed: tests check that a token is not signed per request.</summary>
    public int Signed { get; private set; }

    /// <exception cref="CryptographicException">The file holds no PEM EC private key.</exception>
    public static ApnsProviderToken FromKeyFile(string keyFile, string keyId, string teamId, TimeProvider? time = null)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(keyFile));
            return new ApnsProviderToken(key, keyId, teamId, time);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The current token, signed anew once it is 50 minutes old.</summary>
    public string Current()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_current is { } held && now - held.IssuedAt < RenewAfter)
                return held.Jwt;
            return Sign(now);
        }
    }

    /// <summary>
    /// After APNs answered ExpiredProviderToken for <paramref name="rejected"/>: a new token, unless
    /// it was already replaced or is younger than 20 minutes (renewing then only earns
    /// TooManyProviderTokenUpdates). Null when no renewal is allowed.
    /// </summary>
    public string? Renew(string rejected)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_current is not { } held)
                return Sign(now);
            if (held.Jwt != rejected)
                return held.Jwt;
            return now - held.IssuedAt >= NotSoonerThan ? Sign(now) : null;
        }
    }

    private string Sign(DateTimeOffset now)
    {
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "ES256", ["kid"] = _keyId }));
        var claims = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["iss"] = _teamId, ["iat"] = now.ToUnixTimeSeconds() }));
        var signingInput = $"{header}.{claims}";
        // JWS wants r||s (IEEE P1363), not the DER that ECDsa produces by default.
        var signature = _key.SignData(System.Text.Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var jwt = $"{signingInput}.{Base64Url(signature)}";
        _current = (jwt, now);
        Signed++;
        return jwt;
    }

    internal static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose() => _key.Dispose();
}
