using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests.Telemetry;

/// <summary>
/// After a campaign, <c>/metrics</c> holds the series the issue names, and every series that the
/// Grafana dashboard and the alert rules in deploy/ read: a renamed metric breaks this test, not
/// the production dashboard.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed partial class MetricsSpecs
{
    private static readonly string[] Named =
    [
        "loa_deliveries_total", "loa_submit_duration_seconds_bucket", "loa_receipt_latency_seconds_bucket",
        "loa_lane_rate_parts_per_second", "loa_lane_limit_parts_per_second", "loa_lane_contracted_parts_per_second",
        "loa_backlog_deliveries", "loa_backlog_oldest_seconds", "loa_planner_recipients_total", "loa_campaigns_failed_recent",
        "loa_sent_parts_total", "loa_lane_leased", "loa_lane_takeovers_total",
    ];

    [Fact]
    public async Task After_a_campaign_metrics_expose_the_named_series_and_everything_deploy_reads()
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false));
        using var operatorClient = loa.Client("dev-operator");
        var id = await EngineWorld.LaunchAsync(loa, LoaTestHost.NumbersCsv(130));
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(60));

        using var anonymous = new HttpClient { BaseAddress = loa.BaseAddress };
        var response = await anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var series = Series(text);

        foreach (var name in Named)
            Assert.True(series.ContainsKey(name), $"{name} is not in /metrics:\n{text[..Math.Min(text.Length, 3000)]}");
        foreach (var name in DeployReads())
            Assert.True(series.ContainsKey(name) || series.ContainsKey(name + "_bucket"), $"deploy/ reads {name}, which /metrics does not have");

        // The labels the dashboard groups by, with figures at least this campaign's (other tests in
        // this process may add to the same counters).
        foreach (var carrier in done.GetProperty("byCarrier").EnumerateObject())
        {
            var delivered = carrier.Value.GetProperty("delivered").GetInt64();
            Assert.True(Value(series, "loa_deliveries_total", $"carrier=\"{carrier.Name}\"", "kind=\"warning\"", "status=\"delivered\"") >= delivered,
                $"loa_deliveries_total for {carrier.Name} delivered is below the campaign's {delivered}");
            Assert.True(Value(series, "loa_submit_duration_seconds_count", $"carrier=\"{carrier.Name}\"", "outcome=\"completed\"") >= 1);
            Assert.Contains(series["loa_lane_limit_parts_per_second"], l => l.Contains($"carrier=\"{carrier.Name}\"", StringComparison.Ordinal) && l.Contains("lane=", StringComparison.Ordinal));
        }
        Assert.True(Value(series, "loa_planner_recipients_total", "kind=\"warning\"") >= 130);
        Assert.True(Value(series, "loa_sent_parts_total", "tenant=\"national\"") >= 130); // the fair-share panel's series, by tenant
        Assert.Equal(0, Value(series, "loa_backlog_deliveries", "carrier=\"viettel\""));
        Assert.Equal(0, Value(series, "loa_campaigns_failed_recent", "kind=\"warning\"")); // this one reached its recipients
    }

    [Fact]
    public async Task The_deploy_check_passes_on_the_dashboard_and_the_alert_rules()
    {
        // Python checks always; promtool's rule tests (loa-alerts.test.yml) too where promtool is installed.
        var check = new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(RepositoryRoot(), "deploy", "check.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(check)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, $"deploy/check.sh exited {process.ExitCode}:\n{await output}\n{await errors}");
    }

    /// <summary>Series name → its sample lines.</summary>
    private static Dictionary<string, List<string>> Series(string exposition) =>
        exposition.Split('\n')
            .Where(line => line.Length > 0 && line[0] != '#')
            .GroupBy(line => line[..line.IndexOfAny(['{', ' '])])
            .ToDictionary(g => g.Key, g => g.ToList());

    /// <summary>Sum of the samples of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    private static double Value(Dictionary<string, List<string>> series, string name, params string[] labels) =>
        series.GetValueOrDefault(name, [])
            .Where(line => labels.All(l => line.Contains(l, StringComparison.Ordinal)))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private static IEnumerable<string> DeployReads()
    {
        var deploy = Path.Combine(RepositoryRoot(), "deploy");
        var files = new[] { Path.Combine(deploy, "grafana", "loa-dashboard.json"), Path.Combine(deploy, "prometheus", "loa-alerts.yml") };
        var names = files.SelectMany(f => LoaSeries().Matches(File.ReadAllText(f)).Select(m => m.Value))
            .Select(n => Regex.Replace(n, "_(bucket|sum|count)$", ""))
            .ToHashSet();
        Assert.True(names.Count >= 8, $"only {names.Count} Loa series found in deploy/: is the pattern still right?");
        return names;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Loa.slnx")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("Loa.slnx not found above " + AppContext.BaseDirectory);
    }

    // A metric name, not part of a recording rule's name (level:metric:operation), nor a family
    // named in a comment (loa_backlog_*).
    [GeneratedRegex(@"(?<![:\w])loa_[a-z_]*[a-z](?![:\w*])")]
    private static partial Regex LoaSeries();
}
