using System.Diagnostics;
using System.Globalization;
using Loa.CarrierAdapters;

namespace Loa.Perf;

/// <summary>
/// Plan, send and apply receipts for N recipients across the five carriers, rates very high and the
/// simulators unlimited: how fast does Loa itself go, and what is it bounded by?
/// </summary>
public static class ThroughputScenario
{
    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        const string name = "throughput";
        var n = args.Long("recipients", 1_000_000);
        var lanes = args.Int("lanes", 1);
        var mode = args.Get("mode", "embedded");
        var timeout = TimeSpan.FromSeconds(args.Double("timeout", Math.Clamp(n / 2_000.0, 120, 1_800)));
        Console.WriteLine($"== throughput: {n:N0} recipients, mode {mode}, {lanes} lane(s) per carrier, timeout {timeout.TotalSeconds:0} s");

        var sqlite = await ceilings.SqliteAsync();
        var http = await ceilings.HttpAsync();
        var rabbit = await ceilings.RabbitAsync(broker);

        await using var loa = await LoaRun.StartAsync(mode, broker, s =>
        {
            foreach (var id in CarrierIds.All)
                s[$"Loa:Carriers:{id}:Lanes"] = lanes.ToString(CultureInfo.InvariantCulture);
        });
        loa.ResetPeaks();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        var (id, upload) = await LoaRun.PrepareCampaignAsync(author, n, "warning");

        var approvedAt = loa.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var watch = Stopwatch.StartNew();
        await LoaRun.ApproveAsync(approver, id);
        var lastPrint = TimeSpan.Zero;
        var status = "";
        long delivered = 0;
        while (watch.Elapsed < timeout)
        {
            await Task.Delay(500);
            loa.AssertDispatcherRunning();
            var p = await LoaRun.ProgressAsync(operatorClient, id);
            status = p.GetProperty("status").GetString()!;
            delivered = p.GetProperty("delivered").GetInt64();
            if (watch.Elapsed - lastPrint >= TimeSpan.FromSeconds(5) || status == "completed")
            {
                lastPrint = watch.Elapsed;
                var (host, dispatcher) = loa.PeakRss();
                Console.WriteLine($"  {watch.Elapsed.TotalSeconds,6:0.0} s {status}: total {p.GetProperty("total").GetInt64():N0} queued {p.GetProperty("queued").GetInt64():N0} " +
                                  $"submitted {p.GetProperty("submitted").GetInt64():N0} delivered {delivered:N0}  peak RSS host {host:0} MB" +
                                  (dispatcher is { } d ? $" dispatcher {d:0} MB" : ""));
            }
            if (status == "completed")
                break;
        }
        var times = await loa.TimesAsync(id);
        var (hostRss, dispatcherRss) = loa.PeakRss();
        if (status != "completed")
        {
            report.Note($"throughput: campaign not completed within {timeout.TotalSeconds:0} s ({delivered:N0} of {n:N0} delivered); rates below are partial");
        }
        else if (delivered != n)
        {
            report.Note($"throughput: completed with {delivered:N0} delivered of {n:N0}");
        }

        var arrivals = CarrierIds.All.SelectMany(c => loa.Simulators.Stats[c].Arrivals).ToList();
        var accepted = CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted);
        var batches = arrivals.Count;
        var firstArrival = arrivals.Count > 0 ? arrivals.Min(a => a.ArrivedUnixMs) : 0;
        var lastArrival = arrivals.Count > 0 ? arrivals.Max(a => a.ArrivedUnixMs) : 0;

        var started = times.StartedAt ?? approvedAt;
        var planSeconds = times.PlannedAt is { } planned ? (planned - started) / 1000.0 : double.NaN;
        var submitSeconds = (lastArrival - firstArrival) / 1000.0;
        var endSeconds = times.CompletedAt is { } completed ? (completed - approvedAt) / 1000.0 : watch.Elapsed.TotalSeconds;
        var planRate = n / planSeconds;
        var submitRate = submitSeconds > 0 ? accepted / submitSeconds : 0;
        var endRate = delivered / endSeconds;
        Console.WriteLine($"  approve->started {(started - approvedAt)} ms; planned after {planSeconds:0.0} s; first submit at {(firstArrival - approvedAt) / 1000.0:0.0} s, " +
                          $"last at {(lastArrival - approvedAt) / 1000.0:0.0} s ({batches:N0} batches); completed after {endSeconds:0.0} s");

        var label = $"{n / 1_000_000.0:0.##}M {mode}";
        var httpMessages = http.BatchesPerSecond5 * Ceilings.BatchSize;
        report.Add(new Figure(name, $"list upload ({label})", n / upload.TotalSeconds, "rows/s", "SQLite insert", sqlite.InsertRowsPerSecond));
        report.Add(new Figure(name, $"planning ({label})", planRate, "recipients/s", "SQLite insert", sqlite.InsertRowsPerSecond,
            "10M planned <= 60 s", planRate * 60 >= 10_000_000));
        report.Add(new Figure(name, $"10M planning time, projected from {label}", 10_000_000 / planRate, "s", null, null, "<= 60 s", 10_000_000 / planRate <= 60, LowerIsBetter: true));
        report.Add(new Figure(name, $"submitting ({label})", submitRate, "recipients/s", "HTTP batches x500, 5 conns", httpMessages));
        report.Add(new Figure(name, $"end to end to last receipt ({label})", endRate, "recipients/s", "min(SQLite insert, HTTP x500)",
            Math.Min(sqlite.InsertRowsPerSecond, httpMessages), ">= 35,000/s (1M embedded)", endRate >= 35_000));
        if (rabbit is { } r)
            report.Add(new Figure(name, $"SendBatch published ({label})", batches / Math.Max(0.001, planSeconds), "msgs/s", "RabbitMQ confirms, awaited each", r.Sequential));
        report.Add(new Figure(name, $"peak RSS, this process ({(mode == "embedded" ? "API + dispatcher + simulators + runner" : "API + simulators + runner")}, {label})",
            hostRss ?? 0, "MB", null, null, mode == "embedded" ? "dispatcher <= 256 MB (10M)" : null, mode == "embedded" ? hostRss <= 256 : null, LowerIsBetter: true));
        if (dispatcherRss is { } dr)
            report.Add(new Figure(name, $"peak RSS, standalone dispatcher ({label})", dr, "MB", null, null, "<= 256 MB (10M)", dr <= 256, LowerIsBetter: true));
    }
}
