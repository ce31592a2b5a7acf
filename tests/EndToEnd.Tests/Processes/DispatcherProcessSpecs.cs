using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.CarrierAdapters;
using Loa.Tests.Shared;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.Processes;

/// <summary>
/// The delivery engine as it is deployed: the API host (here, in the test process) on RabbitMQ with
/// no dispatcher of its own, and standalone dispatchers as separate OS processes that share only the
/// broker and the database with it, reaching the carrier simulators by URL. These specs kill and
/// double those processes and check what the carriers saw.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed partial class DispatcherProcessSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CampaignTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);
    private static readonly IReadOnlyList<string> ViettelPrefixes = ["086", "096", "032"];

    [Fact]
    public async Task A_dispatcher_killed_mid_campaign_is_replaced_and_every_recipient_gets_exactly_one_sms()
    {
        // About 700 recipients per large carrier at 100 parts per second: seven seconds of sending.
        const int recipients = 3000;
        var clock = Stopwatch.StartNew();
        var bus = Bus();
        await using var carriers = await CarrierWorld.StartAsync(partsPerSecond: 100);
        await using var loa = await StartApiAsync(carriers, bus);
        var settings = DispatcherSettings(loa, carriers, bus);
        // The lease is how long a batch stays with a lane that died holding it; keep recovery quick.
        settings["Loa:Dispatcher:SendLease"] = "00:00:03";

        await using var first = DispatcherProcess.Start("dispatcher-1", settings, loa.Directory, output);
        await first.WaitUntilReadyAsync(StartupTimeout);
        var id = await LaunchAsync(loa, LoaTestHost.NumbersCsv(recipients));
        var launched = clock.Elapsed;

        await KillRightAfterAnAcceptAsync(first, carriers, atLeast: recipients / 4, CampaignTimeout);
        var killed = clock.Elapsed;
        // With no dispatcher alive nothing moves a delivery out of "queued": whatever the carriers
        // took beyond what is recorded now, the dead process sent without writing down the answer.
        var recordedAtKill = await RecordedAsync(loa, id);
        var acceptedAtKill = carriers.MessagesAccepted;
        Assert.True(acceptedAtKill < recipients, $"The carriers had accepted all {recipients} messages before the kill: the campaign is too small or too fast to test recovery.");

        await using var second = DispatcherProcess.Start("dispatcher-2", settings, loa.Directory, output);
        await second.WaitUntilReadyAsync(StartupTimeout);
        var progress = await WaitForCompletionAsync(loa, id, CampaignTimeout, second);
        var completed = clock.Elapsed;

        output.WriteLine(
            $"launched at {launched.TotalSeconds:F1} s; killed dispatcher-1 at {killed.TotalSeconds:F1} s with {acceptedAtKill}/{recipients} accepted by the carriers, {recordedAtKill} recorded; " +
            $"completed at {completed.TotalSeconds:F1} s ({(completed - killed).TotalSeconds:F1} s after the kill); carriers: {carriers.Describe()}");
        AssertAllDelivered(progress, recipients);
        Assert.Equal(recipients, carriers.MessagesAccepted);
        Assert.Equal(0, carriers.DuplicateMessageIds);
        if (recordedAtKill < acceptedAtKill)
            Assert.True(carriers.IdempotentRepeats > 0, $"{acceptedAtKill - recordedAtKill} messages were accepted but not recorded at the kill; their batch should have come back to the carrier as an idempotent repeat.");
        AssertNoFullNumbers(first);
        AssertNoFullNumbers(second);
        await second.StopAsync(StopTimeout);
    }

    [Fact]
    public async Task Two_dispatchers_on_one_broker_hold_the_carriers_rate_and_send_each_recipient_once()
    {
        // Viettel alone at 300 parts per second: at least nine seconds of sending, split over two
        // lanes (150 each) that the two processes may share out between them.
        const int recipients = 2700;
        const int limit = 300;
        var clock = Stopwatch.StartNew();
        var bus = Bus();
        await using var carriers = await CarrierWorld.StartAsync(partsPerSecond: 100, s =>
        {
            s[$"Loa:Carriers:{CarrierIds.Viettel}:PartsPerSecond"] = limit.ToString(CultureInfo.InvariantCulture);
            s[$"Loa:Carriers:{CarrierIds.Viettel}:Lanes"] = "2";
        });
        await using var loa = await StartApiAsync(carriers, bus);
        var settings = DispatcherSettings(loa, carriers, bus);

        // Started together, so that either may become the active consumer of either lane.
        await using var one = DispatcherProcess.Start("dispatcher-1", settings, loa.Directory, output);
        await using var two = DispatcherProcess.Start("dispatcher-2", settings, loa.Directory, output);
        await Task.WhenAll(one.WaitUntilReadyAsync(StartupTimeout), two.WaitUntilReadyAsync(StartupTimeout));
        var id = await LaunchAsync(loa, LoaTestHost.NumbersCsv(recipients, prefixes: ViettelPrefixes));
        var launched = clock.Elapsed;
        var progress = await WaitForCompletionAsync(loa, id, CampaignTimeout, one, two);
        var completed = clock.Elapsed;

        var viettel = carriers.Simulators.Stats[CarrierIds.Viettel];
        var perSecond = viettel.AcceptedPartsPerSecond;
        var figures = string.Join(", ", perSecond.Select(s => $"{s.Key}: {s.Value}"));
        output.WriteLine(
            $"launched at {launched.TotalSeconds:F1} s, completed at {completed.TotalSeconds:F1} s; viettel parts per unix second: {figures}; " +
            $"submits by dispatcher-1: {Submits(one)}, by dispatcher-2: {Submits(two)}; carriers: {carriers.Describe()}");
        Assert.True(perSecond.Values.All(parts => parts <= limit), $"Viettel got more than {limit} parts in some second: {figures}");
        Assert.True(perSecond.Count >= recipients / limit, $"Viettel took {recipients} parts in {perSecond.Count} seconds; at {limit} per second that takes at least {recipients / limit}: {figures}");
        AssertAllDelivered(progress, recipients);
        Assert.Equal(recipients, viettel.MessagesAccepted);
        Assert.Equal(recipients, carriers.MessagesAccepted);
        Assert.Equal(0, carriers.DuplicateMessageIds);
        AssertNoFullNumbers(one);
        AssertNoFullNumbers(two);
        await Task.WhenAll(one.StopAsync(StopTimeout), two.StopAsync(StopTimeout));
    }

    [Fact]
    public async Task A_campaign_approved_before_any_dispatcher_ever_started_waits_in_the_launch_queue_and_goes_out_when_one_starts()
    {
        // A new broker (or prefix): the API host is up, no dispatcher has declared its queues yet.
        const int recipients = 200;
        var bus = Bus();
        await using var carriers = await CarrierWorld.StartAsync(partsPerSecond: 1000);
        await using var loa = await StartApiAsync(carriers, bus);
        var id = await LaunchAsync(loa, LoaTestHost.NumbersCsv(recipients));

        var settings = DispatcherSettings(loa, carriers, bus);
        // Far beyond the test's time: only the queued launch itself can start the campaign, not the sweeper's relaunch.
        settings["Loa:Dispatcher:LaunchGrace"] = "00:10:00";
        await using var dispatcher = DispatcherProcess.Start("dispatcher-late", settings, loa.Directory, output);
        await dispatcher.WaitUntilReadyAsync(StartupTimeout);
        var progress = await WaitForCompletionAsync(loa, id, CampaignTimeout, dispatcher);

        AssertAllDelivered(progress, recipients);
        Assert.Equal(recipients, carriers.MessagesAccepted);
        Assert.DoesNotContain("launching again", dispatcher.Output, StringComparison.Ordinal);
        await dispatcher.StopAsync(StopTimeout);
    }

    /// <summary>The broker, and queue names of this test's own, so tests sharing a broker never see each other's messages.</summary>
    private static Dictionary<string, string?> Bus() => new()
    {
        ["Loa:Transport"] = "RabbitMq",
        ["ConnectionStrings:RabbitMq"] = DeliveryEngineCollection.RabbitMqAddress(),
        ["Loa:Bus:Prefix"] = $"loa-proc-{Guid.NewGuid():n}"[..17],
    };

    /// <summary>The API host with no dispatcher and no simulators: it checks receipts with the carriers' secrets.</summary>
    private static Task<LoaTestHost> StartApiAsync(CarrierWorld carriers, Dictionary<string, string?> bus) =>
        LoaTestHost.StartAsync(s =>
        {
            foreach (var (key, value) in carriers.CarrierSettings.Concat(bus))
                s[key] = value;
            s["Loa:Dispatcher:InProcess"] = "false";
            s["Loa:Simulators:Enabled"] = "false";
        });

    /// <summary>What a standalone dispatcher needs: the API host's database, the broker, the carriers, and where receipts go.</summary>
    private static Dictionary<string, string?> DispatcherSettings(LoaTestHost loa, CarrierWorld carriers, Dictionary<string, string?> bus)
    {
        var settings = carriers.DispatcherSettings();
        foreach (var (key, value) in bus)
            settings[key] = value;
        settings["ConnectionStrings:Loa"] = LoaTestHost.BaseSettings(loa.Directory)["ConnectionStrings:Loa"];
        settings["Loa:Dispatcher:PublicUrl"] = loa.BaseAddress.ToString();
        settings["Loa:Dispatcher:SweepInterval"] = "00:00:00.500";
        return settings;
    }

    private static async Task<string> LaunchAsync(LoaTestHost loa, string csv, string kind = "warning")
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = await LoaTestHost.UploadListAsync(author, csv);
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!, kind));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        return id;
    }

    /// <summary>
    /// Kills the dispatcher the moment the carriers' count moves past <paramref name="atLeast"/>:
    /// a carrier has just taken a batch whose answer the dispatcher may not have recorded yet,
    /// the crash window the batch's idempotency key is there for.
    /// </summary>
    private static async Task KillRightAfterAnAcceptAsync(DispatcherProcess dispatcher, CarrierWorld carriers, long atLeast, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        var before = carriers.MessagesAccepted;
        while (true)
        {
            dispatcher.AssertRunning();
            var now = carriers.MessagesAccepted;
            if (now >= atLeast && now != before)
            {
                dispatcher.Kill();
                return;
            }
            if (waited.Elapsed > timeout)
                throw new TimeoutException($"The carriers accepted {now} messages within {timeout}, not the {atLeast} to kill at.\n{dispatcher.Tail()}");
            before = now;
            await Task.Delay(5);
        }
    }

    /// <summary>Deliveries a dispatcher has recorded an outcome for (no longer queued).</summary>
    private static async Task<long> RecordedAsync(LoaTestHost loa, string id)
    {
        using var operatorClient = loa.Client("dev-operator");
        var progress = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
        return progress.GetProperty("total").GetInt64() - progress.GetProperty("queued").GetInt64();
    }

    /// <summary>Polls progress until <c>completed</c> (bounded), failing early if a dispatcher that should run has exited.</summary>
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

    private static void AssertAllDelivered(JsonElement progress, int recipients)
    {
        Assert.Equal(recipients, progress.GetProperty("total").GetInt64());
        Assert.Equal(recipients, progress.GetProperty("delivered").GetInt64());
        Assert.Equal(0, progress.GetProperty("queued").GetInt64());
        Assert.Equal(0, progress.GetProperty("submitted").GetInt64());
        Assert.Equal(0, progress.GetProperty("failed").GetInt64());
    }

    /// <summary>A dispatcher's log may name batches and carriers, never a subscriber's full number.</summary>
    private static void AssertNoFullNumbers(DispatcherProcess dispatcher)
    {
        var leak = FullNumber().Match(dispatcher.Output);
        if (leak.Success)
            Assert.Fail($"{dispatcher.Name} logged a full phone number in: {LineOf(dispatcher.Output, leak.Index)}");
    }

    private static string LineOf(string text, int index)
    {
        var start = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        var end = text.IndexOf('\n', index);
        return FullNumber().Replace(text[start..(end < 0 ? text.Length : end)], m => m.Value[..4] + "****" + m.Value[^3..]);
    }

    /// <summary>How many submits a dispatcher made (its HTTP client logs one line per request).</summary>
    private static int Submits(DispatcherProcess dispatcher) =>
        dispatcher.Output.Split('\n').Count(l => l.Contains("Sending HTTP request POST", StringComparison.Ordinal) && l.Contains("/sms/batches", StringComparison.Ordinal));

    // A Vietnamese mobile number, national (0…) or international (84…, +84…), not inside a longer token.
    [GeneratedRegex(@"(?<![\w+])(?:\+?84|0)[35789]\d{8}(?!\w)")]
    private static partial Regex FullNumber();
}
