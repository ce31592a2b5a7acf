using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;
using Loa.CarrierAdapters.Smpp;

namespace Loa.Perf;

/// <summary>
/// Issue 16's goal: the throughput campaign (same audience, same flat-out rates) sent once over the
/// HTTP batch adapter and once with every carrier on SMPP to the simulated SMSCs, in the same run; end
/// to end to the last receipt applied, per carrier and total, and the SMPP / HTTP-batch ratio (target
/// at least 0.8 at 1M), with the timeline that says what bounds the SMPP run.
/// </summary>
public static class SmppScenario
{
    private const string Name = "smpp";

    // The HTTP simulators post receipts 100 ms after a batch (LoaRun); the SMSCs wait as long after
    // each submit_sm_resp (their default is 50 ms), so neither leg gets its receipts sooner.
    private const string ReceiptDelay = "00:00:00.100";

    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        var n = args.Long("recipients", 1_000_000);
        var lanes = args.Int("lanes", 1);
        var binds = args.Int("binds", 1);
        var window = args.Int("window", 10);
        var mode = args.Get("mode", "embedded");
        // Diagnostics: an SMSC that answers each submit after a latency shows whether the client fills
        // its window; one that sends no receipts shows how fast the submit path goes without receipt writes.
        var smscLatency = args.Double("smsc-latency", 0);
        var receipts = args.Get("smsc-receipts", "on") != "off";
        var timeout = TimeSpan.FromSeconds(args.Double("timeout", Math.Clamp(n / 1_000.0, 120, 3_600)));
        if (mode != "embedded")
        {
            // The simulated SMSCs live in the API host; a standalone dispatcher finds one only through Smpp:Host.
            report.Note("smpp: skipped, it runs embedded only");
            return;
        }
        Console.WriteLine($"== smpp: {n:N0} recipients, {lanes} lane(s) per carrier; SMPP {binds} bind(s) x window {window} per carrier; timeout {timeout.TotalSeconds:0} s per leg"
                          + (smscLatency > 0 ? $"; SMSC latency {smscLatency} ms" : "") + (receipts ? "" : "; SMSC sends NO receipts (the SMPP leg ends at its last result recorded)"));

        var sqlite = await ceilings.SqliteAsync();
        var http = await ceilings.HttpAsync();

        var httpLeg = await RunLegAsync(HttpBatchProtocol.AdapterName, n, timeout, receipts: true, report, broker, s =>
        {
            foreach (var id in CarrierIds.All)
                s[$"Loa:Carriers:{id}:Lanes"] = lanes.ToString(CultureInfo.InvariantCulture);
        });
        var smppLeg = await RunLegAsync(SmppProtocol.AdapterName, n, timeout, receipts, report, broker, s =>
        {
            foreach (var id in CarrierIds.All)
            {
                s[$"Loa:Carriers:{id}:Lanes"] = lanes.ToString(CultureInfo.InvariantCulture);
                s[$"Loa:Carriers:{id}:Adapter"] = SmppProtocol.AdapterName;
                s[$"Loa:Carriers:{id}:Smpp:Binds"] = binds.ToString(CultureInfo.InvariantCulture);
                s[$"Loa:Carriers:{id}:Smpp:Window"] = window.ToString(CultureInfo.InvariantCulture);
                s[$"Loa:Simulators:Carriers:{id}:Smsc:ReceiptDelay"] = ReceiptDelay;
                if (smscLatency > 0)
                    s[$"Loa:Simulators:Carriers:{id}:Smsc:Latency"] = TimeSpan.FromMilliseconds(smscLatency).ToString("c", CultureInfo.InvariantCulture);
                if (!receipts)
                    s[$"Loa:Simulators:Carriers:{id}:Smsc:MissingReceiptRatio"] = "1";
            }
        });

