using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using Loa.CarrierAdapters;

namespace Loa.Perf;

/// <summary>
/// K emergencies approved, one after another, while a bulk campaign keeps every lane at its carrier's
/// rate: approve → first submit of the emergency at the carrier simulator (its arrival log), p50 / p99.
/// </summary>
public static class EmergencyScenario
{
    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        const string name = "emergency";
        var k = Math.Max(1, args.Int("emergencies", 10));
        var limit = args.Int("limit", 1000);
        var gap = TimeSpan.FromSeconds(args.Double("gap", 1.5));
        var mode = args.Get("mode", "embedded");
        var perEmergency = args.Int("emergency-recipients", 100);
        var http = await ceilings.HttpAsync();

        // Awareness sends only 07:00–22:00 Vietnam time. Outside it: embedded shifts the host's clock to
        // noon (as the tests' ShiftedClock does); a standalone dispatcher keeps the machine's clock, so
        // there the saturating campaign is a warning (same urgent class as the emergency: RabbitMQ's
        // priority queue still orders them, the in-memory gate would not).
        var vietnam = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7));
        var inWindow = vietnam.TimeOfDay >= TimeSpan.FromHours(7) && vietnam.TimeOfDay < TimeSpan.FromHours(21.5);
        TimeProvider? clock = null;
        var bulkKind = "awareness";
        if (!inWindow && mode == "embedded")
        {
            var noon = new DateTimeOffset(DateOnly.FromDateTime(vietnam.DateTime).ToDateTime(new TimeOnly(12, 0)), TimeSpan.FromHours(7));
            clock = new ShiftedClock(noon - vietnam);
            report.Note($"emergency: {vietnam:HH:mm} in Vietnam is outside the awareness window; the host's clock was shifted to 12:00 Vietnam time");
        }
        else if (!inWindow)
        {
            bulkKind = "warning";
            report.Note($"emergency: {vietnam:HH:mm} in Vietnam is outside the awareness window; the saturating campaign is a WARNING, not awareness");
        }
        // Long enough to outlast its own planning (about a third of its sending time here) and every emergency.
        var bulkSeconds = (k * (gap.TotalSeconds + 1) + 15) / 0.6;
        var bulkRecipients = (long)(limit * 5 * bulkSeconds);
        Console.WriteLine($"== emergency: {k} emergencies of {perEmergency} recipients, {gap.TotalSeconds:0.0} s apart, while a {bulkKind} campaign of {bulkRecipients:N0} " +
                          $"keeps all five lanes at {limit} parts/s; mode {mode}");

        await using var loa = await LoaRun.StartAsync(mode, broker, s =>
        {
            foreach (var id in CarrierIds.All)
                s[$"Loa:Carriers:{id}:PartsPerSecond"] = limit.ToString(CultureInfo.InvariantCulture);
        }, clock: clock);
        loa.ResetPeaks();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        var bulkList = await LoaRun.UploadListAsync(author, bulkRecipients, name: "bulk");
        var bulk = await LoaRun.CreateCampaignAsync(author, bulkList, bulkKind);
        // Emergencies are made and submitted up front: only the approval is timed.
        var emergencies = new List<string>();
        for (var i = 0; i <= k; i++) // one more for the emergency sent while the bulk campaign plans
        {
            var list = await LoaRun.UploadListAsync(author, perEmergency, offset: 50_000_000 + i * 10_000L, name: $"emergency {i}");
            var id = await LoaRun.CreateCampaignAsync(author, list, "emergency");
            await LoaRun.SubmitAsync(author, id);
            emergencies.Add(id);
        }
        await LoaRun.SubmitAsync(author, bulk);
        await LoaRun.ApproveAsync(approver, bulk);

        // Timing helper first: the first emergency is approved while the bulk campaign is still planning.
        var histogram = new LongHistogram(600_000_000L, 3);
        var approveCall = new LongHistogram(600_000_000L, 3);
        var latencies = new List<double>();

        async Task<long> MeasureAsync(string id)
        {
            loa.AssertDispatcherRunning();
            var t0 = loa.Clock.GetUtcNow().ToUnixTimeMilliseconds();
            var call = Stopwatch.GetTimestamp();
            await LoaRun.ApproveAsync(approver, id);
            approveCall.RecordValue((long)Stopwatch.GetElapsedTime(call).TotalMicroseconds);
            long? arrived = null;
            var until = Stopwatch.StartNew();
            while (arrived is null && until.Elapsed < TimeSpan.FromSeconds(60))
            {
                foreach (var c in CarrierIds.All)
                {
                    foreach (var a in loa.Simulators.Stats[c].Arrivals)
                    {
                        if (a.BatchId.StartsWith(id, StringComparison.Ordinal) && (arrived is null || a.ArrivedUnixMs < arrived))
                            arrived = a.ArrivedUnixMs;
                    }
                }
                if (arrived is null)
                    await Task.Delay(5);
            }
            if (arrived is null)
                throw new TimeoutException($"emergency {id} reached no carrier within 60 s");
            return arrived.Value - t0;
        }

        // One emergency while the bulk campaign is still being planned (its pages take turns at SQLite's
        // write lock with everything else). Approved once every lane has been sending for a second: a
        // lane starts cold (its first second's allowance held, for a standby taking over), and an
        // emergency inside that second measures the cold start, not the planner.
        long? duringPlanning = null;
        var warm = Stopwatch.StartNew();
        while (CarrierIds.All.Any(c => loa.Simulators.Stats[c].MessagesAccepted == 0) && warm.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(20);
        await Task.Delay(TimeSpan.FromSeconds(1));
        if ((await loa.TimesAsync(bulk)).PlannedAt is null)
        {
            duringPlanning = await MeasureAsync(emergencies[^1]);
            var planning = (await loa.TimesAsync(bulk)).PlannedAt is null ? "still planning" : "planned meanwhile";
            Console.WriteLine($"  emergency while the bulk campaign plans: approve -> first submit at the carrier {duringPlanning} ms ({planning})");
        }
        emergencies.RemoveAt(emergencies.Count - 1);
        // Saturated: every carrier has taken two seconds' worth of the bulk campaign.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (CarrierIds.All.Any(c => loa.Simulators.Stats[c].MessagesAccepted < 2L * limit) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        if (CarrierIds.All.Any(c => loa.Simulators.Stats[c].MessagesAccepted < 2L * limit))
            throw new TimeoutException("the bulk campaign never saturated the lanes");

        var plannedBy = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while ((await loa.TimesAsync(bulk)).PlannedAt is null && DateTime.UtcNow < plannedBy)
            await Task.Delay(200);

        // Steady saturation: the bulk campaign is planned and its batches queue at every lane.
        foreach (var id in emergencies)
        {
            var ms = await MeasureAsync(id);
            latencies.Add(ms);
            histogram.RecordValue(Math.Max(0, ms) * 1000);
            Console.WriteLine($"  emergency {latencies.Count}: approve -> first submit at the carrier {ms} ms");
            await Task.Delay(gap);
        }
        var stillBulk = CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted) < bulkRecipients;
        if (!stillBulk)
            report.Note("emergency: the bulk campaign had finished before the last emergency; lanes were not saturated throughout");
        await operatorClient.PostAsync($"/api/v1/campaigns/{bulk}/cancel", null);

        var p50 = histogram.GetValueAtPercentile(50) / 1000.0;
        var p99 = histogram.GetValueAtPercentile(99) / 1000.0;
        var label = $"{latencies.Count} under {bulkKind} at {limit}/s x5, {mode}";
        report.Add(new Figure(name, $"approve -> first submit p50 ({label})", p50, "ms", "HTTP batch RTT p50", http.BatchP50Ms, LowerIsBetter: true));
        report.Add(new Figure(name, $"approve -> first submit p99 ({label})", p99, "ms", "HTTP batch RTT p50", http.BatchP50Ms, "<= 1000 ms", p99 <= 1000, LowerIsBetter: true));
        if (duringPlanning is { } dp)
            report.Add(new Figure(name, $"approve -> first submit, one emergency while the bulk campaign plans ({mode})", dp, "ms", "HTTP batch RTT p50", http.BatchP50Ms, "<= 1000 ms", dp <= 1000, LowerIsBetter: true));
        report.Add(new Figure(name, "approve call itself p50", approveCall.GetValueAtPercentile(50) / 1000.0, "ms", "small GET p50", http.GetP50Ms, LowerIsBetter: true));
    }
}

/// <summary>The real clock moved by an offset (as tests/Shared/ShiftedClock): any time of day, timers still in real time.</summary>
public sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
}
