using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.SmscSpecs;

/// <summary>The SMSC's submit faults and counters, over loopback TCP with a bare ESME.</summary>
public sealed class SmscFaultTests
{
    [Fact]
    public async Task Weighted_error_statuses_answer_only_the_given_statuses_in_about_their_shares()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour
        {
            ErrorRatio = 1,
            ErrorStatuses = new Dictionary<uint, double> { [SmppStatus.SystemError] = 3, [SmppStatus.InvalidDestinationAddress] = 1 },
            ReceiptDelay = null,
        });
        await using var esme = await RawEsme.BindAsync(smsc);

        var answers = new List<uint>();
        for (var i = 0; i < 200; i++)
            answers.Add((await esme.SubmitAndAnswerAsync(RawEsme.Submit(Number(i)[1..]))).Status);

        Assert.All(answers, s => Assert.Contains(s, new[] { SmppStatus.SystemError, SmppStatus.InvalidDestinationAddress }));
        Assert.InRange(answers.Count(s => s == SmppStatus.SystemError), 125, 175);
        Assert.Equal(answers.Count(s => s == SmppStatus.SystemError), smsc.Stats.RefusedByStatus[SmppStatus.SystemError]);
        Assert.Equal(answers.Count(s => s == SmppStatus.InvalidDestinationAddress), smsc.Stats.RefusedByStatus[SmppStatus.InvalidDestinationAddress]);
        Assert.Equal(200, smsc.Stats.Errors);
        Assert.Empty(smsc.Stats.Messages);
    }

    [Fact]
    public async Task The_same_seed_draws_the_same_answers_and_receipt_states_again()
    {
        var behaviour = new SmscBehaviour
        {
            ErrorRatio = 0.3,
            ErrorStatuses = new Dictionary<uint, double> { [SmppStatus.SystemError] = 1, [SmppStatus.SubmitFailed] = 1 },
            QueueFullRatio = 0.1,
            DeliveredWeight = 2,
            UndeliverableWeight = 1,
            RejectedWeight = 1,
            ReceiptDelay = TimeSpan.Zero,
            Seed = 1234,
        };

        async Task<List<string>> RunAsync()
        {
            await using var smsc = SmscSimulator.Start(behaviour);
            await using var esme = await RawEsme.BindAsync(smsc);
            var outcomes = new List<string>();
            for (var i = 0; i < 60; i++)
            {
                var answer = await esme.SubmitAndAnswerAsync(RawEsme.Submit(Number(i)[1..]));
                if (answer.Status != SmppStatus.Ok)
                {
                    outcomes.Add(SmppStatus.Name(answer.Status));
                    continue;
                }
                SmppPdu receipt;
                while (!Receipts.IsReceipt(receipt = await esme.NextAsync()))
                {
                }
                outcomes.Add(Receipts.Read(receipt).State.ToString());
            }
            return outcomes;
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.True(first.Distinct().Count() >= 4, $"a mixture was drawn: {string.Join(",", first.Distinct())}");
    }

    [Fact]
    public async Task Stats_count_binds_open_the_window_per_bind_the_per_second_peak_and_messages_per_destination()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { Latency = TimeSpan.FromMilliseconds(300), ReceiptDelay = null });
        var first = await RawEsme.BindAsync(smsc);
        await using var second = await RawEsme.BindAsync(smsc);
        Assert.Equal(2, smsc.Stats.BindsOpen);

        // Five in flight on the first bind, two on the second, all written before any answer.
        var sequences = new List<uint>();
        for (var i = 0; i < 5; i++)
            sequences.Add(await first.SubmitAsync(RawEsme.Submit(Number(i)[1..])));
        await second.SubmitAsync(RawEsme.Submit(Number(1)[1..], "Canh bao lan hai"));
        await second.SubmitAsync(RawEsme.Submit(Number(7)[1..]));
        await Eventually(() => smsc.Stats.SubmitsAccepted == 7, "seven submits answered");

        Assert.Equal(new Dictionary<int, int> { [1] = 5, [2] = 2 }, smsc.Stats.WindowHighWaterByBind);
        Assert.Equal(7, smsc.Stats.MaxInFlight);
        Assert.InRange(smsc.Stats.SubmitsPerSecondPeak, 4, 7);
        Assert.Equal(2, smsc.Stats.MessagesTo(Number(1)));
        Assert.Equal(1, smsc.Stats.MessagesTo(Number(7)[1..]));
        Assert.Equal(0, smsc.Stats.MessagesTo(Number(9)));
        Assert.Equal(6, smsc.Stats.MessagesByDestination.Count);
        var snapshot = smsc.Stats.Snapshot();
        Assert.Equal((7, 6, 1), (snapshot.MessagesReassembled, snapshot.Destinations, snapshot.DestinationsWithMoreThanOne));

        await first.UnbindAsync();
        await first.DisposeAsync();
        await Eventually(() => smsc.Stats.BindsOpen == 1, "the unbound connection no longer counted open");
    }

    [Fact]
    public async Task Throttling_and_queue_full_are_counted_by_status()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { MaxSubmitsPerSecond = 3, ReceiptDelay = null });
        await using var esme = await RawEsme.BindAsync(smsc);

        var answers = new List<uint>();
        for (var i = 0; i < 6; i++)
            answers.Add((await esme.SubmitAndAnswerAsync(RawEsme.Submit(Number(i)[1..]))).Status);
        smsc.SetBehaviour(smsc.Behaviour with { MaxSubmitsPerSecond = 0, QueueFullRatio = 1 });
        answers.Add((await esme.SubmitAndAnswerAsync(RawEsme.Submit(Number(9)[1..]))).Status);

        // Six submits can straddle a second boundary, so at least three are throttled, at most three taken per second.
        var throttled = answers.Count(s => s == SmppStatus.Throttled);
        Assert.InRange(throttled, 1, 3);
        Assert.Equal(SmppStatus.MessageQueueFull, answers[^1]);
        Assert.Equal(throttled, smsc.Stats.RefusedByStatus[SmppStatus.Throttled]);
        Assert.Equal(1, smsc.Stats.RefusedByStatus[SmppStatus.MessageQueueFull]);
        Assert.Equal(0, smsc.Stats.Errors);
    }

    [Fact]
    public void An_unusable_behaviour_is_refused_naming_the_knob()
    {
        var refused = Assert.Throws<ArgumentException>(() => SmscSimulator.Start(new SmscBehaviour { EarlyReceiptRatio = 0.7, LateReceiptRatio = 0.5 }));
        Assert.Contains(nameof(SmscBehaviour.LateReceiptRatio), refused.Message);

        var statuses = Assert.Throws<ArgumentException>(() => SmscSimulator.Start(new SmscBehaviour
        {
            ErrorStatuses = new Dictionary<uint, double> { [SmppStatus.Ok] = 1 },
        }));
        Assert.Contains(nameof(SmscBehaviour.ErrorStatuses), statuses.Message);
    }
}