        Console.WriteLine();
        Console.WriteLine($"  per carrier, end to end to its last receipt applied (delivered counted in the database):");
        Console.WriteLine($"  {"carrier",-12} {"HTTP batch msg/s",18} {"SMPP msg/s",12} {"ratio",6} {"SMPP submits/s",15} {"per bind",9} {"peak/s",8} {"window high-water (per bind)",30}");
        foreach (var id in CarrierIds.All)
        {
            var h = httpLeg.Carriers[id];
            var s = smppLeg.Carriers[id];
            var smsc = smppLeg.Smsc![id];
            Console.WriteLine($"  {id,-12} {h.EndRate,18:N0} {s.EndRate,12:N0} {s.EndRate / h.EndRate,6:0.00} {s.SubmitRate,15:N0} {s.SubmitRate / binds,9:N0} {smsc.PeakPerSecond,8:N0} " +
                              $"{smsc.MaxInFlight,6} ({string.Join(", ", smsc.WindowByBind.Select(b => $"#{b.Key} {b.Value}"))})");
        }
        Console.WriteLine();
        Timeline(httpLeg, n);
        Timeline(smppLeg, n);
        Console.WriteLine($"  SMPP bounded by: {Bound(smppLeg)}");

        var label = $"{n / 1_000_000.0:0.##}M";
        var smppLabel = $"{label}, {binds} bind(s) x window {window}";
        var httpMessages = http.BatchesPerSecond5 * Ceilings.BatchSize;
        report.Add(new Figure(Name, $"HTTP batch end to end to last receipt applied ({label})", httpLeg.EndRate, "msgs/s", "min(SQLite insert, HTTP x500)",
            Math.Min(sqlite.InsertRowsPerSecond, httpMessages)));
        report.Add(new Figure(Name, $"SMPP end to end to last receipt applied ({smppLabel})", smppLeg.EndRate, "msgs/s", "HTTP batch, same run", httpLeg.EndRate,
            receipts ? ">= 0.8 of HTTP batch (1M)" : "none: SMSC sent no receipts, SMPP to last result recorded", receipts ? smppLeg.EndRate >= 0.8 * httpLeg.EndRate : null));
        foreach (var id in CarrierIds.All)
        {
            report.Add(new Figure(Name, $"SMPP end to end, {id} ({smppLabel})", smppLeg.Carriers[id].EndRate, "msgs/s", "HTTP batch, same carrier", httpLeg.Carriers[id].EndRate));
        }
        report.Add(new Figure(Name, $"SMPP submits, all carriers ({smppLabel})", smppLeg.SubmitRate, "submit_sm/s", "HTTP batch messages/s, same run", httpLeg.SubmitRate));
        report.Add(new Figure(Name, $"SMPP submits per bind, mean over carriers ({smppLabel})", CarrierIds.All.Average(c => smppLeg.Carriers[c].SubmitRate) / binds, "submit_sm/s"));
        report.Add(new Figure(Name, $"SMPP window high-water, most of any bind ({smppLabel})",
            smppLeg.Smsc!.Values.SelectMany(s => s.WindowByBind.Values).DefaultIfEmpty(0).Max(), "in flight", "Window", window));
        report.Add(new Figure(Name, $"SMPP receipts applied ({smppLabel})", smppLeg.ReceiptRate, "receipts/s", "HTTP batch, same run", httpLeg.ReceiptRate));
        report.Add(new Figure(Name, $"SMPP planning ({smppLabel})", n / smppLeg.PlanSeconds, "recipients/s", "HTTP batch, same run", n / httpLeg.PlanSeconds));
    }

    private static void Timeline(Leg leg, long n) =>
        Console.WriteLine($"  {leg.Adapter,-9} after approve: planned {leg.PlanSeconds,6:0.0} s ({n / leg.PlanSeconds:N0}/s); first submit {leg.FirstSubmit,5:0.0} s, " +
                          $"last submit answered {leg.LastSubmit,6:0.0} s ({leg.SubmitRate:N0}/s), last result recorded {leg.LastRecorded,6:0.0} s; " +
                          $"first receipt applied {leg.FirstReceipt,5:0.0} s, last {leg.LastReceipt,6:0.0} s ({leg.ReceiptRate:N0}/s); completed {leg.EndSeconds,6:0.0} s ({leg.EndRate:N0} msgs/s)");

