using System.Collections.Concurrent;
using Loa.CarrierAdapters;
using Loa.CarrierSimulators.Smsc;

namespace Loa.CarrierSimulators;

/// <summary>
/// The carriers' SMSCs: one <see cref="SmscSimulator"/> per carrier, started on loopback the first
/// time a carrier on <c>Adapter = Smpp</c> without a host asks for it, stopped with the simulators.
/// </summary>
public sealed partial class CarrierSimulatorHost
{
    private readonly ConcurrentDictionary<string, Lazy<SmscSimulator>> _smscs = new(StringComparer.Ordinal);

    /// <summary>The carrier's simulated SMSC, started now if it was not.</summary>
    public SmscSimulator Smsc(string carrierId)
    {
        if (!_simulated.ContainsKey(carrierId))
            throw new ArgumentException($"No simulated carrier '{carrierId}'.", nameof(carrierId));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == Stopped, this);
        // One seed per carrier, as the HTTP simulators draw: runs repeat.
        return _smscs.GetOrAdd(carrierId, id => new Lazy<SmscSimulator>(
            () => SmscSimulator.Start(seed: CarrierIds.All.ToList().IndexOf(id) + 16))).Value;
    }

    Task<SimulatedSmsc> ISimulatedCarriers.SmscAsync(string carrierId, CancellationToken cancellationToken)
    {
        var smsc = Smsc(carrierId);
        return Task.FromResult(new SimulatedSmsc(smsc.Host, smsc.Port, smsc.Behaviour.SystemId, smsc.Behaviour.Password));
    }

    private async Task StopSmscsAsync()
    {
        foreach (var smsc in _smscs.Values.Where(s => s.IsValueCreated))
            await smsc.Value.DisposeAsync().ConfigureAwait(false);
    }
}
