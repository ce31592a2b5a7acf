using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>One bind over real TCP on loopback against the SMSC simulator.</summary>
public sealed class SmppSessionTests
{
    private static ShortMessageBody Submit(int i) => new()
    {
        SourceTon = 5,
        SourceAddress = "CUCATTT",
        DestTon = 1,
        DestNpi = 1,
        DestinationAddress = Number(i)[1..],
        ShortMessage = Loa.CarrierAdapters.Encoding.Gsm7Codec.ToSeptets($"message {i}"),
    };

    [Fact]
    public async Task Binds_as_transceiver_and_unbinds_cleanly()
    {
        await using var smsc = SmscSimulator.Start();
        await using var session = await SmppSession.BindAsync(Options(smsc), null, null, null, CancellationToken.None);
        Assert.True(session.IsOpen);
        Assert.Equal(1, smsc.Stats.BindsAccepted);

        await session.UnbindAsync(CancellationToken.None);

        Assert.Equal("unbound", await session.Closed.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, smsc.Stats.UnbindsReceived);
        Assert.IsType<SmppSubmitAnswer.NotSent>(await await session.StartSubmitAsync(Submit(1), CancellationToken.None));
    }

    [Fact]
    public async Task A_wrong_password_is_refused_naming_the_status()
    {
        await using var smsc = SmscSimulator.Start();
        var refused = await Assert.ThrowsAsync<SmppBindException>(() => SmppSession.BindAsync(Options(smsc, password: "wrong"), null, null, null, CancellationToken.None));
        Assert.Equal(SmppStatus.InvalidPassword, refused.Status);
        Assert.Contains("ESME_RINVPASWD", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, smsc.Stats.BindsRefused);
    }

    [Fact]
    public async Task Nothing_listening_is_a_bind_failure_not_a_hang()
    {
        var options = new SmppOptions { Host = "127.0.0.1", Port = 1, SystemId = "loa", Password = "x", ConnectSeconds = 2 };
        var refused = await Assert.ThrowsAsync<SmppBindException>(() => SmppSession.BindAsync(options, null, null, null, CancellationToken.None));
        Assert.Contains("cannot connect", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_link_is_kept_alive_with_enquire_link()
    {
        await using var smsc = SmscSimulator.Start();
        var options = Options(smsc);
        options.EnquireLinkSeconds = 1;
        await using var session = await SmppSession.BindAsync(options, null, null, null, CancellationToken.None);

        await Eventually(() => smsc.Stats.EnquireLinksReceived >= 2, "two enquire_link on an idle bind");
        Assert.True(session.IsOpen);
    }

    [Fact]
    public async Task The_smscs_enquire_link_is_answered()
    {
        await using var smsc = SmscSimulator.Start();
        await using var session = await SmppSession.BindAsync(Options(smsc), null, null, null, CancellationToken.None);

        await smsc.SendToClientsAsync(SmppPdu.Request(SmppCommand.EnquireLink));

        await Eventually(() => smsc.Stats.EnquireLinkRespsReceived == 1, "enquire_link_resp from the client");
    }

    [Fact]
    public async Task The_smscs_unbind_is_answered_and_ends_the_session()
    {
        await using var smsc = SmscSimulator.Start();
        await using var session = await SmppSession.BindAsync(Options(smsc), null, null, null, CancellationToken.None);

        await smsc.SendToClientsAsync(SmppPdu.Request(SmppCommand.Unbind));

        Assert.Equal("the SMSC unbound", await session.Closed.WaitAsync(TimeSpan.FromSeconds(5)));
        await Eventually(() => smsc.Stats.UnbindRespsReceived == 1, "unbind_resp from the client");
    }

    [Fact]
    public async Task An_unknown_command_from_the_smsc_gets_generic_nack_and_the_bind_stays()
    {
        await using var smsc = SmscSimulator.Start();
        await using var session = await SmppSession.BindAsync(Options(smsc), null, null, null, CancellationToken.None);

        await smsc.SendRawToClientsAsync(Convert.FromHexString("00000010" + "000000FF" + "00000000" + "00000063"));

        await Eventually(() => smsc.Stats.NacksReceived.Contains(SmppStatus.InvalidCommandId), "generic_nack ESME_RINVCMDID");
        Assert.True(session.IsOpen);
        Assert.IsType<SmppSubmitAnswer.Answered>(await await session.StartSubmitAsync(Submit(1), CancellationToken.None));
    }

    [Fact]
    public async Task A_generic_nack_from_the_smsc_for_nothing_we_wait_on_leaves_the_bind_working()
    {
        await using var smsc = SmscSimulator.Start();
        await using var session = await SmppSession.BindAsync(Options(smsc), null, null, null, CancellationToken.None);

        await smsc.SendToClientsAsync(new SmppPdu(SmppCommand.GenericNack, SmppStatus.InvalidCommandLength, 0, SmppBody.Empty));

        var answer = Assert.IsType<SmppSubmitAnswer.Answered>(await await session.StartSubmitAsync(Submit(1), CancellationToken.None));
        Assert.Equal(SmppStatus.Ok, answer.Status);
        Assert.True(session.IsOpen);
    }

    [Fact]
    public async Task The_window_is_never_exceeded()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { Latency = TimeSpan.FromMilliseconds(30), ReceiptDelay = null });
        await using var session = await SmppSession.BindAsync(Options(smsc, window: 3), null, null, null, CancellationToken.None);

        var answers = new List<Task<SmppSubmitAnswer>>();
        for (var i = 0; i < 30; i++)
            answers.Add(await session.StartSubmitAsync(Submit(i), CancellationToken.None));
        var all = await Task.WhenAll(answers).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.All(all, a => Assert.Equal(SmppStatus.Ok, Assert.IsType<SmppSubmitAnswer.Answered>(a).Status));
        Assert.Equal(3, smsc.Stats.MaxInFlight);
        Assert.Equal(3, session.MaxOutstanding);
        Assert.Equal(30, smsc.Stats.SubmitsAccepted);
    }

    [Fact]
    public async Task A_dropped_bind_mid_window_gives_unknown_outcomes_not_losses()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { Latency = TimeSpan.FromMilliseconds(200), DropAfterSubmits = 5, ReceiptDelay = null });
        await using var session = await SmppSession.BindAsync(Options(smsc, window: 10), null, null, null, CancellationToken.None);

        var answers = new List<Task<SmppSubmitAnswer>>();
        for (var i = 0; i < 10; i++)
            answers.Add(await session.StartSubmitAsync(Submit(i), CancellationToken.None));
        var all = await Task.WhenAll(answers).WaitAsync(TimeSpan.FromSeconds(10));

        // Six went out before the cut and the rest raced it: every one is answered, unknown or not sent, none vanishes.
        Assert.Equal(10, all.Length);
        Assert.True(all.Count(a => a is SmppSubmitAnswer.Unknown) >= 6, string.Join(", ", all.Select(a => a.GetType().Name)));
        Assert.All(all, a => Assert.IsNotType<SmppSubmitAnswer.Answered>(a));
        Assert.All(all.OfType<SmppSubmitAnswer.Unknown>(), u => Assert.Contains("bind closed before the answer", u.Reason, StringComparison.Ordinal));
        await session.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.IsType<SmppSubmitAnswer.NotSent>(await await session.StartSubmitAsync(Submit(11), CancellationToken.None));
    }
}
