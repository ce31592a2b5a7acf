using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters;

/// <summary>
/// One way of reaching a carrier, named as <c>Loa:Carriers:&lt;id&gt;:Adapter</c> names it
/// (<c>HttpBatch</c>; SMPP and push are next). Each lives in its own folder and registers itself, so a
/// new protocol is a new folder, not a branch in the send lane.
/// </summary>
public interface ICarrierProtocol
{
    /// <summary>The <c>Adapter</c> setting that chooses this protocol (compared ignoring case).</summary>
    string Name { get; }

    /// <summary>An adapter for one carrier (or one lane of it): connects, or finds its endpoint, as the protocol needs.</summary>
    Task<ICarrierAdapter> CreateAsync(string carrierId, CarrierOptions options, CancellationToken cancellationToken);
}

/// <summary>The one place a carrier's adapter is chosen: by its configured <c>Adapter</c>, among the registered protocols.</summary>
public sealed class CarrierAdapterFactory(IEnumerable<ICarrierProtocol> protocols, IOptionsMonitor<CarrierOptions> carriers)
{
    private readonly IReadOnlyList<ICarrierProtocol> known = protocols.ToList();

    /// <summary>The names <c>Adapter</c> may take.</summary>
    public IReadOnlyList<string> Names => known.Select(p => p.Name).ToList();

    public Task<ICarrierAdapter> CreateAsync(string carrierId, CancellationToken cancellationToken)
    {
        var options = carriers.Get(carrierId);
        var protocol = Find(known, options.Adapter)
            ?? throw new InvalidOperationException(UnknownAdapter(carrierId, options.Adapter, Names));
        return protocol.CreateAsync(carrierId, options, cancellationToken);
    }

    internal static ICarrierProtocol? Find(IEnumerable<ICarrierProtocol> protocols, string? name) =>
        protocols.FirstOrDefault(p => string.Equals(p.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));

    internal static string UnknownAdapter(string carrierId, string? name, IEnumerable<string> names) =>
        $"Loa:Carriers:{carrierId}:Adapter is '{name}', which is not an adapter Loa has (one of: {string.Join(", ", names)}).";
}

/// <summary>Refuses to start a host whose carrier names an adapter no protocol answers to, naming the setting.</summary>
internal sealed class KnownAdapterValidation(IEnumerable<ICarrierProtocol> protocols) : IValidateOptions<CarrierOptions>
{
    public ValidateOptionsResult Validate(string? name, CarrierOptions options)
    {
        if (name is null || !CarrierIds.All.Contains(name))
            return ValidateOptionsResult.Skip;
        return CarrierAdapterFactory.Find(protocols, options.Adapter) is null
            ? ValidateOptionsResult.Fail(CarrierAdapterFactory.UnknownAdapter(name, options.Adapter, protocols.Select(p => p.Name)))
            : ValidateOptionsResult.Success;
    }
}
