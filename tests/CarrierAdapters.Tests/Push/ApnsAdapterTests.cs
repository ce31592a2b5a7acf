using System.Globalization;
using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators.Push;
using Microsoft.Extensions.Time.Testing;

namespace Loa.CarrierAdapters.Tests.Push;

public sealed class ApnsAdapterTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Known_devices_are_taken_with_the_apns_id_over_HTTP2()
    {
        await using var push = await PushHarness.StartAsync();
        var (adapter, _) = push.Apns();
        var tokens = Enumerable.Range(0, 5).Select(_ => push.ApnsToken()).ToArray();

        var results = Taken(await PushHarness.SubmitAsync(adapter, push.Batch(tokens)));

        Assert.All(results, r => Assert.True(Guid.TryParse(r.CarrierMessageId, out _), r.CarrierMessageId));
        Assert.Equal("push-loa", adapter.CarrierId);
        Assert.All(tokens, t => Assert.Equal(1, push.Host.Stats(PushProvider.Apns).AcceptedFor(t)));
    }

    [Theory]
    [InlineData("emergency", "10")]
    [InlineData("awareness", "5")]
    public async Task Apples_headers_carry_topic_push_type_priority_expiration_and_collapse_id(string kind, string priority)
    {
        var clock = new FakeTimeProvider(Start);
        await using var push = await PushHarness.StartAsync(clock);
        var (adapter, _) = push.Apns();
        var token = push.ApnsToken();

        Taken(await PushHarness.SubmitAsync(adapter, push.Batch([token], kind, expiresIn: TimeSpan.FromHours(2), campaign: "c-42")));

        var arrival = Assert.Single(push.Host.Stats(PushProvider.Apns).Arrivals);
        Assert.Equal(push.Endpoints.BundleId, arrival.ApnsTopic);
        Assert.Equal("alert", arrival.PushType);
        Assert.Equal(priority, arrival.Priority);
        Assert.Equal(Start.AddHours(2).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), arrival.Ttl);
        Assert.Equal("c-42", arrival.CollapseKey);
        Assert.Equal("c-42", arrival.Campaign);
        Assert.Equal("https://canhbao.example.vn/v/abc123", arrival.Url);
        Assert.Equal("Canh bao khan cap", arrival.Title);
    }

    [Fact]
    public void A_collapse_key_over_64_bytes_is_hashed_not_cut()
    {
        var longKey = new string('ệ', 30); // 90 UTF-8 bytes
        var id = ApnsAdapter.CollapseId(longKey)!;
        Assert.Equal(64, System.Text.Encoding.UTF8.GetByteCount(id));
        Assert.NotEqual(id, ApnsAdapter.CollapseId(longKey + "x"));
        Assert.Equal("c-42", ApnsAdapter.CollapseId("c-42"));
    }

    [Fact]
    public async Task Unregistered_and_malformed_tokens_are_refused_as_gone()
    {
        await using var push = await PushHarness.StartAsync();
        var (adapter, _) = push.Apns();
        var known = push.ApnsToken();
        var uninstalled = push.ApnsToken();
        push.Host.Tokens.Uninstall(uninstalled, DateTimeOffset.UtcNow);

        var results = Assert.IsType<SubmitOutcome.Completed>(
            await PushHarness.SubmitAsync(adapter, push.Batch([known, uninstalled, "not-a-device-token"]))).Results;

        Assert.Equal(MessageFate.Taken, results[0].Fate);
        Assert.Equal((MessageFate.Refused, true, "Unregistered (HTTP 410)"), (results[1].Fate, results[1].TokenGone, results[1].Error));
        Assert.Equal((MessageFate.Refused, true, "BadDeviceToken (HTTP 400)"), (results[2].Fate, results[2].TokenGone, results[2].Error));
    }

    [Fact]
    public async Task The_provider_token_is_signed_once_and_renewed_after_fifty_minutes()
    {
        var clock = new FakeTimeProvider(Start);
        await using var push = await PushHarness.StartAsync(clock);
        var (adapter, jwt) = push.Apns();
        var tokens = Enumerable.Range(0, 10).Select(_ => push.ApnsToken()).ToArray();
        var stats = push.Host.Stats(PushProvider.Apns);

        for (var i = 0; i < 3; i++)
            Taken(await PushHarness.SubmitAsync(adapter, push.Batch(tokens, campaign: $"c-{i}")));
        clock.Advance(TimeSpan.FromMinutes(49));
        Taken(await PushHarness.SubmitAsync(adapter, push.Batch(tokens, campaign: "c-49")));
        Assert.Equal((1, 1), (jwt.Signed, stats.Snapshot().ProviderTokens));

        clock.Advance(TimeSpan.FromMinutes(2));
        Taken(await PushHarness.SubmitAsync(adapter, push.Batch(tokens, campaign: "c-51")));
        Assert.Equal((2, 2), (jwt.Signed, stats.Snapshot().ProviderTokens));
        Assert.Equal(0, stats.Snapshot().Unauthorized);
    }

    [Fact]
    public async Task A_token_from_another_key_is_refused_and_the_batch_rejected()
    {
        await using var push = await PushHarness.StartAsync();
        var stranger = PushCredentials.WriteSigningKey(Path.GetDirectoryName(push.Endpoints.SigningKey.File)!, "OTHERTEAM");
        var (adapter, _) = push.Apns(o => (o.KeyFile, o.KeyId) = (stranger.File, stranger.KeyId));

        var outcome = await PushHarness.SubmitAsync(adapter, push.Batch([push.ApnsToken(), push.ApnsToken()]));

        Assert.Equal("InvalidProviderToken (HTTP 403)", Assert.IsType<SubmitOutcome.Rejected>(outcome).Reason);
    }

    [Fact]
    public async Task Too_many_requests_throttles_the_batch()
    {
        var clock = new FakeTimeProvider(Start);
        await using var push = await PushHarness.StartAsync(clock, new PushBehaviour { MaxPerSecond = 1, RetryAfterSeconds = 3 });
        var (adapter, _) = push.Apns();
        Taken(await PushHarness.SubmitAsync(adapter, push.Batch([push.ApnsToken()])));

        var outcome = await PushHarness.SubmitAsync(adapter, push.Batch([push.ApnsToken(), push.ApnsToken()]));

        var throttled = Assert.IsType<SubmitOutcome.Throttled>(outcome);
        Assert.Equal(TimeSpan.FromSeconds(3), throttled.RetryAfter);
        Assert.StartsWith("TooManyRequests", throttled.Reason);
    }

    [Fact]
    public async Task Service_unavailable_leaves_the_messages_not_taken()
    {
        await using var push = await PushHarness.StartAsync(behaviour: new PushBehaviour { ServerErrorRatio = 1 });
        var (adapter, _) = push.Apns();

        var results = Assert.IsType<SubmitOutcome.Completed>(
            await PushHarness.SubmitAsync(adapter, push.Batch([push.ApnsToken(), push.ApnsToken()]))).Results;

        Assert.All(results, r => Assert.Equal(MessageFate.NotTaken, r.Fate));
        Assert.Contains(results, r => r.Error == "ServiceUnavailable (HTTP 503)");
    }

    [Fact]
    public async Task A_request_never_answered_has_an_unknown_fate()
    {
        await using var push = await PushHarness.StartAsync(behaviour: new PushBehaviour { Latency = TimeSpan.FromSeconds(30) });
        var (adapter, _) = push.Apns(o => o.Timeout = TimeSpan.FromMilliseconds(300));

        var results = Assert.IsType<SubmitOutcome.Completed>(await PushHarness.SubmitAsync(adapter, push.Batch([push.ApnsToken()]))).Results;

        Assert.Equal(MessageFate.Unknown, Assert.Single(results).Fate);
        Assert.StartsWith("timeout", results[0].Error);
    }

    private static IReadOnlyList<MessageResult> Taken(SubmitOutcome outcome)
    {
        Assert.False(outcome is not SubmitOutcome.Completed, outcome.ToString());
        var results = ((SubmitOutcome.Completed)outcome).Results;
        Assert.All(results, r => Assert.True(r.Fate == MessageFate.Taken, $"{r.Id}: {r.Fate} {r.Error}"));
        return results;
    }
}
