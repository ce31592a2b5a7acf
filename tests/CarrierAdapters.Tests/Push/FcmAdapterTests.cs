using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators.Push;
using Microsoft.Extensions.Time.Testing;

namespace Loa.CarrierAdapters.Tests.Push;

public sealed class FcmAdapterTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Known_tokens_are_taken_with_FCMs_message_name()
    {
        await using var push = await PushHarness.StartAsync();
        var adapter = push.Fcm();
        var tokens = Enumerable.Range(0, 5).Select(_ => push.FcmToken()).ToArray();

        var outcome = await PushHarness.SubmitAsync(adapter, push.Batch(tokens));

        var results = Assert.IsType<SubmitOutcome.Completed>(outcome).Results;
        Assert.Equal(5, results.Count);
        Assert.All(results, r =>
        {
            Assert.Equal(MessageFate.Taken, r.Fate);
            Assert.StartsWith("projects/loa-simulated/messages/", r.CarrierMessageId);
            Assert.False(r.TokenGone);
        });
        Assert.Equal("push-loa", adapter.CarrierId);
        Assert.False(((ICarrierAdapter)adapter).ReceiptsByWebhook);
        Assert.False(((ICarrierAdapter)adapter).RecognisesRepeats);
        Assert.All(tokens, t => Assert.Equal(1, push.Host.Stats(PushProvider.Fcm).AcceptedFor(t)));
    }

    [Fact]
    public async Task An_unregistered_token_is_refused_as_gone_with_FCMs_reason()
    {
        await using var push = await PushHarness.StartAsync();
        var known = push.FcmToken();
        var unknown = push.FcmToken(registered: false);

        var outcome = await PushHarness.SubmitAsync(push.Fcm(), push.Batch([known, unknown]));

        var results = Assert.IsType<SubmitOutcome.Completed>(outcome).Results;
        Assert.Equal(MessageFate.Taken, results[0].Fate);
        Assert.Equal(MessageFate.Refused, results[1].Fate);
        Assert.True(results[1].TokenGone);
        Assert.Equal("UNREGISTERED: Requested entity was not found.", results[1].Error);
    }

    [Theory]
    [InlineData("emergency", "high")]
    [InlineData("warning", "high")]
    [InlineData("test", "high")]
    [InlineData("awareness", "normal")]
    public async Task Priority_ttl_collapse_key_and_data_reach_FCM(string kind, string priority)
    {
        var clock = new FakeTimeProvider(Start);
        await using var push = await PushHarness.StartAsync(clock);
        var token = push.FcmToken();

        await PushHarness.SubmitAsync(push.Fcm(), push.Batch([token], kind, expiresIn: TimeSpan.FromHours(2), campaign: "c-42"));

        var arrival = Assert.Single(push.Host.Stats(PushProvider.Fcm).Arrivals);
        Assert.Equal(token, arrival.Target);
        Assert.Equal(priority, arrival.Priority);
        Assert.Equal("7200s", arrival.Ttl);
        Assert.Equal("c-42", arrival.CollapseKey);
        Assert.Equal("c-42", arrival.Campaign);
        Assert.Equal("https://canhbao.example.vn/v/abc123", arrival.Url);
        Assert.Equal("Canh bao khan cap", arrival.Title);
        Assert.Equal("Canh bao lu quet tai Lao Cai", arrival.Body);
    }

    [Fact]
    public async Task The_access_token_is_reused_and_refreshed_only_as_it_nears_expiry()
    {
        var clock = new FakeTimeProvider(Start);
        await using var push = await PushHarness.StartAsync(clock);
        var adapter = push.Fcm();
        var token = push.FcmToken();
        var stats = push.Host.Stats(PushProvider.Fcm);

        for (var i = 0; i < 3; i++)
            Assert.All(Taken(await PushHarness.SubmitAsync(adapter, push.Batch([token]))), _ => { });
        Assert.Equal(1, stats.Snapshot().AccessTokensIssued);

        clock.Advance(TimeSpan.FromMinutes(50));
        Taken(await PushHarness.SubmitAsync(adapter, push.Batch([token])));
        Assert.Equal(1, stats.Snapshot().AccessTokensIssued);

        clock.Advance(TimeSpan.FromMinutes(6));
        Taken(await PushHarness.SubmitAsync(adapter, push.Batch([token])));
        Assert.Equal(1, stats.Snapshot().AccessTokensIssued);

        // Within a minute of its hour the token is no longer used: the send waits for a new one
        // (from 3¾ minutes before, the library refreshes in the background, which a test cannot time).
        clock.Advance(TimeSpan.FromMinutes(3.5));
        Taken(await PushHarness.SubmitAsync(adapter, push.Batch([token])));
        Assert.Equal(2, stats.Snapshot().AccessTokensIssued);

        clock.Advance(TimeSpan.FromMinutes(10));
        Taken(await PushHarness.SubmitAsync(adapter, push.Batch([token])));
        Assert.Equal(2, stats.Snapshot().AccessTokensIssued);
        Assert.Equal(0, stats.Snapshot().Unauthorized);
    }

    [Fact]
    public async Task A_revoked_access_token_is_renewed_once_for_the_batch_and_nothing_is_lost()
    {
        await using var push = await PushHarness.StartAsync();
        var adapter = push.Fcm();
        var tokens = Enumerable.Range(0, 20).Select(_ => push.FcmToken()).ToArray();
        Taken(await PushHarness.SubmitAsync(adapter, push.Batch(tokens[..1], campaign: "c-earlier")));

        push.Host.RevokeAccessTokens();
        var results = Taken(await PushHarness.SubmitAsync(adapter, push.Batch(tokens)));

        Assert.Equal(20, results.Count);
        var stats = push.Host.Stats(PushProvider.Fcm).Snapshot();
        Assert.Equal(2, stats.AccessTokensIssued);
        Assert.True(stats.Unauthorized >= 1);
        Assert.Equal(0, stats.Duplicates);
    }

    [Fact]
    public async Task A_batch_throttled_whole_is_throttled_with_FCMs_retry_after()
    {
        // A fake clock stands still, so the simulator's second never rolls over.
        var clock = new FakeTimeProvider(Start);
        await using var push = await PushHarness.StartAsync(clock, new PushBehaviour { MaxPerSecond = 2, RetryAfterSeconds = 7 });
        var adapter = push.Fcm();
        var tokens = Enumerable.Range(0, 5).Select(_ => push.FcmToken()).ToArray();
        Taken(await PushHarness.SubmitAsync(adapter, push.Batch(tokens[..2])));

        var outcome = await PushHarness.SubmitAsync(adapter, push.Batch(tokens[2..]));

        var throttled = Assert.IsType<SubmitOutcome.Throttled>(outcome);
        Assert.Equal(TimeSpan.FromSeconds(7), throttled.RetryAfter);
        Assert.StartsWith("QUOTA_EXCEEDED", throttled.Reason);
    }

    [Fact]
    public async Task Once_FCM_throttles_the_rest_of_the_batch_is_not_sent()
    {
        var clock = new FakeTimeProvider(Start);
        await using var push = await PushHarness.StartAsync(clock, new PushBehaviour { MaxPerSecond = 2 });
        var adapter = push.Fcm(o => o.MaxConcurrentStreams = 1);
        var tokens = Enumerable.Range(0, 5).Select(_ => push.FcmToken()).ToArray();

        var results = Assert.IsType<SubmitOutcome.Completed>(await PushHarness.SubmitAsync(adapter, push.Batch(tokens))).Results;

        Assert.Equal([MessageFate.Taken, MessageFate.Taken, MessageFate.NotTaken, MessageFate.NotTaken, MessageFate.NotTaken], results.Select(r => r.Fate));
        Assert.StartsWith("QUOTA_EXCEEDED", results[2].Error);
        Assert.StartsWith("not sent:", results[3].Error);
        Assert.Equal(1, push.Host.Stats(PushProvider.Fcm).Snapshot().Throttled);
    }

    [Fact]
    public async Task Server_errors_leave_the_messages_not_taken()
    {
        await using var push = await PushHarness.StartAsync(behaviour: new PushBehaviour { ServerErrorRatio = 1 });
        var tokens = Enumerable.Range(0, 3).Select(_ => push.FcmToken()).ToArray();

        var results = Assert.IsType<SubmitOutcome.Completed>(await PushHarness.SubmitAsync(push.Fcm(), push.Batch(tokens))).Results;

        Assert.All(results, r => Assert.Equal(MessageFate.NotTaken, r.Fate));
        Assert.Contains(results, r => r.Error!.StartsWith("UNAVAILABLE", StringComparison.Ordinal));
        Assert.Equal(0, push.Host.Stats(PushProvider.Fcm).Snapshot().Accepted);
    }

    [Fact]
    public async Task The_simulator_keeps_each_campaigns_first_arrival_and_forgets_it_on_reset()
    {
        await using var push = await PushHarness.StartAsync();
        var adapter = push.Fcm();
        var stats = push.Host.Stats(PushProvider.Fcm);

        Taken(await PushHarness.SubmitAsync(adapter, push.Batch(Enumerable.Range(0, 20).Select(_ => push.FcmToken()), campaign: "c-first")));
        Taken(await PushHarness.SubmitAsync(adapter, push.Batch([push.FcmToken()], campaign: "c-other")));

        // The earliest of the campaign's stamps, however the concurrent requests were served.
        Assert.Equal(stats.Arrivals.Where(a => a.Campaign == "c-first").Min(a => a.At), stats.FirstArrivalOf("c-first"));
        Assert.Equal(Assert.Single(stats.Arrivals, a => a.Campaign == "c-other").At, stats.FirstArrivalOf("c-other"));
        Assert.Null(stats.FirstArrivalOf("c-never"));
        Assert.Empty(stats.Snapshot().AcceptedPerTopic);

        stats.Reset();
        Assert.Null(stats.FirstArrivalOf("c-first"));
    }

    [Fact]
    public async Task An_app_on_topics_sends_one_notification_per_topic()
    {
        await using var push = await PushHarness.StartAsync();
        var adapter = push.Fcm(o => o.UseTopics = true);

        var results = Taken(await PushHarness.SubmitAsync(adapter, push.Batch(["loa-01-vi", "loa-01-en", "/topics/loa-79-vi"], topics: true)));

        Assert.Equal(3, results.Count);
        var perTopic = push.Host.Stats(PushProvider.Fcm).Snapshot().AcceptedPerTopic;
        Assert.Equal(1, perTopic["loa-01-vi"]);
        Assert.Equal(1, perTopic["loa-01-en"]);
        Assert.Equal(1, perTopic["loa-79-vi"]);
        Assert.Contains(push.Host.Stats(PushProvider.Fcm).Arrivals, a => a.Target == "/topics/loa-01-vi");
    }

    [Fact]
    public async Task An_app_on_topics_still_sends_a_message_not_marked_topic_to_its_device_token()
    {
        // A test campaign sends a topic app's devices one by one: a topic would reach real phones.
        await using var push = await PushHarness.StartAsync();
        var token = push.FcmToken();

        Taken(await PushHarness.SubmitAsync(push.Fcm(o => o.UseTopics = true), push.Batch([token])));

        Assert.Equal(1, push.Host.Stats(PushProvider.Fcm).AcceptedFor(token));
        Assert.Empty(push.Host.Stats(PushProvider.Fcm).Snapshot().AcceptedPerTopic);
    }

    [Fact]
    public async Task No_log_line_holds_a_whole_device_token()
    {
        await using var push = await PushHarness.StartAsync(behaviour: new PushBehaviour { ErrorRatio = 0.3, Seed = 7 });
        var adapter = push.Fcm();
        var tokens = Enumerable.Range(0, 10).Select(i => push.FcmToken(registered: i % 2 == 0)).ToArray();

        await PushHarness.SubmitAsync(adapter, push.Batch(tokens));
        push.Host.Behave(PushProvider.Fcm, b => b with { ServerErrorRatio = 1 });
        await PushHarness.SubmitAsync(adapter, push.Batch(tokens));

        var lines = push.Logs.Lines;
        Assert.NotEmpty(lines);
        Assert.Contains(lines, l => l.Contains(DeviceToken.Mask(tokens[1]), StringComparison.Ordinal));
        foreach (var token in tokens)
            Assert.DoesNotContain(lines, l => l.Contains(token, StringComparison.Ordinal) || l.Contains(token[..20], StringComparison.Ordinal));
    }

    private static IReadOnlyList<MessageResult> Taken(SubmitOutcome outcome)
    {
        Assert.False(outcome is not SubmitOutcome.Completed, outcome.ToString());
        var results = Assert.IsType<SubmitOutcome.Completed>(outcome).Results;
        Assert.All(results, r => Assert.True(r.Fate == MessageFate.Taken, $"{r.Id}: {r.Fate} {r.Error}"));
        return results;
    }
}
