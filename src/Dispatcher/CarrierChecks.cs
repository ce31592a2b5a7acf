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
            foreach (var setting in new[] { "Credential", "ReceiptSecret" })
            {
                if (IsMissingOrDefault(carrier[setting]))
                    yield return $"Loa:Carriers:{id}:{setting} is empty or a development default.";
            }
            if (requireUrls && string.IsNullOrWhiteSpace(carrier["Url"]))
                yield return $"Loa:Carriers:{id}:Url is empty: there is nowhere to send this carrier's messages.";
        }
    }

    public static bool IsMissingOrDefault(string? value) =>
        string.IsNullOrWhiteSpace(value) || DefaultPrefixes.Any(p => value.Trim().StartsWith(p, StringComparison.OrdinalIgnoreCase));
}
