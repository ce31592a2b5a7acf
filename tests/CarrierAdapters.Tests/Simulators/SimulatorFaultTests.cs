using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Loa.CarrierAdapters.HttpBatch;
using Loa.CarrierSimulators;
using Loa.CarrierAdapters.Tests.HttpBatch;

namespace Loa.CarrierAdapters.Tests.Simulators;

/// <summary>Each fault control of a simulated carrier, seen through the real adapter over loopback HTTP.</summary>
public sealed class SimulatorFaultTests
{
    private const string Viettel = CarrierIds.Viettel;

    /// <summary>Long enough for any receipt that was going to be posted (delay 50 ms) to have arrived.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    public async Task Server_error_ratio_one_answers_5xx_the_adapter_sees_transient_and_nothing_is_taken(int status)
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Behave(Viettel, b => b with { ServerErrorRatio = 1.0, ServerErrorStatus = status });
        var adapter = await sim.AdapterAsync(Viettel);
        var batch = sim.Batch(Viettel, count: 3);

        var outcome = await adapter.SubmitAsync(batch, CancellationToken.None);

        Assert.Contains($"HTTP {status}", Assert.IsType<SubmitOutcome.Transient>(outcome).Reason);
        await Task.Delay(Quiet);
        Assert.Empty(sim.Receiver.Receipts);
        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(1, stats.ServerErrors);
        Assert.Equal(0, stats.MessagesAccepted);
        Assert.Equal(0, stats.BatchesReceived);
        Assert.Empty(stats.Arrivals);

