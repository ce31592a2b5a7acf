using System.Collections.Concurrent;
using Loa.CarrierAdapters;
using Loa.CarrierSimulators.Smsc;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierSimulators;

/// <summary>
/// The carriers' SMSCs: one <see cref="SmscSimulator"/> per carrier, started on loopback the first
/// time a carrier on <c>Adapter = Smpp</c> without a host asks for it (or an admin endpoint or test
/// does), with the behaviour configured under <c>Loa:Simulators:Carriers:&lt;id&gt;:Smsc</c>; stopped
/// with the simulators.
/// </summary>
public sealed partial class CarrierSimulatorHost
{
    private readonly ConcurrentDictionary<string, Lazy<SmscSimulator>> _smscs = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, SmscBehaviour> _smscConfigured;

    /// <summary>The carrier's simulated SMSC, started now if it was not.</summary>
    public SmscSimulator Smsc(string carrierId)
    {
        var configured = GetConfiguredSmscBehaviour(carrierId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == Stopped, this);
        // One seed per carrier, as the HTTP simulators draw: runs repeat.
        return _smscs.GetOrAdd(carrierId, id => new Lazy<SmscSimulator>(
            () => SmscSimulator.Start(configured, seed: CarrierIds.All.ToList().IndexOf(id) + 16, _time))).Value;
    }

    /// <summary>The behaviour the carrier's SMSC starts with: the defaults, then its <c>Smsc</c> settings.</summary>
    public SmscBehaviour GetConfiguredSmscBehaviour(string carrierId) =>
        _smscConfigured.TryGetValue(carrierId, out var behaviour)
            ? behaviour
            : throw new ArgumentException($"No simulated carrier '{carrierId}'.", nameof(carrierId));

    /// <summary>Applies from the next submit the carrier's SMSC reads (starting it if it was not).</summary>
    /// <exception cref="ArgumentException">The behaviour has <see cref="SmscBehaviour.Problems"/>.</exception>
    public void SetSmscBehaviour(string carrierId, SmscBehaviour behaviour)
    {
        Smsc(carrierId).SetBehaviour(behaviour);
        Log.SmscBehaviourSet(_log, carrierId, behaviour);
    }

    Task<SimulatedSmsc> ISimulatedCarriers.SmscAsync(string carrierId, CancellationToken cancellationToken)
    {
        var smsc = Smsc(carrierId);
        return Task.FromResult(new SimulatedSmsc(smsc.Host, smsc.Port, smsc.Behaviour.SystemId, smsc.Behaviour.Password)
        {
            TlsCaFile = smsc.Behaviour.Tls ? smsc.Certificate.File : null,
        });
    }

    /// <summary>Every carrier's SMSC behaviour from configuration, refused at startup with the key to fix when unusable.</summary>
    private Dictionary<string, SmscBehaviour> ConfiguredSmscs()
    {
        var configured = new Dictionary<string, SmscBehaviour>(StringComparer.Ordinal);
        foreach (var id in CarrierIds.All)
        {
            var settings = _options.CarrierSettings(id)?.Smsc;
            string Key(string property) => $"{SimulatorOptions.Section}:Carriers:{id}:Smsc:{property}";
            // The client packs septets or not as its own options say; the SMSC must read them the same way.
            var behaviour = new SmscBehaviour { PackedGsm7 = _carriers.Get(id).Smpp.PackGsm7 };
            try
            {
                behaviour = settings?.ApplyTo(behaviour) ?? behaviour;
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"{Key(ex.ParamName ?? "")}: {ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal)}", ex);
            }
            var problems = behaviour.Problems();
            if (problems.Count > 0)
                throw new InvalidOperationException(
                    $"Simulated SMSC of {id}: " + string.Join(" ", problems.Select(p => $"{Key(p.Property)} {p.Problem}")));
            configured[id] = behaviour;
        }
        return configured;
    }

    private async Task StopSmscsAsync()
    {
        foreach (var smsc in _smscs.Values.Where(s => s.IsValueCreated))
            await smsc.Value.DisposeAsync().ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Information, "Simulated {CarrierId} SMSC behaviour set: {Behaviour}")]
        public static partial void SmscBehaviourSet(ILogger logger, string carrierId, SmscBehaviour behaviour);
    }
}
