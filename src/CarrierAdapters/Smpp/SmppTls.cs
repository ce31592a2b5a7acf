using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// The TLS client side of a bind (<see cref="SmppOptions.Tls"/>): TLS 1.2 or 1.3, the SMSC's certificate
/// checked against the system's store or, with <see cref="SmppOptions.TlsCaFile"/>, only against the
/// certificates in that file, and its name against <see cref="SmppOptions.TlsTargetHost"/> (else the host).
/// There is deliberately no way to accept a certificate that fails either check: a bind carries the
/// password and every recipient's number.
/// </summary>
internal static class SmppTls
{
    /// <summary>Why the CA file cannot be used, or null when it holds at least one certificate.</summary>
    public static string? CaFileProblem(string path)
    {
        try
        {
            return Load(path).Count == 0 ? "holds no PEM certificate" : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException or NotSupportedException)
        {
            return ex is FileNotFoundException or DirectoryNotFoundException
                ? "names a file that does not exist"
                : $"cannot be read: {ex.Message}";
        }
    }

    /// <summary>Wraps a connected stream in TLS; throws <see cref="SmppBindException"/> naming why the handshake failed.</summary>
    public static async Task<SslStream> AuthenticateAsync(Stream connected, SmppOptions options, CancellationToken cancellationToken)
    {
        var targetHost = string.IsNullOrWhiteSpace(options.TlsTargetHost) ? options.Host : options.TlsTargetHost.Trim();
        X509Certificate2Collection? trusted = null;
        if (!string.IsNullOrWhiteSpace(options.TlsCaFile))
        {
            if (CaFileProblem(options.TlsCaFile) is { } problem)
                throw new SmppBindException(SmppStatus.BindFailed, $"{options.Host}:{options.Port}: Smpp:TlsCaFile {problem}");
            trusted = Load(options.TlsCaFile);
        }
        string? rejected = null;
        var ssl = new SslStream(connected, leaveInnerStreamOpen: false, (_, certificate, chain, errors) =>
        {
            if (errors == SslPolicyErrors.None)
                return true;
            rejected = Describe(errors, certificate, chain, targetHost, trusted is not null);
            return false;
        });
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        };
        if (trusted is not null)
        {
            authentication.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                // A private CA seldom publishes a revocation list the dispatcher could reach; as with the
                // system store (SslStream's default), revocation is not checked.
                RevocationMode = X509RevocationMode.NoCheck,
            };
            authentication.CertificateChainPolicy.CustomTrustStore.AddRange(trusted);
            authentication.CertificateChainPolicy.ExtraStore.AddRange(trusted);
        }
        try
        {
            await ssl.AuthenticateAsClientAsync(authentication, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new SmppBindException(SmppStatus.BindFailed,
                $"TLS handshake with {options.Host}:{options.Port} failed: {rejected ?? ex.Message}");
        }
    }

    private static X509Certificate2Collection Load(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path.Trim());
        return certificates;
    }

    private static string Describe(SslPolicyErrors errors, X509Certificate? certificate, X509Chain? chain, string targetHost, bool ownCa)
    {
        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            reasons.Add("the SMSC sent no certificate");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            reasons.Add($"its certificate is not for '{targetHost}' (set Smpp:TlsTargetHost to the name it carries)");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToList() ?? [];
            reasons.Add($"its certificate is not trusted ({string.Join(", ", statuses)}; "
                + (ownCa ? "it does not chain to a certificate in Smpp:TlsCaFile)" : "set Smpp:TlsCaFile to the carrier's CA if it has a private one)"));
        }
        var subject = certificate?.Subject is { Length: > 0 } s ? $" [{s}]" : "";
        return string.Join("; ", reasons) + subject;
    }
}
