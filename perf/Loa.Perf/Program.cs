using System.Globalization;
using Loa.Perf;

// The scenario runner of issue 7. One command per scenario, e.g.
//   dotnet run -c Release --project perf/Loa.Perf -- throughput --recipients 1000000
// See perf/README.md for every scenario and option.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var args_ = new Args(args);
var scenario = args_.Scenario ?? "help";
var scenarios = new Dictionary<string, Func<Args, Report, Ceilings, Broker?, Task>>
{
    ["throughput"] = ThroughputScenario.RunAsync,
    ["planning"] = PlanningScenario.RunAsync,
    ["emergency"] = EmergencyScenario.RunAsync,
    ["rate"] = RateScenario.RunAsync,
    ["progress"] = ProgressScenario.RunAsync,
    ["receipts"] = ReceiptsScenario.RunAsync,
    ["smpp"] = SmppScenario.RunAsync,
    ["coverage"] = CoverageScenario.RunAsync,
    ["preview"] = PreviewScenario.RunAsync,
    ["push"] = PushScenario.RunAsync,
    ["pushprobe"] = PushProbe.RunAsync,
};
if (scenario is "help" or "-h" or "--help" || (scenario != "all" && !scenarios.ContainsKey(scenario)))
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project perf/Loa.Perf -- <scenario> [--mode embedded|rabbitmq] [options]
          throughput  --recipients 1000000 --lanes 1           plan, send, receipts; recipients/s
          planning    --recipients 10000000                    the planner alone (campaign paused); recipients/s, RSS
          emergency   --emergencies 10 --limit 1000 --gap 1.5  approve -> first submit at the carrier, p50/p99, lanes saturated
          rate        --limit 500 --seconds 60                  one carrier at its limit: worst 1 s window, utilisation
          progress    --deliveries 10000000 --requests 2000     GET progress latency at N seeded deliveries
          receipts    --receipts 500000 --batch 500 --concurrency 4   signed receipt posts applied per second
          smpp        --recipients 1000000 --binds 1 --window 10   the throughput campaign over HTTP batch, then over SMPP; ratio
          coverage    --people 1000000 --chunk 200000           the coverage fold alone: reaches folded/s, longest write-lock hold
          preview     --members 10000000 --requests 20          exact audience previews of a segmented list: p50/p99 per audience
          push        --devices 1000000 --streams 100 --received 0.5 --opened 0.1 --emergencies 10
                      devices seeded, pushed to the simulated FCM with acks; notifications/s, acks/s, emergency p50/p99
          pushprobe   --count 20000 --streams 100              where a notification's time goes: simulator alone, FCM adapter alone, as the host builds it
          all         every scenario with quick defaults (--recipients 200000 ...)
        --mode rabbitmq uses LOA_TEST_RABBITMQ or starts a private broker with scripts/rabbitmq.sh.
        """);
    return scenario is "help" or "-h" or "--help" ? 0 : 2;
}

var mode = args_.Get("mode", "embedded");
if (mode is not ("embedded" or "rabbitmq"))
{
    Console.Error.WriteLine("--mode is embedded or rabbitmq");
    return 2;
}

var commit = Git("rev-parse --short HEAD");
Console.WriteLine($"Loa perf: {scenario}, mode {mode}, commit {commit}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
var report = new Report();
var ceilings = new Ceilings();
// A broker is needed for --mode rabbitmq; in embedded mode the publish ceiling is measured only when one is given.
await using var broker = await Broker.GetAsync(startIfMissing: mode == "rabbitmq");
var failed = false;
var todo = scenario == "all"
    ? scenarios.Select(s => (s.Key, s.Value, Args: args_.WithDefaults(
        ("recipients", "200000"), ("people", "200000"), ("members", "200000"), ("devices", "200000"), ("emergencies", "5"), ("seconds", "20"), ("deliveries", "2000000"), ("requests", "1000"), ("receipts", "200000"))))
    : [(scenario, scenarios[scenario], args_)];
foreach (var (name, run, scenarioArgs) in todo)
{
    try
    {
        await run(scenarioArgs, report, ceilings, broker);
    }
    catch (Exception ex)
    {
        failed = true;
        report.Note($"{name} failed: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
        Console.Error.WriteLine(ex);
    }
}

Console.WriteLine();
Console.WriteLine($"Loa perf results: {scenario}, mode {mode}, commit {commit}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
Console.WriteLine(report.Table());
return failed ? 1 : 0;

static string Git(string arguments)
{
    try
    {
        var start = new System.Diagnostics.ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        using var p = System.Diagnostics.Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit(5000);
        return output.Length > 0 ? output : "unknown";
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return "unknown";
    }
}
