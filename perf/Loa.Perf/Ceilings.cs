using System.Data.Common;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using HdrHistogram;
using Loa.CarrierAdapters.HttpBatch;
using Loa.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;

namespace Loa.Perf;

/// <summary>
/// What the machine can do at best, measured in this process, in this run, right before or after the
/// scenario: the figures of Loa are read as ratios to these, so that a noisy shared box still says
/// something. Every loop is bounded in count and in time.
/// </summary>
public sealed class Ceilings
{
    private readonly Dictionary<string, double> cache = [];

    public const int BatchSize = 500;

    /// <summary>Rows per second into the real <c>deliveries</c> schema: migrated by Loa's Migrator, Loa's PRAGMAs, one prepared INSERT, one transaction.</summary>
    public async Task<(double InsertRowsPerSecond, double UpdateRowsPerSecond)> SqliteAsync(int rows = 200_000)
    {
        if (cache.TryGetValue("sqlite-insert", out var ins) && cache.TryGetValue("sqlite-update", out var upd))
            return (ins, upd);
        var directory = LoaRun.NewDirectory();
        try
        {
            var database = new Database(new DatabaseOptions { ConnectionString = LoaRun.ConnectionString(directory) });
            await new Migrator(database, NullLogger<Migrator>.Instance).MigrateAsync();
            await using var connection = await database.OpenAsync();
            var budget = Stopwatch.StartNew();
            var inserted = 0;
            var insertTime = Stopwatch.StartNew();
            await using (var tx = await Database.BeginWriteAsync(connection))
            {
                await using var insert = Commands.Prepare(connection, tx,
                    """
                    INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, batch_id, status, carrier_message_id, error, final_at)
                    VALUES (@campaign, @recipient, 'sms', @carrier, @province, @batch, @status, @cmid, NULL, NULL)
                    ON CONFLICT DO NOTHING
                    """, "campaign", "recipient", "carrier", "province", "batch", "status", "cmid");
                insert.Parameters[0].Value = "ceiling-campaign";
                await insert.PrepareAsync();
                for (var i = 0; i < rows && budget.Elapsed < TimeSpan.FromSeconds(20); i++)
                {
                    insert.Parameters[1].Value = "+8486" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
                    insert.Parameters[2].Value = Carrier(i);
                    insert.Parameters[3].Value = "HN";
                    insert.Parameters[4].Value = 1 + i / BatchSize;
                    insert.Parameters[5].Value = "submitted";
                    insert.Parameters[6].Value = "m" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    inserted += await insert.ExecuteNonQueryAsync();
                }
                await tx.CommitAsync();
            }
            insertTime.Stop();
            ins = inserted / insertTime.Elapsed.TotalSeconds;

            // A receipt's write at best: one keyed UPDATE per row (by carrier message id), one transaction.
            var updated = 0;
            var updateTime = Stopwatch.StartNew();
            await using (var tx = await Database.BeginWriteAsync(connection))
            {
                await using var update = Commands.Prepare(connection, tx,
                    "UPDATE deliveries SET status = 'delivered', final_at = @at WHERE carrier = @carrier AND carrier_message_id = @cmid AND status IN ('queued', 'submitted')",
                    "at", "carrier", "cmid");
                await update.PrepareAsync();
                budget.Restart();
                for (var i = 0; i < inserted && budget.Elapsed < TimeSpan.FromSeconds(20); i++)
                {
                    update.Parameters[0].Value = 1L;
                    update.Parameters[1].Value = Carrier(i);
                    update.Parameters[2].Value = "m" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    updated += await update.ExecuteNonQueryAsync();
                }
                await tx.CommitAsync();
            }
            updateTime.Stop();
            upd = updated / updateTime.Elapsed.TotalSeconds;
            cache["sqlite-insert"] = ins;
            cache["sqlite-update"] = upd;
            Console.WriteLine($"  ceiling: SQLite insert {Report.Format(ins)} rows/s ({inserted} rows), keyed update {Report.Format(upd)} rows/s ({updated} rows)");
            return (ins, upd);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TryDelete(directory);
        }
    }

