using System.Diagnostics;
using System.Globalization;
using Loa.CarrierAdapters;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests.Processes;

/// <summary>
/// kill -9 of a standalone dispatcher mid-window on SMPP, where no idempotency key protects a resend:
/// every message ends answered, resent under the kind's rule, or failed "unknown outcome"; none is
/// silently dropped, and a warning reaches nobody twice.
/// </summary>
public sealed partial class DispatcherProcessSpecs
{
    [Theory]
    [InlineData("warning")]
    [InlineData("emergency")]
    public async Task A_dispatcher_killed_mid_window_on_SMPP_leaves_no_message_unaccounted_for_and_follows_the_kinds_resend_rule(string kind)
    {
        const int recipients = 3000;
        var bus = Bus();
        await using var carriers = await CarrierWorld.StartAsync(partsPerSecond: 100);
        await using var loa = await StartApiAsync(carriers, bus);
        var settings = DispatcherSettings(loa, carriers, bus);
        settings["Loa:Dispatcher:SendLease"] = "00:00:03";
        // A receipt the SMSC had written to the killed process's bind is lost with it (the simulator
        // does not redeliver an unacknowledged deliver_sm): its message ends expired at this deadline.
        settings["Loa:Dispatcher:ReceiptTimeout"] = "00:00:08";
        var smscs = CarrierIds.All.ToDictionary(c => c, c => carriers.Simulators.Smsc(c));
        foreach (var (carrier, smsc) in smscs)
        {
            // Slow answers keep a window of submits in flight at the kill.
            smsc.SetBehaviour(smsc.Behaviour with { Latency = TimeSpan.FromMilliseconds(30) });
            settings[$"Loa:Carriers:{carrier}:Adapter"] = "Smpp";
            settings[$"Loa:Carriers:{carrier}:Smpp:Host"] = smsc.Host;
            settings[$"Loa:Carriers:{carrier}:Smpp:Port"] = smsc.Port.ToString(CultureInfo.InvariantCulture);
            settings[$"Loa:Carriers:{carrier}:Smpp:SystemId"] = smsc.Behaviour.SystemId;
            settings[$"Loa:Carriers:{carrier}:Smpp:Password"] = smsc.Behaviour.Password;
        }
        long Taken() => smscs.Values.Sum(s => s.Stats.SubmitsAccepted);

        await using var first = DispatcherProcess.Start("dispatcher-smpp-1", settings, loa.Directory, output);
        await first.WaitUntilReadyAsync(StartupTimeout);
        var id = await LaunchAsync(loa, LoaTestHost.NumbersCsv(recipients), kind);
        var waited = Stopwatch.StartNew();
        while (Taken() < recipients / 4)
        {
            first.AssertRunning();
            Assert.True(waited.Elapsed < CampaignTimeout, $"The SMSCs took {Taken()} within {CampaignTimeout}.\n{first.Tail()}");
            await Task.Delay(5);
        }
        first.Kill();
        Assert.True(Taken() < recipients, "every message was taken before the kill: nothing to recover");

        await using var second = DispatcherProcess.Start("dispatcher-smpp-2", settings, loa.Directory, output);
        await second.WaitUntilReadyAsync(StartupTimeout);
        var progress = await WaitForCompletionAsync(loa, id, CampaignTimeout, second);

        var byDestination = smscs.Values.SelectMany(s => s.Stats.MessagesByDestination).ToList();
        var reached = byDestination.Count;
        var twice = byDestination.Count(d => d.Value > 1);
        using var operatorClient = loa.Client("dev-operator");
        var failed = await EngineWorld.DeliveriesAsync(operatorClient, id, "failed");
        var expired = await EngineWorld.DeliveriesAsync(operatorClient, id, "expired");
        Assert.All(expired, d => Assert.Equal(Loa.Storage.Deliveries.DeliveryReason.NoReceipt, d.GetProperty("error").GetString()));
        Assert.InRange(expired.Count, 0, recipients / 10);
        output.WriteLine($"{kind}: {reached} reached, {twice} twice, {failed.Count} failed, progress {progress}");
        EngineWorld.AssertCountsAddUp(progress);
        Assert.Equal(0, EngineWorld.Count(progress, "queued") + EngineWorld.Count(progress, "submitted"));
        if (kind == "emergency")
        {
            Assert.Equal(recipients, reached); // nobody missed
            Assert.Equal(recipients, EngineWorld.Count(progress, "delivered") + expired.Count);
            Assert.Empty(failed);
        }
        else
        {
            // Nobody twice; only those failed "unknown outcome" may have been missed.
            Assert.Equal(0, twice);
            Assert.InRange(reached, recipients - failed.Count, recipients);
            Assert.Equal(recipients, EngineWorld.Count(progress, "delivered") + failed.Count + expired.Count);
            Assert.All(failed, d => Assert.StartsWith("unknown outcome", d.GetProperty("error").GetString()));
        }
        await second.StopAsync(StopTimeout);
    }
}