        // The key was not stored: once the carrier recovers, the same batch is a fresh submit, not a repeat.
        sim.Behave(Viettel, b => b with { ServerErrorRatio = 0 });
        Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(batch, CancellationToken.None));
        Assert.Equal(3, stats.MessagesAccepted);
        Assert.Equal(0, stats.IdempotentRepeats);
        Assert.True(await Eventually.HoldsAsync(() => sim.Receiver.Receipts.Count == 3));
    }

    [Fact]
    public async Task Server_error_ratio_between_0_and_1_fails_some_submits_and_takes_the_others()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Behave(Viettel, b => b with { ServerErrorRatio = 0.5, Seed = 11 });
        var adapter = await sim.AdapterAsync(Viettel);

        int completed = 0, transient = 0;
        for (var i = 0; i < 30; i++)
        {
            switch (await adapter.SubmitAsync(sim.Batch(Viettel, count: 2), CancellationToken.None))
            {
                case SubmitOutcome.Completed:
                    completed++;
                    break;
                case SubmitOutcome.Transient:
                    transient++;
                    break;
            }
        }

        Assert.InRange(completed, 1, 29);
        Assert.Equal(30, completed + transient);
        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(transient, stats.ServerErrors);
        Assert.Equal(completed, stats.BatchesReceived);
        Assert.Equal(2 * completed, stats.MessagesAccepted);
    }

    [Fact]
    public async Task Timed_out_submit_was_taken_and_its_repeat_gets_the_first_answer_at_once()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Behave(Viettel, b => b with { TimeoutRatio = 1.0, TimeoutHold = TimeSpan.FromSeconds(30) });
        var impatient = await sim.AdapterAsync(Viettel, timeout: TimeSpan.FromMilliseconds(500));
        var batch = sim.Batch(Viettel, count: 3);

        var first = await impatient.SubmitAsync(batch, CancellationToken.None);

        Assert.Contains("timeout", Assert.IsType<SubmitOutcome.Transient>(first).Reason);
        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(1, stats.TimeoutsHeld);
        Assert.Equal(3, stats.MessagesAccepted);

        // Still under the same behaviour: a repeat is answered from the idempotency store, never held.
        var watch = Stopwatch.StartNew();
        var repeat = await (await sim.AdapterAsync(Viettel, timeout: TimeSpan.FromSeconds(10))).SubmitAsync(batch, CancellationToken.None);
        watch.Stop();

        var results = Assert.IsType<SubmitOutcome.Completed>(repeat).Results;
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the repeat took {watch.Elapsed}");
        Assert.All(results, r => Assert.True(r.Accepted));
        Assert.Equal(3, stats.MessagesAccepted);
        Assert.Equal(1, stats.BatchesReceived);
        Assert.Equal(1, stats.IdempotentRepeats);
        Assert.Equal(0, stats.DuplicateMessageIds);
        Assert.Equal(1, stats.TimeoutsHeld);
        Assert.Single(stats.Arrivals);

        // The receipts were scheduled as usual when the batch was taken, once.
        Assert.True(await Eventually.HoldsAsync(() => sim.Receiver.Receipts.Count == 3));
        await Task.Delay(Quiet);
        Assert.Equal(
            results.Select(r => r.CarrierMessageId).Order(),
            sim.Receiver.Receipts.Select(r => r.Receipt.MessageId).Order());
    }

    [Fact]
    public async Task Held_answer_is_written_after_the_hold_to_a_client_that_waits_long_enough()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var hold = TimeSpan.FromMilliseconds(400);
        sim.Behave(Viettel, b => b with { TimeoutRatio = 1.0, TimeoutHold = hold });
        var adapter = await sim.AdapterAsync(Viettel, timeout: TimeSpan.FromSeconds(10));

        var watch = Stopwatch.StartNew();
        var outcome = await adapter.SubmitAsync(sim.Batch(Viettel, count: 2), CancellationToken.None);
        watch.Stop();

        Assert.IsType<SubmitOutcome.Completed>(outcome);
        Assert.True(watch.Elapsed >= hold - TimeSpan.FromMilliseconds(20), $"answered after {watch.Elapsed}");
        Assert.Equal(1, sim.Host.Stats[Viettel].TimeoutsHeld);
    }

    [Fact]
    public async Task Batch_above_the_parts_per_second_limit_is_answered_429_with_retry_after_and_nothing_is_taken()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Behave(Viettel, b => b with { MaxPartsPerSecond = 5 });
        var url = new Uri((await sim.Host.GetBaseUrlAsync(Viettel, CancellationToken.None)) + "/sms/batches");
        // Six parts can never fit under five per second, whichever second they arrive in.
        var body = JsonSerializer.Serialize(
            new BatchRequest("too-big", "CUCATTT",
                [.. Enumerable.Range(1, 3).Select(i => new BatchRequestMessage($"m{i}", $"+8491234567{i}", "Canh bao", "gsm7", 2))],
                sim.Receiver.ReceiptUrl(Viettel).AbsoluteUri),
            WireJson.Options);

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorHarness.Credential(Viettel));
        request.Headers.Add("Idempotency-Key", "too-big");
        using var response = await sim.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var retryAfter = Assert.Single(response.Headers.GetValues("Retry-After"));
        Assert.True(int.TryParse(retryAfter, out var seconds) && seconds >= 1, $"Retry-After: {retryAfter}");

        var adapter = await sim.AdapterAsync(Viettel);
        var outcome = await adapter.SubmitAsync(sim.Batch(Viettel, count: 3, parts: 2), CancellationToken.None);

        var throttled = Assert.IsType<SubmitOutcome.Throttled>(outcome);
        Assert.True(throttled.RetryAfter >= TimeSpan.FromSeconds(1), $"RetryAfter {throttled.RetryAfter}");
        await Task.Delay(Quiet);
        Assert.Empty(sim.Receiver.Receipts);
        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(2, stats.ThrottledSubmits);
        Assert.Equal(0, stats.MessagesAccepted);
        Assert.Equal(0, stats.BatchesReceived);
        Assert.Empty(stats.Arrivals);

        // Not remembered under its key either: the same batch within the limit is taken.
        sim.Behave(Viettel, b => b with { MaxPartsPerSecond = 0 });
        Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(sim.Batch(Viettel, batchId: "too-big"), CancellationToken.None));
        Assert.Equal(0, stats.IdempotentRepeats);
    }

    [Fact]
    public async Task Throttling_keeps_every_wall_clock_seconds_accepted_parts_within_the_limit()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Behave(Viettel, b => b with { MaxPartsPerSecond = 4 });
        var adapter = await sim.AdapterAsync(Viettel);

        int completed = 0, throttled = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        for (var i = 0; i < 40 && (throttled < 3 || completed < 2) && DateTime.UtcNow < deadline; i++)
        {
            switch (await adapter.SubmitAsync(sim.Batch(Viettel, count: 2), CancellationToken.None))
            {
                case SubmitOutcome.Completed:
                    completed++;
                    break;
                case SubmitOutcome.Throttled t:
                    Assert.True(t.RetryAfter >= TimeSpan.FromSeconds(1));
                    throttled++;
                    break;
            }
        }

        Assert.True(throttled >= 1, "nothing was throttled");
        Assert.True(completed >= 2, "nothing got through");
        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(throttled, stats.ThrottledSubmits);
        Assert.Equal(2 * completed, stats.MessagesAccepted);
        Assert.All(stats.AcceptedPartsPerSecond.Values, parts => Assert.InRange(parts, 1, 4));
    }

    [Fact]
    public async Task Answer_waits_at_least_the_configured_latency()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var latency = TimeSpan.FromMilliseconds(300);
        sim.Behave(Viettel, b => b with { LatencyMedian = latency });
        var adapter = await sim.AdapterAsync(Viettel);

        var watch = Stopwatch.StartNew();
        var outcome = await adapter.SubmitAsync(sim.Batch(Viettel), CancellationToken.None);
        watch.Stop();

        Assert.IsType<SubmitOutcome.Completed>(outcome);
        Assert.True(watch.Elapsed >= latency - TimeSpan.FromMilliseconds(20), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task Receipt_outcomes_follow_the_weights_and_repeat_exactly_under_the_same_seed()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var carriers = new[] { Viettel, CarrierIds.Vinaphone };
        var statusesInMessageOrder = new Dictionary<string, string[]>();
        foreach (var carrierId in carriers)
            sim.Behave(carrierId, b => b with { DeliveredWeight = 4, FailedWeight = 3, ExpiredWeight = 2, RejectedWeight = 1, Seed = 20260101 });

        var results = new Dictionary<string, IReadOnlyList<MessageResult>>();
        foreach (var carrierId in carriers)
        {
            var outcome = await (await sim.AdapterAsync(carrierId)).SubmitAsync(sim.Batch(carrierId, count: 100), CancellationToken.None);
            results[carrierId] = Assert.IsType<SubmitOutcome.Completed>(outcome).Results;
        }
        Assert.True(await Eventually.HoldsAsync(() => sim.Receiver.Receipts.Count == 200), "receipts did not arrive");

        var receipts = sim.Receiver.Receipts;
        foreach (var carrierId in carriers)
        {
            var byId = receipts.Where(r => r.CarrierId == carrierId).ToDictionary(r => r.Receipt.MessageId, r => r.Receipt);
            var counts = byId.Values.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(100, counts.Values.Sum());
            Assert.All(SimulatorBehaviour.ReceiptStatuses, status => Assert.True(counts.GetValueOrDefault(status) > 0, $"no {status}"));
            Assert.All(byId.Values, r => Assert.Equal(r.Status == "delivered", r.Error is null));
            statusesInMessageOrder[carrierId] = results[carrierId].Select(r => byId[r.CarrierMessageId!].Status).ToArray();
        }
        Assert.Equal(statusesInMessageOrder[Viettel], statusesInMessageOrder[CarrierIds.Vinaphone]);
    }

    [Fact]
    public async Task Duplicate_receipts_are_posted_again_later_with_the_same_content()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Behave(Viettel, b => b with { DuplicateReceiptRatio = 1.0, DuplicateReceiptDelay = TimeSpan.FromMilliseconds(100) });
        var adapter = await sim.AdapterAsync(Viettel);

        await adapter.SubmitAsync(sim.Batch(Viettel, count: 3), CancellationToken.None);

        Assert.True(await Eventually.HoldsAsync(() => sim.Host.Stats[Viettel].DuplicateReceiptsPosted == 3), "no duplicates posted");
        await Task.Delay(Quiet);
        var posts = sim.Receiver.AcceptedPosts;
        Assert.Equal(2, posts.Count);
        Assert.Equal(posts[0].Body, posts[1].Body);
        Assert.Equal(6, sim.Receiver.Receipts.Count);
        Assert.Equal(3, sim.Receiver.Receipts.Select(r => r.Receipt.MessageId).Distinct().Count());
        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(3, stats.ReceiptsPosted);
        Assert.Equal(0, stats.ReceiptsAbandoned);
    }

    [Fact]
    public async Task Out_of_order_receipts_are_posted_after_a_later_batchs_receipts_keeping_their_time()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Behave(Viettel, b => b with { OutOfOrderReceiptRatio = 1.0, OutOfOrderHold = TimeSpan.FromSeconds(30) });
        var adapter = await sim.AdapterAsync(Viettel);
        var earlier = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(sim.Batch(Viettel, count: 3), CancellationToken.None));

        await Task.Delay(Quiet);
        Assert.Empty(sim.Receiver.Receipts);

        sim.Behave(Viettel, b => b with { OutOfOrderReceiptRatio = 0 });
        var later = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(sim.Batch(Viettel, count: 2), CancellationToken.None));

        Assert.True(await Eventually.HoldsAsync(() => sim.Receiver.Receipts.Count == 5), "receipts did not arrive");
        var posts = sim.Receiver.AcceptedPosts;
        Assert.Equal(2, posts.Count);
        Assert.Equal(later.Results.Select(r => r.CarrierMessageId).Order(), posts[0].Receipts.Select(r => r.MessageId).Order());
        Assert.Equal(earlier.Results.Select(r => r.CarrierMessageId).Order(), posts[1].Receipts.Select(r => r.MessageId).Order());
        Assert.True(posts[1].Receipts.Max(r => r.At) < posts[0].Receipts.Min(r => r.At), "the held receipts lost their original time");
        var stats = sim.Host.Stats[Viettel];
        // Counted once each post's answer is back, a moment after the receiver has the receipts.
        Assert.True(await Eventually.HoldsAsync(() => stats.OutOfOrderReceiptsPosted == 3 && stats.ReceiptsPosted == 5),
            $"counted {stats.OutOfOrderReceiptsPosted} out-of-order of {stats.ReceiptsPosted} receipts posted");
    }

    [Fact]
    public async Task Out_of_order_receipts_with_no_later_batch_go_when_their_hold_runs_out()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var hold = TimeSpan.FromMilliseconds(400);
        sim.Behave(Viettel, b => b with { OutOfOrderReceiptRatio = 1.0, OutOfOrderHold = hold });
        var adapter = await sim.AdapterAsync(Viettel);

        var watch = Stopwatch.StartNew();
        await adapter.SubmitAsync(sim.Batch(Viettel, count: 2), CancellationToken.None);

        Assert.True(await Eventually.HoldsAsync(() => sim.Receiver.Receipts.Count == 2), "held receipts never went");
        Assert.True(watch.Elapsed >= hold, $"posted after {watch.Elapsed}");
        // The simulator counts a post once its answer is back, a moment after the receiver has the receipts.
        Assert.True(await Eventually.HoldsAsync(() => sim.Host.Stats[Viettel].OutOfOrderReceiptsPosted == 2),
            $"counted {sim.Host.Stats[Viettel].OutOfOrderReceiptsPosted} out-of-order receipts posted");
    }

    [Fact]
    public async Task Early_receipts_are_acknowledged_before_the_submit_answer_returns()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Behave(Viettel, b => b with { EarlyReceiptRatio = 1.0, ReceiptDelay = TimeSpan.FromSeconds(5) });
        var adapter = await sim.AdapterAsync(Viettel);

        var outcome = await adapter.SubmitAsync(sim.Batch(Viettel, count: 3), CancellationToken.None);

        // No waiting: by the time the answer is in, its receipts have been taken by the receipt URL.
        var receipts = sim.Receiver.Receipts;
        var results = Assert.IsType<SubmitOutcome.Completed>(outcome).Results;
        Assert.Equal(results.Select(r => r.CarrierMessageId).Order(), receipts.Select(r => r.Receipt.MessageId).Order());
        Assert.Equal(3, sim.Host.Stats[Viettel].EarlyReceiptsPosted);
        Assert.Equal(3, sim.Host.Stats[Viettel].ReceiptsPosted);
    }

    [Fact]
    public async Task Mixed_receipt_faults_still_post_one_receipt_per_message_plus_the_duplicates()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Behave(Viettel, b => b with
        {
            EarlyReceiptRatio = 0.3,
            OutOfOrderReceiptRatio = 0.3,
            OutOfOrderHold = TimeSpan.FromMilliseconds(200),
            DuplicateReceiptRatio = 0.3,
            DuplicateReceiptDelay = TimeSpan.FromMilliseconds(50),
            Seed = 5,
        });
        var adapter = await sim.AdapterAsync(Viettel);

        for (var i = 0; i < 4; i++)
            Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(sim.Batch(Viettel, count: 25), CancellationToken.None));

        var stats = sim.Host.Stats[Viettel];
        Assert.True(await Eventually.HoldsAsync(() => stats.ReceiptsPosted == 100), $"{stats.ReceiptsPosted} receipts posted");
        await Task.Delay(Quiet);
        Assert.InRange(stats.EarlyReceiptsPosted, 1, 99);
        Assert.InRange(stats.OutOfOrderReceiptsPosted, 1, 99);
        Assert.InRange(stats.DuplicateReceiptsPosted, 1, 99);
        Assert.True(stats.EarlyReceiptsPosted + stats.OutOfOrderReceiptsPosted < 100, "no usual receipts");
        Assert.Equal(100 + stats.DuplicateReceiptsPosted, sim.Receiver.Receipts.Count);
        Assert.Equal(100, sim.Receiver.Receipts.Select(r => r.Receipt.MessageId).Distinct().Count());
        Assert.Equal(0, stats.ReceiptsAbandoned);
        Assert.Equal(0, sim.Receiver.BadSignatures);
    }
}