    /// <summary>
    /// Loopback HTTP round trips of a carrier-sized batch (a 500-message request body, a 500-result
    /// answer) against a trivial Kestrel endpoint: one connection at a time as a lane sends, and five
    /// at once as five lanes do. Also a small GET's latency, the floor under any API call.
    /// </summary>
    public async Task<HttpCeiling> HttpAsync()
    {
        if (cache.TryGetValue("http-1", out var one) && cache.TryGetValue("http-5", out var five)
            && cache.TryGetValue("get-p50", out var p50) && cache.TryGetValue("get-p99", out var p99) && cache.TryGetValue("batch-p50", out var bp50))
            return new HttpCeiling(one, five, bp50, p50, p99);

        var requestBody = JsonSerializer.SerializeToUtf8Bytes(new BatchRequest("ceiling-1", "LOA",
            Enumerable.Range(0, BatchSize).Select(i => new BatchRequestMessage((1_000_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), "+8486" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture), LoaRun.Sms, "gsm7", 1)).ToList(),
            "http://127.0.0.1:1/api/v1/carriers/viettel/receipts"), WireJson.Options);
        var answerBody = JsonSerializer.SerializeToUtf8Bytes(new BatchResponse(
            Enumerable.Range(0, BatchSize).Select(i => new BatchResponseResult((1_000_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), "accepted", "viettel-00000000-" + i, null)).ToList()), WireJson.Options);
        var small = Encoding.UTF8.GetBytes(new string('x', 600));

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapPost("/batch", async (HttpRequest request) =>
        {
            // Read the body as a handler must, then answer a carrier-sized result.
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            return Results.Bytes(answerBody, "application/json");
        });
        app.MapGet("/ping", () => Results.Bytes(small, "application/json"));
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        async Task<(double PerSecond, LongHistogram Latency)> Batches(int connections, int count, TimeSpan limit)
        {
            var histogram = new LongHistogram(60_000_000L, 3);
            var done = 0;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
            {
                using var client = new HttpClient { BaseAddress = address };
                while (Interlocked.Increment(ref done) <= count && watch.Elapsed < limit)
                {
                    var t = Stopwatch.GetTimestamp();
                    using var content = new ByteArrayContent(requestBody);
                    content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                    using var response = await client.PostAsync("/batch", content);
                    await response.Content.ReadAsByteArrayAsync();
                    lock (histogram)
                        histogram.RecordValue((long)Stopwatch.GetElapsedTime(t).TotalMicroseconds);
                }
            }));
            return (histogram.TotalCount / watch.Elapsed.TotalSeconds, histogram);
        }

        await Batches(1, 200, TimeSpan.FromSeconds(3)); // warm-up: JIT, connection
        var (perSecond1, latency1) = await Batches(1, 3000, TimeSpan.FromSeconds(5));
        var (perSecond5, _) = await Batches(5, 6000, TimeSpan.FromSeconds(5));

        var get = new LongHistogram(60_000_000L, 3);
        using (var client = new HttpClient { BaseAddress = address })
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 3000 && watch.Elapsed < TimeSpan.FromSeconds(5); i++)
            {
                var t = Stopwatch.GetTimestamp();
                await client.GetByteArrayAsync("/ping");
                if (i >= 200)
                    get.RecordValue((long)Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            }
        }
        await app.StopAsync();

        var result = new HttpCeiling(perSecond1, perSecond5, latency1.GetValueAtPercentile(50) / 1000.0,
            get.GetValueAtPercentile(50) / 1000.0, get.GetValueAtPercentile(99) / 1000.0);
        cache["http-1"] = result.BatchesPerSecond1;
        cache["http-5"] = result.BatchesPerSecond5;
        cache["batch-p50"] = result.BatchP50Ms;
        cache["get-p50"] = result.GetP50Ms;
        cache["get-p99"] = result.GetP99Ms;
        Console.WriteLine($"  ceiling: loopback HTTP batch ({requestBody.Length / 1024} KiB up, {answerBody.Length / 1024} KiB down) " +
                          $"{Report.Format(perSecond1)} round trips/s on 1 connection (p50 {result.BatchP50Ms:0.00} ms), {Report.Format(perSecond5)}/s on 5; " +
                          $"small GET p50 {result.GetP50Ms:0.000} ms p99 {result.GetP99Ms:0.000} ms");
        return result;
    }

    /// <summary>CPU time (client and server, one process) per request of the h2c ceiling, once <see cref="Http2Async"/> measured it.</summary>
    public double? Http2CpuMicros(int streams = 100) => cache.TryGetValue($"h2-{streams}-cpu", out var cpu) ? cpu : null;

    /// <summary>
    /// Loopback HTTP/2 cleartext (h2c) round trips of one push notification: an FCM HTTP v1 send body
    /// (about 700 bytes, a 152-character token) up and FCM's <c>{"name"}</c> answer down, against a
    /// trivial Kestrel endpoint served HTTP/2 only (as the push simulator is), with
    /// <paramref name="streams"/> requests in flight as an app's <c>MaxConcurrentStreams</c> lets the
    /// adapter have. The raw bound of a push lane: one request per notification, no batch call.
    /// </summary>
    public async Task<double> Http2Async(int streams = 100)
    {
        var key = $"h2-{streams}";
        if (cache.TryGetValue(key, out var cached))
            return cached;
        var body = JsonSerializer.SerializeToUtf8Bytes(new Loa.CarrierAdapters.Push.FcmSendRequest(new Loa.CarrierAdapters.Push.FcmMessage
        {
            Token = "perf00000001:APA91b" + new string('x', 134),
            Notification = new Loa.CarrierAdapters.Push.FcmNotification("Canh bao lua dao", LoaRun.Sms),
            Data = new Dictionary<string, string> { ["campaign"] = "01JCEILING0000000000000000", ["kind"] = "warning" },
            Android = new Loa.CarrierAdapters.Push.FcmAndroidConfig("high", "86400s", "01JCEILING0000000000000000"),
            Apns = new Loa.CarrierAdapters.Push.FcmApnsConfig(new Dictionary<string, string> { ["apns-priority"] = "10", ["apns-collapse-id"] = "01JCEILING0000000000000000" }),
        }));
        var answer = Encoding.UTF8.GetBytes("""{"name":"projects/loa-simulated/messages/0:1767225600000%0123456789abcdef"}""");

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.Http2.MaxStreamsPerConnection = 1000;
            k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
        });
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapPost("/send", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            return Results.Bytes(answer, "application/json");
        });
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var client = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }) { BaseAddress = address };

        async Task<double> Run(int count, TimeSpan limit)
        {
            var done = 0;
            var answered = 0;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, streams).Select(async _ =>
            {
                while (Interlocked.Increment(ref done) <= count && watch.Elapsed < limit)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/send")
                    {
                        Version = System.Net.HttpVersion.Version20,
                        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                        Content = new ByteArrayContent(body),
                    };
                    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                    using var response = await client.SendAsync(request);
                    await response.Content.ReadAsByteArrayAsync();
                    Interlocked.Increment(ref answered);
                }
            }));
            return answered / watch.Elapsed.TotalSeconds;
        }

        await Run(5_000, TimeSpan.FromSeconds(3)); // warm-up: JIT, the connection
        var cpuBefore = ProcessCpu.Seconds();
        var wall = Stopwatch.StartNew();
        var perSecond = await Run(300_000, TimeSpan.FromSeconds(5));
        var requests = perSecond * wall.Elapsed.TotalSeconds;
        await app.StopAsync();
        cache[key] = perSecond;
        if (cpuBefore is { } before && ProcessCpu.Seconds() is { } after && requests > 0)
            cache[key + "-cpu"] = (after - before) / requests * 1e6;
        Console.WriteLine($"  ceiling: loopback h2c, one notification per request ({body.Length} B up, {answer.Length} B down), {streams} streams: {Report.Format(perSecond)} requests/s" +
                          (cache.TryGetValue(key + "-cpu", out var cpu) ? $", {cpu:0} µs of CPU per request (client and server)" : ""));
        return perSecond;
    }

    /// <summary>RabbitMQ publishes with publisher confirms: awaiting each confirm (as Loa's BatchPublisher sends), and with 100 in flight.</summary>
    public async Task<(double Sequential, double Pipelined)?> RabbitAsync(Broker? broker)
    {
        if (broker is null)
            return null;
        if (cache.TryGetValue("rabbit-seq", out var s) && cache.TryGetValue("rabbit-pipe", out var p))
            return (s, p);
        var factory = new ConnectionFactory { Uri = new Uri(broker.Uri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var queue = (await channel.QueueDeclareAsync("perf-ceiling-" + Guid.NewGuid().ToString("n")[..8], durable: true, exclusive: false, autoDelete: false)).QueueName;
        var body = new byte[1024]; // about a SendBatch in MassTransit's envelope
        var props = new BasicProperties { Persistent = true };
        try
        {
            var watch = Stopwatch.StartNew();
            var sequential = 0;
            for (; sequential < 5000 && watch.Elapsed < TimeSpan.FromSeconds(5); sequential++)
                await channel.BasicPublishAsync("", queue, mandatory: false, props, body);
            s = sequential / watch.Elapsed.TotalSeconds;

            watch.Restart();
            var pipelined = 0;
            while (pipelined < 100_000 && watch.Elapsed < TimeSpan.FromSeconds(5))
            {
                var inFlight = new List<Task>(100);
                for (var i = 0; i < 100; i++)
                    inFlight.Add(channel.BasicPublishAsync("", queue, mandatory: false, props, body).AsTask());
                await Task.WhenAll(inFlight);
                pipelined += 100;
            }
            p = pipelined / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            await channel.QueueDeleteAsync(queue);
        }
        cache["rabbit-seq"] = s;
        cache["rabbit-pipe"] = p;
        Console.WriteLine($"  ceiling: RabbitMQ publish with confirms {Report.Format(s)} msgs/s awaiting each, {Report.Format(p)} msgs/s with 100 in flight");
        return (s, p);
    }

    internal static string Carrier(long i) => Loa.CarrierAdapters.CarrierIds.All[(int)(i % 5)];

    internal static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed record HttpCeiling(double BatchesPerSecond1, double BatchesPerSecond5, double BatchP50Ms, double GetP50Ms, double GetP99Ms);
