using Loa.CarrierAdapters;
using Loa.Dispatcher;

namespace Loa.CampaignApi.Security;

/// <summary>
/// Outside Development the host refuses to start on settings that only make sense on a developer's
/// machine. Messages name the setting, never its value: they end up in logs.
/// </summary>
public static class ProductionChecks
{
    /// <summary>Staging may run the carrier simulators on purpose; production never should.</summary>
    public const string AllowSimulators = "Loa:AllowSimulators";

    public static void Enforce(IConfiguration configuration, IHostEnvironment environment)
    {
        if (environment.IsDevelopment())
            return;
        var problems = Find(configuration);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"Refusing to start in {environment.EnvironmentName}: " + string.Join(" ", problems));
        }
    }

    public static IReadOnlyList<string> Find(IConfiguration configuration)
    {
        var problems = new List<string>();

        foreach (var (path, value) in configuration.AsEnumerable())
        {
            if (value is not null && DevKeys.All.Any(k => string.Equals(k.Key, value.Trim(), StringComparison.OrdinalIgnoreCase)))
                problems.Add($"{path} is set to a development key.");
        }

        var simulators = configuration.GetValue("Loa:Simulators:Enabled", false);
        var simulatorsAllowed = configuration.GetValue(AllowSimulators, false);
        foreach (var id in CarrierIds.All)
        {
            var carrier = configuration.GetSection($"Loa:Carriers:{id}");
            if (simulators && !simulatorsAllowed && string.IsNullOrWhiteSpace(carrier["Url"]))
                problems.Add($"Loa:Carriers:{id}:Url is empty while Loa:Simulators:Enabled is true: the simulator would stand in for the carrier (set {AllowSimulators}=true only on staging).");
        }

        foreach (var app in configuration.GetSection("Loa:Push:Apps").GetChildren())
        {
            if (simulators && !simulatorsAllowed && string.IsNullOrWhiteSpace(app["BaseUrl"]))
                problems.Add($"Loa:Push:Apps:{app.Key}:BaseUrl is empty while Loa:Simulators:Enabled is true: the push simulator would stand in for the provider (set {AllowSimulators}=true only on staging).");
        }

        problems.AddRange(CarrierChecks.Find(configuration, requireUrls: false));
        if (configuration["Loa:Jwt:SigningKey"] is { Length: > 0 } signingKey && CarrierChecks.IsMissingOrDefault(signingKey))
            problems.Add("Loa:Jwt:SigningKey is a development default.");
        // Anyone who knows the secret can sign a checkpoint for a cut or rewritten audit log.
        if (!string.IsNullOrWhiteSpace(configuration["Loa:Audit:Anchor:Directory"]) && CarrierChecks.IsMissingOrDefault(configuration["Loa:Audit:Anchor:Secret"]))
            problems.Add("Loa:Audit:Anchor:Secret is empty or a development default while Loa:Audit:Anchor:Directory is set.");
        return problems;
    }
}
