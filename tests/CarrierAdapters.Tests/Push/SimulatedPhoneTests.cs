using System.Collections.Concurrent;
using System.Text.Json;
using Loa.CarrierAdapters.Push;
using Loa.CarrierAdapters.Tests.HttpBatch;

namespace Loa.CarrierAdapters.Tests.Push;

public sealed class SimulatedPhoneTests
{
    private sealed record Ack(string Path, string? Authorization, string? Campaign, string? Event);

    [Fact]
    public async Task Phones_acknowledge_received_and_opened_to_Loa_with_the_app_key()
    {
        var acks = new ConcurrentQueue<Ack>();
        await using var loa = await LoopbackServer.StartAsync(async context =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            acks.Enqueue(new Ack(context.Request.Path, context.Request.Headers.Authorization,
                body.RootElement.GetProperty("campaign").GetString(), body.RootElement.GetProperty("event").GetString()));
            context.Response.StatusCode = 202;
        });
        await using var push = await PushHarness.StartAsync();
        push.Host.Acknowledge(loa.BaseUrl, "app-key-loa", receivedRatio: 1, openedRatio: 1);
        foreach (var provider in new[] { PushProvider.Fcm, PushProvider.Apns })
            push.Host.Behave(provider, b => b with { ReceivedDelay = TimeSpan.FromMilliseconds(10), OpenedDelay = TimeSpan.FromMilliseconds(10) });
        var android = push.FcmToken();
        var iphone = push.ApnsToken();

        await PushHarness.SubmitAsync(push.Fcm(), push.Batch([android], campaign: "c-7"));
        await PushHarness.SubmitAsync(push.Apns().Adapter, push.Batch([iphone], campaign: "c-7"));

        Assert.True(await Eventually.HoldsAsync(() => acks.Count >= 4), $"{acks.Count} acks arrived");
        foreach (var token in new[] { android, iphone })
        {
            var mine = acks.Where(a => a.Path == $"/api/v1/devices/{token}/acks").ToArray();
            Assert.Equal(["opened", "received"], mine.Select(a => a.Event).Order());
            Assert.All(mine, a => Assert.Equal(("Bearer app-key-loa", "c-7"), (a.Authorization, a.Campaign)));
        }
        Assert.Equal(2, push.Host.Stats(PushProvider.Fcm).Snapshot().AcksPosted);
    }

    [Fact]
    public async Task A_topic_send_is_acknowledged_by_the_phones_subscribed_to_it()
    {
        var acks = new ConcurrentQueue<string>();
        await using var loa = await LoopbackServer.StartAsync(context =>
        {
            acks.Enqueue(context.Request.Path!);
            context.Response.StatusCode = 202;
            return Task.CompletedTask;
        });
        await using var push = await PushHarness.StartAsync();
        push.Host.Acknowledge(loa.BaseUrl, "app-key-loa");
        push.Host.Behave(PushProvider.Fcm, b => b with { ReceivedDelay = TimeSpan.Zero });
        var subscribed = Enumerable.Range(0, 3).Select(_ => push.FcmToken(true, "loa-01-vi")).ToArray();
        push.FcmToken(true, "loa-79-vi");

        await PushHarness.SubmitAsync(push.Fcm(o => o.UseTopics = true), push.Batch(["loa-01-vi"], topics: true));

        Assert.True(await Eventually.HoldsAsync(() => acks.Count >= 3));
        await Task.Delay(100);
        Assert.Equal(subscribed.Select(t => $"/api/v1/devices/{t}/acks").Order(), acks.Order());
    }
}
