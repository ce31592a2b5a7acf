using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.Smpp;

/// <summary>Each message's fate (taken, refused, not taken, unknown) as the error table reads the SMSC's answers.</summary>
public sealed class SmppFateTests
{
    [Fact]
    public async Task A_system_error_by_default_is_not_taken_with_the_status_name_while_the_rest_is_taken()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ErrorRatio = 0.5, ErrorStatus = SmppStatus.SystemError, ReceiptDelay = null });
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc));

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch([.. Enumerable.Range(1, 20).Select(i => ($"{i}", Number(i), $"Canh bao {i}"))]), CancellationToken.None));

        var notTaken = outcome.Results.Where(r => r.Fate == MessageFate.NotTaken).ToList();
        var taken = outcome.Results.Where(r => r.Fate == MessageFate.Taken).ToList();
        Assert.NotEmpty(notTaken);
        Assert.NotEmpty(taken);
        Assert.Equal(20, notTaken.Count + taken.Count);
        Assert.All(notTaken, r =>
        {
            Assert.False(r.Accepted);
            Assert.Null(r.CarrierMessageId);
            Assert.Equal("ESME_RSYSERR", r.Error);
        });
        Assert.All(taken, r => Assert.True(r.Accepted));
        Assert.Equal(taken.Count, smsc.Stats.SubmitsAccepted);
    }

    [Fact]
    public async Task Nothing_taken_for_a_retryable_status_is_a_transient_batch()
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ErrorRatio = 1, ErrorStatus = SmppStatus.SubmitFailed, ReceiptDelay = null });
        await using var adapter = new SmppAdapter("viettel", Carrier(smsc));

        var outcome = Assert.IsType<SubmitOutcome.Transient>(await adapter.SubmitAsync(
            Batch(("1", Number(1), "x"), ("2", Number(2), new string('a', 400))), CancellationToken.None));

        Assert.Contains("ESME_RSUBMITFAIL", outcome.Reason, StringComparison.Ordinal);
        // The long message is settled by its first refused part: its other parts were not written after it.
        Assert.InRange(smsc.Stats.SubmitsReceived, 2, 4);
    }

    [Theory]
    [InlineData("ESME_RINVDSTADR", "Retry", SmppStatus.InvalidDestinationAddress, MessageFate.NotTaken, "ESME_RINVDSTADR")]
    [InlineData("0x0000000b", "retry", SmppStatus.InvalidDestinationAddress, MessageFate.NotTaken, "ESME_RINVDSTADR")]
    [InlineData("esme_rsyserr", "Fail", SmppStatus.SystemError, MessageFate.Refused, "ESME_RSYSERR")]
    [InlineData("0x00000401", "Retry", 0x401u, MessageFate.NotTaken, "0x00000401")]
    [InlineData("0x00000402", "Fail", 0x401u, MessageFate.Refused, "0x00000401")]
    public async Task The_carriers_error_table_overrides_the_defaults(string key, string action, uint status, MessageFate fate, string reason)
    {
        // One accepted message beside it, so the batch completes rather than being transient as a whole.
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        var carrier = Carrier(smsc);
        carrier.Smpp.Errors[key] = action;
        await using var adapter = new SmppAdapter("viettel", carrier);
        await adapter.SubmitAsync(Batch(("0", Number(0), "first")), CancellationToken.None);
        smsc.SetBehaviour(smsc.Behaviour with { ErrorRatio = 1, ErrorStatus = status });

        var outcome = await adapter.SubmitAsync(Batch(("1", Number(1), "x")), CancellationToken.None);

        if (fate == MessageFate.NotTaken)
        {
            Assert.Equal(reason, Assert.IsType<SubmitOutcome.Transient>(outcome).Reason);
            return;
        }
        var result = Assert.Single(Assert.IsType<SubmitOutcome.Completed>(outcome).Results);
        Assert.Equal(fate, result.Fate);
        Assert.Equal(reason, result.Error);
    }

    [Fact]
    public void A_bad_error_table_is_named_setting_by_setting_and_refused_by_the_adapter()
    {
        var options = new SmppOptions { Host = "127.0.0.1", SystemId = "loa" };
        options.Errors["ESME_RNOSUCH"] = "Retry";
        options.Errors["0x0000zz"] = "Fail";
        options.Errors["ESME_RSYSERR"] = "Later";
        options.Errors["ESME_RX_P_APPN"] = "1";
        options.Errors["0x00000058"] = "throttle";

        var problems = SmppOptions.Problems("mobifone", options);

        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Loa:Carriers:mobifone:Smpp:Errors:ESME_RNOSUCH: ", StringComparison.Ordinal) && p.Contains("status name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Loa:Carriers:mobifone:Smpp:Errors:0x0000zz: ", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Loa:Carriers:mobifone:Smpp:Errors:ESME_RSYSERR: 'Later' is not Retry, Fail or Throttle", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Loa:Carriers:mobifone:Smpp:Errors:ESME_RX_P_APPN: '1'", StringComparison.Ordinal));
        var refused = Assert.Throws<InvalidOperationException>(() => new SmppAdapter("mobifone", new CarrierOptions { Smpp = options }));
        Assert.Contains("Loa:Carriers:mobifone:Smpp:Errors:ESME_RNOSUCH", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_table_throttles_retries_and_fails_as_documented()
    {
        var table = SmppErrors.Default;
        Assert.Equal(SmppErrorAction.Throttle, table.Action(0x58));
        Assert.Equal(SmppErrorAction.Throttle, table.Action(0x14));
        foreach (var retry in new uint[] { 0x08, 0x45, 0x64, 0x04 })
            Assert.Equal(SmppErrorAction.Retry, table.Action(retry));
        foreach (var fail in new uint[] { 0x0B, 0x0A, 0x65, 0x66, 0x62, 0xFF, 0x400 })
            Assert.Equal(SmppErrorAction.Fail, table.Action(fail));
    }

    [Fact]
    public void Throttled_until_the_deadline_is_not_taken_and_says_why()
    {
        var reports = new[]
        {
            new SmppMessageReport("1", SmppMessageFate.Accepted, ["A1"], null),
            new SmppMessageReport("2", SmppMessageFate.Throttled, [""], "ESME_RTHROTTLED"),
            new SmppMessageReport("3", SmppMessageFate.NotSent, [""], "not sent: the SMSC closed the connection"),
        };

        var outcome = Assert.IsType<SubmitOutcome.Completed>(SmppAdapter.ToOutcome(reports, null));

        Assert.Equal([MessageFate.Taken, MessageFate.NotTaken, MessageFate.NotTaken], outcome.Results.Select(r => r.Fate));
        Assert.Equal("not sent: ESME_RTHROTTLED until the submit deadline", outcome.Results[1].Error);
        Assert.Equal("not sent: the SMSC closed the connection", outcome.Results[2].Error);
        Assert.All(outcome.Results.Skip(1), r => Assert.False(r.Accepted));
    }

    [Theory]
    [InlineData("emergency", 3)]
    [InlineData("Warning", 2)]
    [InlineData("awareness", 0)]
    [InlineData("test", 0)]
    [InlineData(null, 0)]
    public async Task The_kind_sets_priority_flag_and_the_expiry_sets_an_absolute_utc_validity_period(string? kind, byte priority)
    {
        await using var smsc = SmscSimulator.Start(new SmscBehaviour { ReceiptDelay = null });
        await using var tap = new SmppTap(smsc.Host, smsc.Port);
        var carrier = Carrier(smsc);
        carrier.Smpp.Port = tap.Port;
        await using var adapter = new SmppAdapter("viettel", carrier);
        var expires = new DateTimeOffset(2031, 4, 5, 13, 7, 9, TimeSpan.FromHours(7));

        await adapter.SubmitAsync(Batch(("1", Number(1), new string('a', 200))) with { Kind = kind, ExpiresAt = expires }, CancellationToken.None);
        await adapter.SubmitAsync(Batch(("2", Number(2), "no expiry")), CancellationToken.None);

        var submits = tap.Submits;
        Assert.Equal(3, submits.Count);
        Assert.All(submits.Take(2), s =>
        {
            Assert.Equal(priority, s.PriorityFlag);
            Assert.Equal("310405060709000+", s.ValidityPeriod); // 13:07:09 at +07 is 06:07:09 UTC
        });
        Assert.Equal(0, submits[2].PriorityFlag);
        Assert.Equal("", submits[2].ValidityPeriod);
    }
    [Fact]
    public async Task A_throttle_answer_after_part_of_the_batch_was_taken_completes_it_asking_the_lane_to_slow_down()
    {
        // The SMSC's "route busy" read as a throttle: a seeded share of submits meet it, after others in the same window were taken.
        await using var smsc = SmscSimulator.Start(new SmscBehaviour
        {
            ErrorRatio = 0.3, ErrorStatus = SmppStatus.SystemError, Latency = TimeSpan.FromMilliseconds(20), ReceiptDelay = null, Seed = 7,
        });
        var carrier = Carrier(smsc);
        carrier.Smpp.Errors["ESME_RSYSERR"] = "Throttle";
        await using var adapter = new SmppAdapter("viettel", carrier);

        var outcome = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(
            Batch([.. Enumerable.Range(1, 20).Select(i => ($"{i}", Number(i), $"Canh bao {i}"))]), CancellationToken.None));

        Assert.True(outcome.SlowDown, "a completed batch that met a throttle asks the lane to slow down");
        Assert.Null(outcome.RetryAfter); // SMPP says nothing of how long
        Assert.True(smsc.Stats.Errors > 0, "the SMSC throttled some submits");
        Assert.All(outcome.Results, r => Assert.Contains(r.Fate, new[] { MessageFate.Taken, MessageFate.NotTaken }));
        Assert.Equal(outcome.Results.Count(r => r.Fate == MessageFate.Taken), smsc.Stats.Messages.Count);
        Assert.Equal(smsc.Stats.Messages.Count, smsc.Stats.Messages.Select(m => m.Destination).Distinct().Count());
    }

    [Fact]
    public void Only_a_batch_that_met_a_throttle_asks_to_slow_down_and_one_with_nothing_taken_stays_throttled()
    {
        SmppMessageReport Report(string id, SmppMessageFate fate) => new(id, fate, ["A1"], fate == SmppMessageFate.Accepted ? null : "ESME_RTHROTTLED");

        var partly = Assert.IsType<SubmitOutcome.Completed>(
            SmppAdapter.ToOutcome([Report("1", SmppMessageFate.Accepted), Report("2", SmppMessageFate.Throttled)], null, throttled: true));
        var calm = Assert.IsType<SubmitOutcome.Completed>(SmppAdapter.ToOutcome([Report("1", SmppMessageFate.Accepted)], null, throttled: false));
        var none = SmppAdapter.ToOutcome([Report("1", SmppMessageFate.Throttled), Report("2", SmppMessageFate.NotSent)], null, throttled: true);

        Assert.True(partly.SlowDown);
        Assert.Equal(MessageFate.NotTaken, partly.Results[1].Fate);
        Assert.False(calm.SlowDown);
        Assert.IsType<SubmitOutcome.Throttled>(none);
    }
}
