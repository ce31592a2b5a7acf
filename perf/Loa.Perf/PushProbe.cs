using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators.Push;
using Microsoft.Extensions.Options;

namespace Loa.Perf;

/// <summary>
/// Where a push notification's time goes, piece by piece, against one push simulator in this process:
/// raw h2c posts of an FCM body (the simulator's own cost), the FCM adapter on a plain HttpClient, and
/// the adapter as the host builds it (its HttpClient factory and telemetry). Batches of 500, as a lane sends.
/// </summary>
public static class PushProbe
{
    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        var count = args.Int("count", 20_000);
        var streams = args.Int("streams", 100);
        await using var sim = new PushSimulatorHost(Options.Create(new PushSimulatorOptions { Behaviour = new PushBehaviour { AcceptUnknownTokens = true } }));
        var endpoints = await sim.StartAsync();
        var tokens = FcmAccessToken.FromServiceAccountFile(endpoints.ServiceAccount.File);
        var access = await tokens.GetAsync(CancellationToken.None);

        // A. raw h2c posts of an FCM body to the simulator: the simulator's own cost per notification.
        var body = JsonSerializer.SerializeToUtf8Bytes(new FcmSendRequest(new FcmMessage
        {
            Token = PushScenario.Token(1),
            Notification = new FcmNotification("t", LoaRun.Sms),
            Data = new Dictionary<string, string> { ["campaign"] = "c1" },
            Android = new FcmAndroidConfig("high", "3600s", "c1"),
        }));
        using var raw = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true });
        var url = new Uri(endpoints.FcmBaseUrl, $"fcm/v1/projects/{endpoints.ServiceAccount.ProjectId}/messages:send");
        async Task<double> Raw(int n)
        {
            var next = 0;
            var w = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, streams).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= n && w.Elapsed < TimeSpan.FromSeconds(30))
                {
                    using var r = new HttpRequestMessage(HttpMethod.Post, url) { Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, Content = new ByteArrayContent(body) };
                    r.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", access);
                    using var resp = await raw.SendAsync(r);
                    resp.EnsureSuccessStatusCode();
                    await resp.Content.ReadAsByteArrayAsync();
                }
            }));
            return Math.Min(n, next) / w.Elapsed.TotalSeconds;
        }
        await Raw(2000);
        Console.WriteLine($"  A raw h2c to the simulator: {await Raw(count):N0}/s");

        // B. the adapter, plain HttpClient, batches of 500.
        var options = new PushAppOptions
        {
            Provider = PushProvider.Fcm, BaseUrl = endpoints.FcmBaseUrl.AbsoluteUri, ProjectId = endpoints.ServiceAccount.ProjectId,
            ServiceAccountFile = endpoints.ServiceAccount.File, MaxConcurrentStreams = streams,
        };
        using var plain = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }) { Timeout = Timeout.InfiniteTimeSpan };
        var adapter = new FcmAdapter("loa", options, plain, tokens);
        async Task<double> Adapter(ICarrierAdapter a, int n)
        {
            var w = Stopwatch.StartNew();
            var b = 0;
            for (; b < n / 500 && w.Elapsed < TimeSpan.FromSeconds(30); b++)
            {
                var messages = Enumerable.Range(0, 500).Select(i => new OutgoingMessage((b * 500 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), PushScenario.Token(b * 500 + i), LoaRun.Sms, SmsEncoding.Ucs2, 1)).ToList();
                var outcome = await a.SubmitAsync(new CarrierBatch($"probe-{b}", "", messages, null) { Kind = "warning", Title = "t", Campaign = "c" + b, CollapseKey = "c" + b }, CancellationToken.None);
                if (outcome is not SubmitOutcome.Completed)
                    throw new InvalidOperationException(outcome.ToString());
            }
            return b * 500 / w.Elapsed.TotalSeconds;
        }
        await Adapter(adapter, 2000);
        Console.WriteLine($"  B FcmAdapter, plain HttpClient: {await Adapter(adapter, count):N0}/s");

        // C. the adapter as the host builds it (its HttpClient factory, telemetry), same simulator.
        await using var loa = await LoaRun.StartAsync("embedded", null, s =>
        {
            foreach (var (key, v) in endpoints.Settings("loa", PushProvider.Fcm))
                s[key] = v;
            s["Loa:Push:Apps:loa:MaxConcurrentStreams"] = streams.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        var hosted = await loa.Services.GetRequiredService<PushAdapterFactory>().CreateAsync("loa", CancellationToken.None);
        await Adapter(hosted, 2000);
        Console.WriteLine($"  C FcmAdapter from the host's factory: {await Adapter(hosted, count):N0}/s");
        report.Add(new Figure("pushprobe", "raw h2c posts of an FCM body to the push simulator", await Raw(count), "notifications/s", $"h2c {streams} streams", await ceilings.Http2Async(streams)));
        report.Add(new Figure("pushprobe", "FcmAdapter, plain HttpClient, batches of 500", await Adapter(adapter, count), "notifications/s", $"h2c {streams} streams", await ceilings.Http2Async(streams)));
        report.Add(new Figure("pushprobe", "FcmAdapter from the host's factory (telemetry on), batches of 500", await Adapter(hosted, count), "notifications/s", $"h2c {streams} streams", await ceilings.Http2Async(streams)));
    }
}
