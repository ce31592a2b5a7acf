using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;

namespace Loa.Perf;

/// <summary>
/// Receipts applied per second: N submitted deliveries seeded, then signed receipt batches posted to
/// <c>POST /api/v1/carriers/{id}/receipts</c> as the carriers do (HMAC over the raw body), a few at once.
/// </summary>
public static class ReceiptsScenario
{
    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        const string name = "receipts";
        var n = args.Long("receipts", 500_000);
        var batch = Math.Max(1, args.Int("batch", 500));
        var concurrency = Math.Max(1, args.Int("concurrency", 4));
        var mode = args.Get("mode", "embedded");
        Console.WriteLine($"== receipts: {n:N0} submitted deliveries, batches of {batch}, {concurrency} posts at a time, mode {mode}");
        var sqlite = await ceilings.SqliteAsync();
        var http = await ceilings.HttpAsync();

        var directory = LoaRun.NewDirectory();
        var id = await Seeding.SeedAsync(directory, n, Seeding.Shape.Submitted);
        await using var loa = await LoaRun.StartAsync(mode, broker, directory: directory);
        loa.ResetPeaks();

        // Work items: per carrier, runs of message ids (delivery i went to carrier i % 5, id m<i>).
        var work = new System.Collections.Concurrent.ConcurrentQueue<(int Carrier, long From)>();
        for (var c = 0; c < 5; c++)
        {
            for (long from = c; from < n; from += 5L * batch)
                work.Enqueue((c, from));
        }
        using var client = new HttpClient { BaseAddress = loa.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        long accepted = 0, unknown = 0, posts = 0;
        var limit = TimeSpan.FromSeconds(args.Double("timeout", 600));
        var at = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (watch.Elapsed < limit && work.TryDequeue(out var item))
            {
                var carrier = CarrierIds.All[item.Carrier];
                var receipts = new List<Receipt>(batch);
                for (long i = item.From; i < n && receipts.Count < batch; i += 5)
                    receipts.Add(new Receipt("m" + i.ToString(CultureInfo.InvariantCulture), "delivered", at, null));
                var body = JsonSerializer.SerializeToUtf8Bytes(receipts, WireJson.Options);
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                content.Headers.Add(ReceiptSignature.Header, ReceiptSignature.Sign(body, $"perf-{carrier}-secret"));
                using var response = await client.PostAsync($"/api/v1/carriers/{carrier}/receipts", content);
                var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"receipt post answered {(int)response.StatusCode}: {answer}");
                Interlocked.Add(ref accepted, answer.GetProperty("accepted").GetInt32());
                Interlocked.Add(ref unknown, answer.GetProperty("unknown").GetInt32());
                Interlocked.Increment(ref posts);
            }
        }));
        watch.Stop();
        var rate = accepted / watch.Elapsed.TotalSeconds;
        using var operatorClient = loa.Client("dev-operator");
        var progress = await LoaRun.ProgressAsync(operatorClient, id);
        Console.WriteLine($"  {posts:N0} posts, {accepted:N0} receipts accepted ({unknown:N0} unknown) in {watch.Elapsed.TotalSeconds:0.0} s; " +
                          $"campaign {progress.GetProperty("status").GetString()}, delivered {progress.GetProperty("delivered").GetInt64():N0}");
        if (progress.GetProperty("delivered").GetInt64() != n)
            report.Note($"receipts: delivered {progress.GetProperty("delivered").GetInt64():N0} of {n:N0} after the posts");
        var label = $"{n / 1000.0:N0}k, {batch}/post, {concurrency} at once";
        report.Add(new Figure(name, $"receipts applied ({label})", rate, "receipts/s", "SQLite keyed update", sqlite.UpdateRowsPerSecond, ">= 50,000/s", rate >= 50_000));
        report.Add(new Figure(name, $"receipt posts ({label})", posts / watch.Elapsed.TotalSeconds, "posts/s", "HTTP batch round trips, 5 conns", http.BatchesPerSecond5));
        var (host, _) = loa.PeakRss();
        report.Add(new Figure(name, $"peak RSS, this process ({label})", host ?? 0, "MB", LowerIsBetter: true));
    }
}
