using System.Security.Cryptography;
using System.Text.Json;

namespace Loa.CarrierSimulators.Push;

/// <summary>A throwaway FCM service account: its JSON file, and the public key that verifies its assertions.</summary>
public sealed record FcmServiceAccount(string File, string ProjectId, string ClientEmail, string KeyId, string TokenUri, RSAParameters PublicKey);

/// <summary>A throwaway APNs signing key: its .p8 file, and the public key that verifies its JWTs.</summary>
public sealed record ApnsSigningKey(string File, string TeamId, string KeyId, ECParameters PublicKey);

/// <summary>
/// Writes credentials that only the simulators accept, for the tests and the embedded default: a
/// service account JSON in Google's format (a fresh RSA key, <c>token_uri</c> at the simulator) and
/// a .p8 key as Apple issues them (PKCS#8 PEM of a P-256 key). Files are readable by their owner only.
/// </summary>
public static class PushCredentials
{
    public static FcmServiceAccount WriteServiceAccount(string directory, string projectId, Uri tokenUri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(projectId);
        ArgumentNullException.ThrowIfNull(tokenUri);
        Directory.CreateDirectory(directory);
        using var rsa = RSA.Create(2048);
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        var email = $"loa-simulated@{projectId}.iam.gserviceaccount.com";
        var json = new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = projectId,
            ["private_key_id"] = keyId,
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = email,
            ["client_id"] = "1" + string.Concat(Enumerable.Range(0, 20).Select(_ => RandomNumberGenerator.GetInt32(10))),
            ["auth_uri"] = new Uri(tokenUri, "/auth").AbsoluteUri,
            ["token_uri"] = tokenUri.AbsoluteUri,
        };
        var path = Path.Combine(directory, $"fcm-{projectId}-{keyId[..8]}.json");
        WritePrivate(path, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        return new FcmServiceAccount(path, projectId, email, keyId, tokenUri.AbsoluteUri, rsa.ExportParameters(includePrivateParameters: false));
    }

    public static ApnsSigningKey WriteSigningKey(string directory, string teamId, string? keyId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(teamId);
        Directory.CreateDirectory(directory);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // Apple's key ids are ten upper-case letters and digits.
        keyId ??= string.Concat(Enumerable.Range(0, 10).Select(_ => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[RandomNumberGenerator.GetInt32(36)]));
        var path = Path.Combine(directory, $"AuthKey_{keyId}.p8");
        WritePrivate(path, ec.ExportPkcs8PrivateKeyPem() + "\n");
        return new ApnsSigningKey(path, teamId, keyId, ec.ExportParameters(includePrivateParameters: false));
    }

    private static void WritePrivate(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options);
        writer.Write(text);
    }
}
