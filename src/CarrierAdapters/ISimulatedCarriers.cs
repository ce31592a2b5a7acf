namespace Loa.CarrierAdapters;

/// <summary>
/// Where a carrier with no <c>Url</c> is served when the built-in simulators run (the embedded
/// default and the tests). Implemented by the simulators' own assembly, which production hosts do
/// not load: without it, a carrier with no <c>Url</c> has nowhere to send.
/// </summary>
public interface ISimulatedCarriers
{
    /// <summary>The simulated carrier's base URL for the HTTP batch interface, once it listens.</summary>
    Task<Uri> HttpBaseUrlAsync(string carrierId, CancellationToken cancellationToken);

    /// <summary>
    /// The simulated carrier's SMSC (started on first ask, on a free loopback port) and the system id
    /// and password it binds, for a carrier on <c>Adapter = Smpp</c> without a <c>Smpp:Host</c>.
    /// </summary>
    Task<SimulatedSmsc> SmscAsync(string carrierId, CancellationToken cancellationToken);
}

public sealed record SimulatedSmsc(string Host, int Port, string SystemId, string Password)
{
    /// <summary>When the simulated SMSC serves TLS: a PEM file of its self-signed certificate, to trust as <c>Smpp:TlsCaFile</c>.</summary>
    public string? TlsCaFile { get; init; }
}
