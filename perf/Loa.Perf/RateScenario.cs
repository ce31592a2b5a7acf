using System.Globalization;
using Loa.CarrierAdapters;

namespace Loa.Perf;

/// <summary>
/// One carrier (viettel) at a set limit for a set time, everything else very fast: the worst
/// one-second window the carrier saw (calendar seconds and any sliding 1,000 ms), and the utilisation
/// of the limit, from the simulator's arrival log.
/// </summary>
public static class RateScenario
{
    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        const string name = "rate";
        var limit = args.Int("limit", 500);
        var seconds = args.Int("seconds", 60);
        var burst = args.Int("burst", 0);
        var mode = args.Get("mode", "embedded");
        var recipients = (long)limit * seconds;
        Console.WriteLine($"== rate: viettel at {limit} parts/s for {seconds} s ({recipients:N0} recipients, burst {(burst == 0 ? "a whole second" : burst + " parts")}), mode {mode}");

        await using var loa = await LoaRun.StartAsync(mode, broker, s =>
        {
            s["Loa:Carriers:viettel:PartsPerSecond"] = limit.ToString(CultureInfo.InvariantCulture);
            if (burst > 0)
                s["Loa:Carriers:viettel:BurstParts"] = burst.ToString(CultureInfo.InvariantCulture);
        });
        loa.ResetPeaks();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var list = await LoaRun.UploadListAsync(author, recipients, prefixes: ["086"], name: "viettel only");
        var id = await LoaRun.CreateCampaignAsync(author, list, "warning");
        await LoaRun.SubmitAsync(author, id);
        await LoaRun.ApproveAsync(approver, id);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds * 2 + 60);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(1000);
            loa.AssertDispatcherRunning();
            var p = await LoaRun.ProgressAsync(operatorClient, id);
            if (p.GetProperty("status").GetString() == "completed")
                break;
        }

        var arrivals = loa.Simulators.Stats[CarrierIds.Viettel].Arrivals.OrderBy(a => a.ArrivedUnixMs).ToList();
        if (arrivals.Count == 0)
            throw new InvalidOperationException("viettel saw no batch");
        var perSecond = arrivals.GroupBy(a => a.ArrivedUnixMs / 1000).ToDictionary(g => g.Key, g => (long)g.Sum(a => a.Parts));
        var worstCalendar = perSecond.Values.Max();
        // Any window [t, t + 1000 ms) starting at an arrival.
        long worstSliding = 0, inWindow = 0;
        var start = 0;
        for (var end = 0; end < arrivals.Count; end++)
        {
            inWindow += arrivals[end].Parts;
            while (arrivals[end].ArrivedUnixMs - arrivals[start].ArrivedUnixMs >= 1000)
                inWindow -= arrivals[start++].Parts;
            if (inWindow > worstSliding && inWindow > limit)
                Console.WriteLine($"  over the limit: {inWindow} parts in [{arrivals[start].ArrivedUnixMs}, {arrivals[end].ArrivedUnixMs}] ms, {end - start + 1} batches: " +
                                  string.Join(" ", arrivals.Skip(start).Take(end - start + 1).Select(a => a.ArrivedUnixMs - arrivals[start].ArrivedUnixMs)));
            worstSliding = Math.Max(worstSliding, inWindow);
        }
        var totalParts = arrivals.Sum(a => (long)a.Parts);
        var spanSeconds = (arrivals[^1].ArrivedUnixMs - arrivals[0].ArrivedUnixMs) / 1000.0;
        // Whole seconds only: the first and last are partial.
        var whole = perSecond.OrderBy(p => p.Key).Skip(1).SkipLast(1).Select(p => p.Value).ToList();
        var utilisation = whole.Count > 0 ? whole.Average() / limit : totalParts / Math.Max(1, spanSeconds) / limit;
        Console.WriteLine($"  {arrivals.Count:N0} batches, {totalParts:N0} parts over {spanSeconds:0.0} s; parts per second: {string.Join(" ", perSecond.OrderBy(p => p.Key).Select(p => p.Value))}");
        var label = $"viettel {limit}/s, {seconds} s, {mode}";
        report.Add(new Figure(name, $"worst calendar second ({label})", worstCalendar, "parts", "limit", limit, $"<= {limit}", worstCalendar <= limit, LowerIsBetter: true));
        report.Add(new Figure(name, $"worst sliding 1 s window ({label})", worstSliding, "parts", "limit", limit, $"<= {limit}", worstSliding <= limit, LowerIsBetter: true));
        report.Add(new Figure(name, $"utilisation of whole seconds ({label})", utilisation * 100, "%", "limit", 100));
        report.Add(new Figure(name, $"average over the run ({label})", totalParts / Math.Max(1, spanSeconds), "parts/s", "limit", limit));
    }
}
