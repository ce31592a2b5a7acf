using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Loa.CarrierSimulators.Smsc;

/// <summary>
/// The simulated SMSC's TLS identity: a self-signed certificate for <c>localhost</c>, 127.0.0.1 and ::1,
/// made when the SMSC starts and gone with it. Its PEM is what a client trusts through
/// <c>Smpp:TlsCaFile</c>, as a carrier with a self-signed SMSC hands its certificate over.
/// </summary>
public sealed class SmscCertificate : IDisposable
{
    private readonly Lock _gate = new();
    private string? _file;

    private SmscCertificate(X509Certificate2 certificate)
    {
        Certificate = certificate;
        Pem = certificate.ExportCertificatePem();
    }

    /// <summary>With its private key, for the server side of the handshake.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate alone (no key), PEM-encoded.</summary>
    public string Pem { get; }

    /// <summary>A file holding <see cref="Pem"/>, written on first ask and deleted with the SMSC.</summary>
    public string File
    {
        get
        {
            lock (_gate)
            {
                if (_file is null)
                {
                    var path = Path.Combine(Path.GetTempPath(), $"loa-smsc-{Guid.NewGuid():N}.pem");
                    System.IO.File.WriteAllText(path, Pem);
                    _file = path;
                }
                return _file;
            }
        }
    }

    public static SmscCertificate Create(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost, O=Loa simulated SMSC", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        // No key usage extension: OpenSSL does not take a self-signed certificate whose key usage lacks
        // keyCertSign as its own issuer, and a client trusting this one file would find no chain.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = time.GetUtcNow();
        // Valid from a little before now: a client's clock a few minutes behind must not see it as not yet valid.
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        // Through PKCS#12 so the key travels with the certificate on every platform's TLS stack.
        return new SmscCertificate(X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_file is not null)
            {
                try
                {
                    System.IO.File.Delete(_file);
                }
                catch (IOException)
                {
                }
                _file = null;
            }
        }
        Certificate.Dispose();
    }
}