    /// <summary>Which stage the end waited on: the one whose last event is not followed closely by the next stage's.</summary>
    private static string Bound(Leg leg)
    {
        var submitTail = leg.LastSubmit - leg.PlanSeconds;
        var receiptTail = leg.LastReceipt - leg.LastSubmit;
        var parts = new List<string>();
        if (submitTail < 1)
            parts.Add($"the planner (the last submit came {submitTail:0.0} s after planning ended)");
        else
            parts.Add($"submitting (the last submit_sm_resp came {submitTail:0.0} s after planning ended, submits at {leg.SubmitRate:N0}/s)");
        if (receiptTail > 2)
            parts.Add($"then the receipt writes ({receiptTail:0.0} s of receipts after the last submit, applied at {leg.ReceiptRate:N0}/s)");
        else
            parts.Add($"receipts kept up (the last applied {receiptTail:0.0} s after the last submit)");
        return string.Join("; ", parts);
    }

    private static async Task<Leg> RunLegAsync(string adapter, long n, TimeSpan timeout, bool receipts, Report report, Broker? broker, Action<Dictionary<string, string?>> adjust)
    {
        Console.WriteLine($"-- {adapter}: every carrier on Adapter = {adapter}");
        await using var loa = await LoaRun.StartAsync("embedded", broker, adjust);
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var smpp = adapter == SmppProtocol.AdapterName;
        // Started before the campaign, so that the SMSCs' counters hold this campaign only (the adapter binds on first use).
        var smscs = smpp ? CarrierIds.All.ToDictionary(c => c, loa.Simulators.Smsc) : null;

        var (id, _) = await LoaRun.PrepareCampaignAsync(author, n, "warning");
        var approvedAt = loa.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var watch = Stopwatch.StartNew();
        await LoaRun.ApproveAsync(approver, id);

        // Each counter's first and last change, sampled in process every 250 ms (so to ±0.25 s).
        var submits = CarrierIds.All.ToDictionary(c => c, _ => new Moves());
        var receiptMoves = CarrierIds.All.ToDictionary(c => c, _ => new Moves());
        var delivered = CarrierIds.All.ToDictionary(c => c, _ => new Moves());
        var status = "";
        long total = 0;
        var lastPrint = TimeSpan.Zero;
        while (watch.Elapsed < timeout)
        {
            await Task.Delay(250);
            var at = watch.Elapsed.TotalSeconds;
            foreach (var c in CarrierIds.All)
            {
                submits[c].See(at, smscs is null ? loa.Simulators.Stats[c].MessagesAccepted : smscs[c].Stats.SubmitsAccepted);
                receiptMoves[c].See(at, smscs is null ? loa.Simulators.Stats[c].ReceiptsPosted : smscs[c].Stats.ReceiptsAcknowledged);
            }
            var p = await LoaRun.ProgressAsync(operatorClient, id);
            status = p.GetProperty("status").GetString()!;
            total = p.GetProperty("delivered").GetInt64();
            foreach (var carrier in p.GetProperty("byCarrier").EnumerateObject())
            {
                if (delivered.TryGetValue(carrier.Name, out var moves))
                    moves.See(at, carrier.Value.GetProperty("delivered").GetInt64());
            }
            if (watch.Elapsed - lastPrint >= TimeSpan.FromSeconds(5) || status == "completed")
            {
                lastPrint = watch.Elapsed;
                Console.WriteLine($"  {at,6:0.0} s {status}: queued {p.GetProperty("queued").GetInt64():N0} submitted {p.GetProperty("submitted").GetInt64():N0} " +
                                  $"delivered {total:N0}; at the carriers {submits.Values.Sum(m => m.Value):N0} taken, {receiptMoves.Values.Sum(m => m.Value):N0} receipts applied");
            }
            if (status == "completed")
                break;
            if (!receipts && p.GetProperty("queued").GetInt64() == 0 && p.GetProperty("submitted").GetInt64() >= n)
                break;
        }
        var times = await loa.TimesAsync(id);
        if (status != "completed" && receipts)
            report.Note($"smpp, {adapter}: campaign not completed within {timeout.TotalSeconds:0} s ({total:N0} of {n:N0} delivered); rates are partial");
        var counted = await CountAsync(loa, id);
        var countedTotal = counted.Values.Sum(c => c.Delivered);
        if (countedTotal != n && receipts)
            report.Note($"smpp, {adapter}: {countedTotal:N0} of {n:N0} delivered in the database");

        var started = times.StartedAt ?? approvedAt;
        var endSeconds = times.CompletedAt is { } completed ? (completed - approvedAt) / 1000.0
            : receipts ? watch.Elapsed.TotalSeconds : (counted.Values.Max(c => c.LastSubmittedAt) - approvedAt) / 1000.0;
        var carriers = CarrierIds.All.ToDictionary(c => c, c =>
        {
            var s = submits[c];
            var d = counted.GetValueOrDefault(c);
            var lastApplied = Math.Max(delivered[c].Last, receiptMoves[c].Last);
            var endRate = receipts ? d.Delivered / Math.Max(0.001, lastApplied) : s.Value / Math.Max(0.001, s.Last);
            return new CarrierLeg(d.Delivered, endRate, s.Value / Math.Max(0.25, s.Last - s.First));
        });
        var smscFigures = smscs?.ToDictionary(e => e.Key, e => new SmscFigures(
            e.Value.Stats.SubmitsPerSecondPeak, e.Value.Stats.MaxInFlight, e.Value.Stats.WindowHighWaterByBind));
        if (smscs is not null)
        {
            var refused = smscs.Values.Sum(s => s.Stats.SubmitsReceived - s.Stats.SubmitsAccepted);
            var lost = smscs.Values.Sum(s => s.Stats.ReceiptsLost);
            if (refused + lost > 0)
                report.Note($"smpp: the SMSCs refused {refused:N0} submits and lost {lost:N0} receipts");
        }

        var firstSubmit = submits.Values.Min(m => m.First);
        var lastSubmit = submits.Values.Max(m => m.Last);
        var firstReceipt = receiptMoves.Values.Min(m => m.First);
        var lastReceipt = Math.Max(receiptMoves.Values.Max(m => m.Last), delivered.Values.Max(m => m.Last));
        var leg = new Leg(
            adapter, (receipts ? countedTotal : submits.Values.Sum(m => m.Value)) / endSeconds, endSeconds,
            times.PlannedAt is { } planned ? (planned - approvedAt) / 1000.0 : double.NaN,
            firstSubmit, lastSubmit, (counted.Values.Max(c => c.LastSubmittedAt) - approvedAt) / 1000.0,
            submits.Values.Sum(m => m.Value) / Math.Max(0.25, lastSubmit - firstSubmit),
            firstReceipt, lastReceipt, receiptMoves.Values.Sum(m => m.Value) / Math.Max(0.25, lastReceipt - firstReceipt),
            carriers, smscFigures);
        Console.WriteLine($"  approve->started {started - approvedAt} ms; completed after {endSeconds:0.0} s; {countedTotal:N0} delivered ({leg.EndRate:N0} msgs/s)");
        return leg;
    }

