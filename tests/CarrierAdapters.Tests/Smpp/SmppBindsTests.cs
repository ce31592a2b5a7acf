using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>Several hosts, several binds, and the pause between bind attempts, over loopback TCP.</summary>
public sealed class SmppBindsTests
{
    [Fact]
    public async Task A_down_primary_is_passed_over_for_the_standby_on_the_same_bind_attempt()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        var carrier = Carrier(smsc);
        carrier.Smpp.Host = $"127.0.0.1:1, {smsc.Host}:{smsc.Port}";
        await using var adapter = new SmppAdapter("viettel", carrier);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(Batch(("1", Number(1), "x")), CancellationToken.None));

        Assert.True(Assert.Single(outcome.Results).Accepted);
        Assert.Equal(1, smsc.Stats.BindsAccepted);
    }

    [Fact]
    public void Host_lists_take_ports_of_their_own_or_the_port_setting_and_a_bad_one_is_named()
    {
        var options = new SmppOptions { Host = "smsc1.example.vn:2776, smsc2.example.vn ,[::1]:2777,::1", Port = 2775 };

        Assert.Equal([("smsc1.example.vn", 2776), ("smsc2.example.vn", 2775), ("::1", 2777), ("::1", 2775)], SmppBinds.Hosts(options));
        Assert.Empty(SmppOptions.Problems("viettel", options));

        var bad = new SmppOptions { Host = "smsc1:2775,smsc2:http", Binds = 0 };
        var problems = SmppOptions.Problems("viettel", bad);
        Assert.Contains("Loa:Carriers:viettel:Smpp:Host: 'smsc2:http' is not host or host:port", problems);
        Assert.Contains("Loa:Carriers:viettel:Smpp:Binds is 0; 1 to 64", problems);
    }

    [Fact]
    public void The_pause_between_binds_doubles_to_its_ceiling_within_twenty_percent_and_a_bind_resets_it()
    {
        var clock = new ManualClock();
        var draws = new Queue<double>([0.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0]);
        var reconnect = new SmppReconnect(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), clock, () => draws.Dequeue());

        var pauses = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            reconnect.Failed("refused");
            pauses.Add(reconnect.LastPause.TotalSeconds);
        }

        Assert.Equal([0.8, 2.4, 4, 8, 16, 30, 30], pauses.Select(p => Math.Round(p, 3)));
        Assert.Equal(TimeSpan.FromSeconds(30), reconnect.Wait);
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(TimeSpan.FromSeconds(1), reconnect.Wait);
        reconnect.Succeeded();
        Assert.Equal(TimeSpan.Zero, reconnect.Wait);
        reconnect.Failed("refused again");
        Assert.Equal(0.8, reconnect.LastPause.TotalSeconds, 3);
    }

    [Fact]
    public async Task A_refused_bind_is_not_tried_again_until_its_pause_is_over()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        var carrier = Carrier(smsc, password: "wrong");
        carrier.Timeout = TimeSpan.FromSeconds(1);
        carrier.Smpp.ReconnectSeconds = 30;
        carrier.Smpp.ReconnectMaxSeconds = 60;
        await using var adapter = new SmppAdapter("viettel", carrier);

        var first = Assert.IsType<SubmitOutcome.Transient>(await adapter.SubmitAsync(Batch(("1", Number(1), "x")), CancellationToken.None));
        var second = Assert.IsType<SubmitOutcome.Transient>(await adapter.SubmitAsync(Batch(("2", Number(2), "x")), CancellationToken.None));

        Assert.Contains("ESME_RINVPASWD", first.Reason, StringComparison.Ordinal);
        Assert.Contains("ESME_RINVPASWD", second.Reason, StringComparison.Ordinal);
        Assert.Contains("next bind attempt in", second.Reason, StringComparison.Ordinal);
        Assert.Equal(1, smsc.Stats.BindsRefused);
    }

    [Fact]
    public async Task Several_binds_share_a_batch_each_within_its_own_window()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { Latency = TimeSpan.FromMilliseconds(40), ReceiptDelay = null });
        var carrier = Carrier(smsc, window: 2);
        carrier.Smpp.Binds = 3;
        await using var adapter = new SmppAdapter("viettel", carrier);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch([.. Enumerable.Range(1, 30).Select(i => ($"{i}", Number(i), i % 5 == 0 ? new string('b', 300) : $"Canh bao {i}"))]), CancellationToken.None));

        Assert.All(outcome.Results, r => Assert.True(r.Accepted, r.Error));
        Assert.Equal(3, smsc.Stats.BindsAccepted);
        Assert.Equal(3, adapter.Sessions.Count);
        Assert.All(adapter.Sessions, s => Assert.InRange(s.MaxOutstanding, 1, 2));
        Assert.InRange(smsc.Stats.MaxInFlight, 3, 6); // more than one window's worth at once: the binds ran side by side
        Assert.Equal(30, smsc.Stats.Messages.Count);
        Assert.All(smsc.Stats.Messages.Where(m => m.Parts > 1), m => Assert.Equal(new string('b', 300), m.Text));
    }

    [Fact]
    public async Task A_dropped_bind_is_replaced_while_the_others_carry_on_and_only_its_window_is_unknown()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { Latency = TimeSpan.FromMilliseconds(50), DropAfterSubmits = 10, ReceiptDelay = null });
        var carrier = Carrier(smsc, window: 3);
        carrier.Smpp.Binds = 3;
        await using var adapter = new SmppAdapter("vinaphone", carrier);

        var (reports, _) = await adapter.SendAsync(Batch([.. Enumerable.Range(1, 45).Select(i => ($"{i}", Number(i), $"Canh bao {i}"))]), CancellationToken.None);

        var unknown = reports.Count(r => r.Fate == SmppMessageFate.Unknown);
        var accepted = reports.Count(r => r.Fate == SmppMessageFate.Accepted);
        Assert.Equal(45, unknown + accepted);
        Assert.InRange(unknown, 1, 3); // at most the dropped bind's window
        Assert.Equal(4, smsc.Stats.BindsAccepted);
        Assert.Equal(3, adapter.Sessions.Count);
        // An unknown outcome may have reached the SMSC before the bind dropped (its answer was lost with it):
        // the SMSC holds every accepted message and at most the unknown ones besides, each once.
        Assert.InRange(smsc.Stats.Messages.Count, accepted, accepted + unknown);
        Assert.Equal(smsc.Stats.Messages.Count, smsc.Stats.Messages.Select(m => m.Destination).Distinct().Count());
    }
}

/// <summary>A clock that moves only when told.</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
