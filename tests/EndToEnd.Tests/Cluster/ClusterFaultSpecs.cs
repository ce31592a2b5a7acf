using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.EndToEnd.Tests.Processes;
using Loa.Tests.Shared;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.Cluster;

/// <summary>
/// Loa as deployed for a national alert, hurt at the broker: the API host (in the test process) and two
/// standalone dispatcher processes on the three-node cluster with quorum queues, and the carriers counting
/// in the test process, where no fault reaches them. Each spec hurts the cluster mid-campaign and then
/// counts at the carriers: every recipient once, nobody twice, no carrier over its rate in any second.
/// A network partition is not simulated (README, "The broker").
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class ClusterFaultSpecs(ITestOutputHelper output)
{
    // The issue's 100,000. At 800 parts/s a carrier that is some 29 s of sending each; at 2,500 the three
    // specs took 33 s, 37 s and 20 s here alone (2 shared cores running the API, two dispatchers, the
    // simulators and three broker nodes), about 20 s more than 24,000 at 800 did, and each fault still
    // falls with seconds of sending left on every carrier.
    private const int Recipients = 100_000;

    // Per carrier: viettel, vinaphone, mobifone and vietnamobile each get 3/13 of the list, about 23,000
    // messages, so about 9 seconds of sending at this rate when nothing goes wrong.
    private const int PartsPerSecond = 2_500;

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CampaignTimeout = TimeSpan.FromSeconds(150);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_broker_node_killed_mid_campaign_loses_nothing_and_sends_nothing_twice()
    {
        var cluster = new BrokerCluster(output);
        await RunAsync(cluster, async (_, _) =>
        {
            // Node 1 is where every connection goes first, so each process loses its connection here.
            await cluster.KillAsync(1);
            return async () => await cluster.RestartAsync(1);
        });
    }

    [Fact]
    public async Task The_whole_cluster_stopped_and_started_mid_campaign_loses_nothing_and_sends_nothing_twice()
    {
        var cluster = new BrokerCluster(output);
        await RunAsync(cluster, async (_, _) =>
        {
            await cluster.StopAllAsync();
            await cluster.StartAllAsync();
            return () => Task.CompletedTask;
        });
    }

    [Fact]
    public async Task A_dispatcher_and_a_broker_node_killed_together_lose_nothing_and_send_nothing_twice()
    {
        var cluster = new BrokerCluster(output);
        await RunAsync(cluster, async (one, _) =>
        {
            var node = cluster.KillAsync(1);
            one.Kill();
            await node;
            return async () => await cluster.RestartAsync(1);
        });
    }

    /// <summary>
    /// Runs a warning campaign to <see cref="Recipients"/> on two dispatchers, applies
    /// <paramref name="fault"/> once a quarter of it is at the carriers, waits until the carriers have taken
    /// another tenth (the system works through the fault), runs the recovery the fault returned, and checks
    /// the carriers' books once the campaign has completed.
    /// </summary>
    private async Task RunAsync(BrokerCluster cluster, Func<DispatcherProcess, DispatcherProcess, Task<Func<Task>>> fault)
    {
        await cluster.EnsureWholeAsync();
        var clock = Stopwatch.StartNew();
        var bus = new Dictionary<string, string?>
        {
            ["Loa:Transport"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = cluster.Address,
            ["Loa:Bus:Prefix"] = $"loa-cl-{Guid.NewGuid():n}"[..14],
        };
        await using var carriers = await CarrierWorld.StartAsync(PartsPerSecond);
        await using var loa = await LoaTestHost.StartAsync(s =>
        {
            foreach (var (key, value) in carriers.CarrierSettings.Concat(bus))
                s[key] = value;
            s["Loa:Dispatcher:InProcess"] = "false";
            s["Loa:Simulators:Enabled"] = "false";
        });
        var settings = carriers.DispatcherSettings();
        foreach (var (key, value) in bus)
            settings[key] = value;
        settings["ConnectionStrings:Loa"] = LoaTestHost.BaseSettings(loa.Directory)["ConnectionStrings:Loa"];
        settings["Loa:Dispatcher:PublicUrl"] = loa.BaseAddress.ToString();
        settings["Loa:Dispatcher:SweepInterval"] = "00:00:00.500";
        // How long a batch stays with a lane that died holding it: keep the dispatcher kill's recovery quick.
        settings["Loa:Dispatcher:SendLease"] = "00:00:03";

        await using var one = DispatcherProcess.Start("dispatcher-1", settings, loa.Directory, output);
        await one.WaitUntilReadyAsync(StartupTimeout);
        // One after the other: the first to start is every lane's active consumer, the second stands by.
        await using var two = DispatcherProcess.Start("dispatcher-2", settings, loa.Directory, output);
        await two.WaitUntilReadyAsync(StartupTimeout);
        var id = await LaunchAsync(loa);
        var launched = clock.Elapsed;

        await WaitForAcceptedAsync(carriers, Recipients / 4, CampaignTimeout, one, two);
        var faultAt = clock.Elapsed;
        var acceptedAtFault = carriers.MessagesAccepted;
        var recover = await fault(one, two);
        var faultDone = clock.Elapsed;
        var running = one.HasExited ? new[] { two } : [one, two];
        await WaitForAcceptedAsync(carriers, Math.Min(Recipients, acceptedAtFault + Recipients / 10), CampaignTimeout, running);
        await recover();
        var recovered = clock.Elapsed;
        var progress = await WaitForCompletionAsync(loa, id, CampaignTimeout, running);
        var completed = clock.Elapsed;

        var rates = CarrierIds.All.ToDictionary(c => c, c => carriers.Simulators.Stats[c].AcceptedPartsPerSecond);
        var busiest = rates.ToDictionary(r => r.Key, r => r.Value.Count == 0 ? 0 : r.Value.Values.Max());
        output.WriteLine(
            $"launched at {launched.TotalSeconds:F1} s; fault at {faultAt.TotalSeconds:F1} s with {acceptedAtFault}/{Recipients} accepted, done at {faultDone.TotalSeconds:F1} s; " +
            $"recovered at {recovered.TotalSeconds:F1} s; completed at {completed.TotalSeconds:F1} s; busiest second per carrier: " +
            string.Join(", ", busiest.Select(b => $"{b.Key} {b.Value}")) + $" (limit {PartsPerSecond}); carriers: {carriers.Describe()}");

        Assert.Equal(Recipients, progress.GetProperty("total").GetInt64());
        Assert.Equal(Recipients, progress.GetProperty("delivered").GetInt64());
        Assert.Equal(0, progress.GetProperty("failed").GetInt64());
        Assert.Equal(Recipients, carriers.MessagesAccepted);
        Assert.Equal(0, carriers.DuplicateMessageIds);
        foreach (var (carrier, perSecond) in rates)
            Assert.True(perSecond.Values.All(parts => parts <= PartsPerSecond),
                $"{carrier} got more than {PartsPerSecond} parts in some second: {string.Join(", ", perSecond.Select(s => $"{s.Key}: {s.Value}"))}");
        foreach (var dispatcher in running)
            dispatcher.AssertRunning();
        await Task.WhenAll(running.Select(d => d.StopAsync(StopTimeout)));
    }

    private static async Task<string> LaunchAsync(LoaTestHost loa)
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(Recipients));
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        return id;
    }

    /// <summary>Waits (bounded) until the carriers have accepted <paramref name="count"/> messages; fails early if a dispatcher that should run has exited.</summary>
    private static async Task WaitForAcceptedAsync(CarrierWorld carriers, long count, TimeSpan timeout, params DispatcherProcess[] running)
    {
        var waited = Stopwatch.StartNew();
        while (carriers.MessagesAccepted < count)
        {
            foreach (var dispatcher in running)
                dispatcher.AssertRunning();
            if (waited.Elapsed > timeout)
                throw new TimeoutException($"The carriers accepted {carriers.MessagesAccepted} messages within {timeout}, not {count}.\n" +
                    string.Join('\n', running.Select(d => d.Tail())));
            await Task.Delay(20);
        }
    }

    private static async Task<JsonElement> WaitForCompletionAsync(LoaTestHost loa, string id, TimeSpan timeout, params DispatcherProcess[] running)
    {
        using var operatorClient = loa.Client("dev-operator");
        var waited = Stopwatch.StartNew();
        JsonElement progress = default;
        while (waited.Elapsed < timeout)
        {
            foreach (var dispatcher in running)
                dispatcher.AssertRunning();
            progress = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
            if (progress.GetProperty("status").GetString() == "completed")
                return progress;
            await Task.Delay(250);
        }
        throw new TimeoutException($"Campaign {id} did not complete within {timeout}: {progress}\n" +
            string.Join('\n', running.Select(d => d.Tail())));
    }
}
