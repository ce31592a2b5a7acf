using Loa.CarrierAdapters;
using Microsoft.Extensions.Configuration;

namespace Loa.Dispatcher;

/// <summary>
/// Carrier settings that only make sense on a developer's machine. Both hosts refuse to start on
/// them outside Development; messages name the setting, never its value, since they end up in logs.
/// </summary>
public static class CarrierChecks
{
    private static readonly string[] DefaultPrefixes = ["dev-", "test-"];

    /// <param name="requireUrls">A standalone dispatcher has no simulators: every carrier needs its real Url.</param>
    public static IEnumerable<string> Find(IConfiguration configuration, bool requireUrls)
    {
        foreach (var id in CarrierIds.All)
        {
            var carrier = configuration.GetSection($"Loa:Carriers:{id}");
            if (string.Equals(carrier["Adapter"]?.Trim(), Loa.CarrierAdapters.Smpp.SmppProtocol.AdapterName, StringComparison.OrdinalIgnoreCase))
            {
                // A carrier on SMPP binds with a system id and password; the HTTP batch settings
                // (Credential, ReceiptSecret, Url) are not its own.
                foreach (var problem in FindSmpp(id, carrier.GetSection("Smpp"), requireUrls))
                    yield return problem;
                continue;
            }
            foreach (var setting in new[] { "Credential", "ReceiptSecret" })
            {
                if (IsMissingOrDefault(carrier[setting]))
                    yield return $"Loa:Carriers:{id}:{setting} is empty or a development default.";
            }
            if (requireUrls && string.IsNullOrWhiteSpace(carrier["Url"]))
                yield return $"Loa:Carriers:{id}:Url is empty: there is nowhere to send this carrier's messages.";
        }
    }

    private static IEnumerable<string> FindSmpp(string id, IConfigurationSection smpp, bool requireHost)
    {
        if (string.IsNullOrWhiteSpace(smpp["SystemId"]))
            yield return $"Loa:Carriers:{id}:Smpp:SystemId is empty: the SMSC knows Loa by it.";
        if (IsMissingOrDefault(smpp["Password"]))
            yield return $"Loa:Carriers:{id}:Smpp:Password is empty or a development default.";
        else if (smpp["Password"]!.Length > 8)
            yield return $"Loa:Carriers:{id}:Smpp:Password is longer than the 8 characters SMPP 3.4 carries: the bind would be refused.";
        if (requireHost && string.IsNullOrWhiteSpace(smpp["Host"]))
            yield return $"Loa:Carriers:{id}:Smpp:Host is empty: there is no SMSC to bind to.";
    }

    public static bool IsMissingOrDefault(string? value) =>
        string.IsNullOrWhiteSpace(value) || DefaultPrefixes.Any(p => value.Trim().StartsWith(p, StringComparison.OrdinalIgnoreCase));
}