    /// <summary>Delivered per carrier and the last batch result's time, counted in the deliveries table itself (one scan, after the run).</summary>
    private static async Task<Dictionary<string, (long Delivered, long LastSubmittedAt)>> CountAsync(LoaRun loa, string campaignId)
    {
        await using var connection = await loa.Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT carrier, SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END), COALESCE(MAX(submitted_at), 0)
            FROM deliveries WHERE campaign_id = @id GROUP BY carrier
            """;
        var p = command.CreateParameter();
        p.ParameterName = "@id";
        p.Value = campaignId;
        command.Parameters.Add(p);
        var counts = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        return counts;
    }

    /// <summary>A counter sampled over time: its value, and when (s after approve) it first and last moved.</summary>
    private sealed class Moves
    {
        public long Value { get; private set; }

        public double First { get; private set; } = double.NaN;

        public double Last { get; private set; }

        public void See(double at, long value)
        {
            if (value == Value)
                return;
            if (double.IsNaN(First))
                First = at;
            Last = at;
            Value = value;
        }
    }

    private sealed record CarrierLeg(long Delivered, double EndRate, double SubmitRate);

    private sealed record SmscFigures(int PeakPerSecond, int MaxInFlight, IReadOnlyDictionary<int, int> WindowByBind);

    private sealed record Leg(
        string Adapter, double EndRate, double EndSeconds, double PlanSeconds,
        double FirstSubmit, double LastSubmit, double LastRecorded, double SubmitRate,
        double FirstReceipt, double LastReceipt, double ReceiptRate,
        IReadOnlyDictionary<string, CarrierLeg> Carriers, IReadOnlyDictionary<string, SmscFigures>? Smsc);
}
