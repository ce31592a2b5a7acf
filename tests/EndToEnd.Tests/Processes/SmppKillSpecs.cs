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
        // Loa:Dispatcher:ReceiptTimeout keeps its default (24 h): no receipt is lost any more, so none
        // needs a short deadline to end the campaign, and a short one would expire a message whose receipt
        // is merely waiting for the second process to bind, making the outcome depend on how fast it starts.
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
        // No tolerance: every receipt reaches the ledger. One the SMSC wrote to the killed bind and never
        // saw acknowledged, or that came due while no bind was open, is held and redelivered on the second
        // process's bind; one the first process acknowledged was committed before it answered. A receipt
        // for a message whose answer the first process never recorded parks unmatched, but that message
        // ends "unknown outcome" (failed, or resent for an emergency), never expired. (A multi-part
        // message could still end expired: its part receipts merged in the killed process's memory are
        // gone. This campaign's text is one part.)
        Assert.Empty(expired);
        var redelivered = smscs.Values.Sum(s => s.Stats.ReceiptsRedelivered);
        output.WriteLine($"{kind}: {reached} reached, {twice} twice, {failed.Count} failed, {redelivered} receipts redelivered, progress {progress}");
        EngineWorld.AssertCountsAddUp(progress);
        Assert.Equal(0, EngineWorld.Count(progress, "queued") + EngineWorld.Count(progress, "submitted"));
        if (kind == "emergency")
        {
            Assert.Equal(recipients, reached); // nobody missed
            Assert.Equal(recipients, EngineWorld.Count(progress, "delivered"));
            Assert.Empty(failed);
        }
        else
        {
            // Nobody twice; only those failed "unknown outcome" may have been missed.
            Assert.Equal(0, twice);
            Assert.InRange(reached, recipients - failed.Count, recipients);
            Assert.Equal(recipients, EngineWorld.Count(progress, "delivered") + failed.Count);
            Assert.All(failed, d => Assert.StartsWith("unknown outcome", d.GetProperty("error").GetString()));
        }
        await second.StopAsync(StopTimeout);
    }
}
