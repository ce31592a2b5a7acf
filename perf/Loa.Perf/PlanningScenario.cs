using System.Diagnostics;
using System.Globalization;

namespace Loa.Perf;

/// <summary>
/// The planner on its own: N recipients planned (delivery rows, batches, counters) with the campaign
/// paused as soon as its first page is written, so that the lanes only put its batches aside (one small write
/// per batch) and no results or receipts compete for SQLite's write lock. The throughput scenario
/// measures planning while everything else runs too; this one measures what the planner itself can
/// do, which is what "10M planned in 60 s" asks. The campaign is cancelled after.
/// </summary>
public static class PlanningScenario
{
    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        const string name = "planning";
        var n = args.Long("recipients", 1_000_000);
        var mode = args.Get("mode", "embedded");
        var timeout = TimeSpan.FromSeconds(args.Double("timeout", Math.Clamp(n / 5_000.0, 60, 1_800)));
        Console.WriteLine($"== planning: {n:N0} recipients, mode {mode}, campaign paused while it plans, timeout {timeout.TotalSeconds:0} s");

        var sqlite = await ceilings.SqliteAsync();
        await using var loa = await LoaRun.StartAsync(mode, broker, _ => { });
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        var (id, upload) = await LoaRun.PrepareCampaignAsync(author, n, "warning");

        loa.ResetPeaks();
        var watch = Stopwatch.StartNew();
        await LoaRun.ApproveAsync(approver, id);
        // Paused once its first page is written (a campaign paused before its planner took it waits for
        // the resume); a page or two may reach the lanes before the pause does.
        while ((await LoaRun.ProgressAsync(operatorClient, id)).GetProperty("total").GetInt64() == 0 && watch.Elapsed < timeout)
            await Task.Delay(10);
        var paused = await operatorClient.PostAsync($"/api/v1/campaigns/{id}/pause", null);
        if (!paused.IsSuccessStatusCode)
            throw new InvalidOperationException($"Pause failed: {(int)paused.StatusCode} {await paused.Content.ReadAsStringAsync()}");
        var times = await loa.TimesAsync(id);
        var lastPrint = TimeSpan.Zero;
        while (times.PlannedAt is null && watch.Elapsed < timeout)
        {
            await Task.Delay(250);
            loa.AssertDispatcherRunning();
            times = await loa.TimesAsync(id);
            if (watch.Elapsed - lastPrint >= TimeSpan.FromSeconds(5))
            {
                lastPrint = watch.Elapsed;
                var p = await LoaRun.ProgressAsync(operatorClient, id);
                var (host, dispatcher) = loa.PeakRss();
                Console.WriteLine($"  {watch.Elapsed.TotalSeconds,6:0.0} s planning: total {p.GetProperty("total").GetInt64():N0}  peak RSS host {host:0} MB" +
                                  (dispatcher is { } d ? $" dispatcher {d:0} MB" : ""));
            }
        }
        var (hostRss, dispatcherRss) = loa.PeakRss();
        await operatorClient.PostAsync($"/api/v1/campaigns/{id}/cancel", null);
        if (times.PlannedAt is not { } plannedAt)
        {
            report.Note($"planning: not planned within {timeout.TotalSeconds:0} s; no figure");
            return;
        }

        var seconds = (plannedAt - (times.StartedAt ?? plannedAt)) / 1000.0;
        var rate = n / Math.Max(0.001, seconds);
        Console.WriteLine($"  planned {n:N0} in {seconds:0.0} s");
        var label = $"{n / 1_000_000.0:0.##}M {mode}, paused";
        report.Add(new Figure(name, $"list upload ({n / 1_000_000.0:0.##}M {mode})", n / upload.TotalSeconds, "rows/s", "SQLite insert", sqlite.InsertRowsPerSecond));
        report.Add(new Figure(name, $"planning alone ({label})", rate, "recipients/s", "SQLite insert", sqlite.InsertRowsPerSecond,
            "10M planned <= 60 s", rate * 60 >= 10_000_000));
        report.Add(new Figure(name, $"planning time ({label})", seconds, "s", null, null,
            n >= 10_000_000 ? "<= 60 s" : null, n >= 10_000_000 ? seconds <= 60 : null, LowerIsBetter: true));
        if (dispatcherRss is { } dr)
            report.Add(new Figure(name, $"peak RSS while planning, standalone dispatcher ({label})", dr, "MB", null, null, "<= 256 MB (10M)", dr <= 256, LowerIsBetter: true));
        else
            report.Add(new Figure(name, $"peak RSS while planning, this process (API + dispatcher + simulators + runner, {label})", hostRss ?? 0, "MB", null, null, null, null, LowerIsBetter: true));
    }
}
