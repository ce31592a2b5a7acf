using System.Diagnostics;
using HdrHistogram;

namespace Loa.Perf;

/// <summary>GET /api/v1/campaigns/{id}/progress over loopback at N deliveries (seeded), bounded in count and time.</summary>
public static class ProgressScenario
{
    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        const string name = "progress";
        var deliveries = args.Long("deliveries", 10_000_000);
        var requests = args.Int("requests", 2000);
        var concurrency = Math.Max(1, args.Int("concurrency", 1));
        var mode = args.Get("mode", "embedded");
        Console.WriteLine($"== progress: {deliveries:N0} seeded deliveries, {requests:N0} requests, {concurrency} at a time, mode {mode}");
        var http = await ceilings.HttpAsync();

        var directory = LoaRun.NewDirectory();
        var id = await Seeding.SeedAsync(directory, deliveries, Seeding.Shape.Progress);
        await using var loa = await LoaRun.StartAsync(mode, broker, directory: directory);
        loa.ResetPeaks();
        using var client = loa.Client("dev-operator");
        var first = await LoaRun.ProgressAsync(client, id);
        if (first.GetProperty("total").GetInt64() != deliveries)
            throw new InvalidOperationException($"progress says total {first.GetProperty("total")}, seeded {deliveries}");
        for (var i = 0; i < 50; i++)
            await client.GetAsync($"/api/v1/campaigns/{id}/progress"); // warm-up

        var histogram = new LongHistogram(60_000_000L, 3);
        var done = 0;
        var watch = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(args.Double("timeout", 120));
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref done) <= requests && watch.Elapsed < limit)
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync($"/api/v1/campaigns/{id}/progress");
                await response.Content.ReadAsByteArrayAsync();
                response.EnsureSuccessStatusCode();
                lock (histogram)
                    histogram.RecordValue((long)Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            }
        }));
        var p50 = histogram.GetValueAtPercentile(50) / 1000.0;
        var p99 = histogram.GetValueAtPercentile(99) / 1000.0;
        var max = histogram.GetMaxValue() / 1000.0;
        Console.WriteLine($"  {histogram.TotalCount:N0} requests in {watch.Elapsed.TotalSeconds:0.0} s: p50 {p50:0.00} ms p99 {p99:0.00} ms max {max:0.00} ms");
        var label = $"{deliveries / 1_000_000.0:0.##}M deliveries";
        report.Add(new Figure(name, $"progress p50 ({label})", p50, "ms", "small GET p50", http.GetP50Ms, LowerIsBetter: true));
        report.Add(new Figure(name, $"progress p99 ({label})", p99, "ms", "small GET p99", http.GetP99Ms, "<= 50 ms at 10M", p99 <= 50, LowerIsBetter: true));
        report.Add(new Figure(name, $"progress requests/s, {concurrency} at a time ({label})", histogram.TotalCount / watch.Elapsed.TotalSeconds, "req/s"));
        var (host, _) = loa.PeakRss();
        report.Add(new Figure(name, $"peak RSS, this process ({label})", host ?? 0, "MB", LowerIsBetter: true));
    }
}
