using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Loa.Storage.Receipts;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>Carriers that fail, throttle and hang: retries end every message once, and only once.</summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class FaultSpecs(ITestOutputHelper output)
{
    private static readonly string[] Carriers = ["viettel", "vinaphone"];

    [Fact]
    public async Task A_campaign_that_meets_5xx_429_and_timeouts_completes_with_nobody_lost_and_nobody_sent_twice()
    {
        const int recipients = 1_500;
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            foreach (var carrier in Carriers)
            {
                // Submits of 25 parts, eight a second, to a carrier that takes 75 parts a second: 429s.
                s[$"Loa:Carriers:{carrier}:PartsPerSecond"] = "200";
                s[$"Loa:Carriers:{carrier}:BurstParts"] = "25";
                // Shorter than the carrier holds a timed-out answer, so Loa gives up and repeats the submit.
                s[$"Loa:Carriers:{carrier}:Timeout"] = "00:00:01";
            }
            s["Loa:Dispatcher:RetrySchedule:0"] = "00:00:00.200";
            s["Loa:Simulators:ServerErrorRatio"] = "0.2";
            s["Loa:Simulators:TimeoutRatio"] = "0.15";
            s["Loa:Simulators:TimeoutHold"] = "00:00:03";
            s["Loa:Simulators:MaxPartsPerSecond"] = "75";
            s["Loa:Simulators:Carriers:viettel:Seed"] = "7";
            s["Loa:Simulators:Carriers:vinaphone:Seed"] = "8";
        }));
        using var operatorClient = loa.Client("dev-operator");

        var id = await EngineWorld.LaunchAsync(loa, LoaTestHost.NumbersCsv(recipients, prefixes: ["086", "091"]));
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(50));

        Assert.Equal(recipients, EngineWorld.Count(progress, "total"));
        Assert.Equal(recipients, EngineWorld.Count(progress, "delivered"));
        EngineWorld.AssertCountsAddUp(progress);
        foreach (var carrier in Carriers)
        {
            var stats = loa.Simulators.Stats[carrier];
            output.WriteLine($"{carrier}: accepted {stats.MessagesAccepted} in {stats.BatchesReceived} batches, 5xx {stats.ServerErrors}, "
                + $"429 {stats.ThrottledSubmits}, held {stats.TimeoutsHeld}, repeats {stats.IdempotentRepeats}");
            // Every recipient reached the carrier exactly once, whatever was retried.
            Assert.Equal(progress.GetProperty("byCarrier").GetProperty(carrier).GetProperty("delivered").GetInt64(), stats.MessagesAccepted);
            Assert.Equal(0, stats.DuplicateMessageIds);
            Assert.True(stats.ThrottledSubmits > 0, $"{carrier} throttled nothing");
            // A held submit was taken: Loa's repeat carries the same key and is answered from the first.
            Assert.True(stats.IdempotentRepeats >= stats.TimeoutsHeld,
                $"{carrier} held {stats.TimeoutsHeld} answers but saw only {stats.IdempotentRepeats} repeats");
        }
        Assert.Equal(recipients, Carriers.Sum(c => loa.Simulators.Stats[c].MessagesAccepted));
        // The faults happened: a run that met none proves nothing.
        Assert.True(Carriers.Sum(c => loa.Simulators.Stats[c].ServerErrors) > 0, "no carrier answered 5xx");
        Assert.True(Carriers.Sum(c => loa.Simulators.Stats[c].TimeoutsHeld) > 0, "no carrier held an answer");
        // A held batch's receipts came before Loa knew its carrier ids; the repeat's answer matched every one.
        var receipts = loa.Services.GetRequiredService<ReceiptLedger>();
        foreach (var carrier in Carriers)
            Assert.Equal(0, await receipts.ParkedCountAsync(carrier));

        // A message counts the submits it took: at least one, more when its batch met a 5xx or a timeout.
        var delivered = await EngineWorld.DeliveriesAsync(operatorClient, id, "delivered");
        Assert.Equal(recipients, delivered.Count);
        Assert.All(delivered, d => Assert.True(d.GetProperty("attempts").GetInt64() >= 1));
        Assert.Contains(delivered, d => d.GetProperty("attempts").GetInt64() > 1);
    }

    [Fact]
    public async Task A_batch_the_carrier_refuses_fails_at_once_with_the_carrier_s_reason_and_is_not_retried()
    {
        const int recipients = 250; // three batches at 100 parts a second
        var port = FreeLoopbackPort();
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            // Viettel's batches go to Vinaphone's door with Viettel's credential: a 401, which no retry mends.
            s["Loa:Simulators:Port"] = port.ToString(CultureInfo.InvariantCulture);
            s["Loa:Carriers:viettel:Url"] = $"http://127.0.0.1:{port}/vinaphone";
            s["Loa:Carriers:viettel:PartsPerSecond"] = "100";
            s["Loa:Carriers:viettel:BurstParts"] = "100"; // a lane-second per batch: three batches
            s["Loa:Dispatcher:RetrySchedule:0"] = "00:00:00.200";
        }));
        using var operatorClient = loa.Client("dev-operator");

        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(recipients));
        // It reached nobody: the campaign ends failed, not completed.
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "failed", TimeSpan.FromSeconds(30));

        Assert.Equal(recipients, EngineWorld.Count(progress, "failed"));
        Assert.NotEqual(JsonValueKind.Null, progress.GetProperty("completedAt").ValueKind);
        EngineWorld.AssertCountsAddUp(progress);
        var failed = await EngineWorld.DeliveriesAsync(operatorClient, id, "failed");
        Assert.Equal(recipients, failed.Count);
        Assert.All(failed, d =>
        {
            var error = d.GetProperty("error").GetString() ?? "";
            Assert.StartsWith("HTTP 401 Unauthorized", error, StringComparison.Ordinal);
            Assert.Contains("Missing or wrong bearer credential", error, StringComparison.Ordinal);
            Assert.Equal(1, d.GetProperty("attempts").GetInt64());
        });
        // Once per batch, never again.
        Assert.Equal(3, loa.Simulators.Stats["vinaphone"].BatchesRefused);
        Assert.Equal(0, Carriers.Sum(c => loa.Simulators.Stats[c].MessagesAccepted));
        // The failed campaign is what the LoaCampaignFailed alert reads (deploy/prometheus).
        using var scraper = new HttpClient { BaseAddress = loa.BaseAddress };
        var metrics = await scraper.GetStringAsync("/metrics");
        Assert.Contains(metrics.Split('\n'), line => line.StartsWith("loa_campaigns_failed_recent{", StringComparison.Ordinal)
            && line.Contains("kind=\"warning\"", StringComparison.Ordinal) && line.EndsWith(" 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_the_attempts_run_out_every_message_fails_with_the_carrier_s_last_reason()
    {
        const int recipients = 250; // three batches at 100 parts a second
        const int maxAttempts = 2;
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Carriers:viettel:PartsPerSecond"] = "100";
            s["Loa:Carriers:viettel:BurstParts"] = "100"; // a lane-second per batch: three batches
            s["Loa:Simulators:Carriers:viettel:ServerErrorRatio"] = "1";
            s["Loa:Dispatcher:RetrySchedule:0"] = "00:00:00.200";
            s["Loa:Dispatcher:MaxAttempts"] = maxAttempts.ToString(CultureInfo.InvariantCulture);
        }));
        using var operatorClient = loa.Client("dev-operator");

        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(recipients));
        // Every message ends failed, and a campaign whose messages have all failed ends failed.
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "failed", TimeSpan.FromSeconds(30));

        Assert.Equal(recipients, EngineWorld.Count(progress, "failed"));
        EngineWorld.AssertCountsAddUp(progress);
        var failed = await EngineWorld.DeliveriesAsync(operatorClient, id, "failed");
        Assert.Equal(recipients, failed.Count);
        Assert.All(failed, d =>
        {
            var error = d.GetProperty("error").GetString() ?? "";
            Assert.StartsWith($"gave up after {maxAttempts} attempts: HTTP 503 Service Unavailable", error, StringComparison.Ordinal);
            Assert.Contains("nothing was taken", error, StringComparison.Ordinal);
            Assert.Equal(maxAttempts, d.GetProperty("attempts").GetInt64());
        });
        var viettel = loa.Simulators.Stats["viettel"];
        Assert.Equal(3 * maxAttempts, viettel.ServerErrors);
        Assert.Equal(0, viettel.MessagesAccepted);
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
